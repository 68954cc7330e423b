import type { Command } from './context.ts'

/**
 * Every command, loaded only when called so `agora validate` does not pay for
 * the S3 SDK or Astro.
 */
export const COMMANDS: Record<string, () => Promise<Command>> = {
  validate: async () => (await import('./validate.ts')).default,
  new: async () => (await import('./new.ts')).default,
  publish: async () => (await import('./publish.ts')).default,
  pull: async () => (await import('./pull.ts')).default,
  cache: async () => (await import('./cache.ts')).default,
  index: async () => (await import('./index-build.ts')).default,
  scan: async () => (await import('./scan.ts')).default,
}

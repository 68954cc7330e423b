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
  info: async () => (await import('./info.ts')).default,
  search: async () => (await import('./search.ts')).default,
  list: async () => (await import('./list.ts')).default,
  cache: async () => (await import('./cache.ts')).default,
  index: async () => (await import('./index-build.ts')).default,
  scan: async () => (await import('./scan.ts')).default,
  eval: async () => (await import('./eval.ts')).default,
  yank: async () => (await import('./status.ts')).statusCommand('yank'),
  deprecate: async () => (await import('./status.ts')).statusCommand('deprecate'),
  undeprecate: async () => (await import('./status.ts')).statusCommand('undeprecate'),
  licence: async () => (await import('./licence.ts')).default,
  completion: async () => (await import('./completion.ts')).default,
  stripe: async () => (await import('./stripe.ts')).default,
  sales: async () => (await import('./sales.ts')).default,
  serve: async () => (await import('./serve.ts')).default,
  verify: async () => (await import('./verify.ts')).default,
  import: async () => (await import('./import.ts')).default,
  export: async () => (await import('./export.ts')).default,
}

/** Other names a command answers to: `install` is the word adapters and pipelines use for `pull`. */
export const ALIASES: Record<string, string> = {
  install: 'pull',
}

/**
 * The command names closest to a mistyped one (edit distance ≤ 2, or a
 * prefix), best first: the "did you mean" of an unknown command. Loads the
 * distance only then, so a normal start does not pay for the manifest code.
 *
 * @example await closestCommands('pul') // ['pull']
 */
export async function closestCommands(name: string): Promise<string[]> {
  const { editDistance } = await import('#core/manifest')
  const names = [...Object.keys(COMMANDS), ...Object.keys(ALIASES)]
  return names
    .map((candidate) => ({ candidate, distance: editDistance(name, candidate) }))
    .filter(({ candidate, distance }) => distance <= 2 || candidate.startsWith(name))
    .sort((a, b) => a.distance - b.distance || a.candidate.localeCompare(b.candidate))
    .map(({ candidate }) => candidate)
}

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
  cache: async () => (await import('./cache.ts')).default,
  index: async () => (await import('./index-build.ts')).default,
  scan: async () => (await import('./scan.ts')).default,
  yank: async () => (await import('./status.ts')).statusCommand('yank'),
  deprecate: async () => (await import('./status.ts')).statusCommand('deprecate'),
  undeprecate: async () => (await import('./status.ts')).statusCommand('undeprecate'),
  completion: async () => (await import('./completion.ts')).default,
}

/** Other names a command answers to: `install` is the word adapters and pipelines use for `pull`. */
export const ALIASES: Record<string, string> = {
  install: 'pull',
}

/**
 * The command names closest to a mistyped one (edit distance ≤ 2, or a
 * prefix), best first: the "did you mean" of an unknown command.
 *
 * @example closestCommands('pul') // ['pull']
 */
export function closestCommands(name: string): string[] {
  const names = [...Object.keys(COMMANDS), ...Object.keys(ALIASES)]
  return names
    .map((candidate) => ({ candidate, distance: editDistance(name, candidate) }))
    .filter(({ candidate, distance }) => distance <= 2 || candidate.startsWith(name))
    .sort((a, b) => a.distance - b.distance || a.candidate.localeCompare(b.candidate))
    .map(({ candidate }) => candidate)
}

/** Optimal string alignment distance: insertions, deletions, substitutions and swaps of neighbours. */
function editDistance(a: string, b: string): number {
  const rows = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  )
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const row = rows[i] as number[]
      const above = rows[i - 1] as number[]
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      row[j] = Math.min(
        (above[j] as number) + 1,
        (row[j - 1] as number) + 1,
        (above[j - 1] as number) + cost,
      )
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        row[j] = Math.min(row[j] as number, ((rows[i - 2] as number[])[j - 2] as number) + 1)
    }
  }
  return (rows[a.length] as number[])[b.length] as number
}

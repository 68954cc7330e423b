import { readdirSync, readFileSync } from 'node:fs'

/** Resident memory of a process and all its descendants, in MiB, read from /proc. */
export function treeRssMiB(root: number): number {
  const children = new Map<number, number[]>()
  const rss = new Map<number, number>()
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8')
      // Fields after the command name, which may hold spaces: state, ppid, …, rss (24th field).
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      const pid = Number(name)
      const ppid = Number(fields[1])
      rss.set(pid, Number(fields[21]) * 4096)
      const list = children.get(ppid)
      if (list) list.push(pid)
      else children.set(ppid, [pid])
    } catch {
      // The process ended while being read.
    }
  }
  let bytes = 0
  const stack = [root]
  for (let pid = stack.pop(); pid !== undefined; pid = stack.pop()) {
    bytes += rss.get(pid) ?? 0
    stack.push(...(children.get(pid) ?? []))
  }
  return bytes / 1024 / 1024
}

/**
 * Samples a process tree's summed RSS every `everyMs` until stopped: GNU
 * time reports the largest single process, this reports what the tree
 * holds at once (a build and the indexer it runs, together).
 *
 * @example const sampler = sampleTreeRss(child.pid); …; const peakMiB = sampler.stop()
 */
export function sampleTreeRss(root: number, everyMs = 500): { stop(): number } {
  let peak = 0
  const sample = (): void => {
    peak = Math.max(peak, treeRssMiB(root))
  }
  const timer = setInterval(sample, everyMs)
  sample()
  return {
    stop() {
      clearInterval(timer)
      return peak
    },
  }
}

/** A benchmark of this hub that model-index results can be filed under. */
export interface BenchmarkTarget {
  ns: string
  name: string
  /** Its Hub page when imported from the Hub (`links.homepage`). */
  homepage?: string
  metrics: string[]
}

/** A results file import writes: its path inside the item and its document. */
export interface ImportedResult {
  path: string
  value: {
    benchmark: string
    version: string
    scores: Record<string, number>
    date: string
    source?: { name?: string; url: string }
    verified: false
  }
}

const HUB = 'https://huggingface.co/datasets/'
const METRIC = /^[a-z0-9](?:[a-z0-9._-]{0,62}[a-z0-9])?$/

/**
 * The Hub dataset id a benchmark stands for: the one its Hub page names, else
 * its own id.
 *
 * @example hubDatasetOf({ ns: 'hf', name: 'gsm8k', homepage: 'https://huggingface.co/datasets/openai/gsm8k', metrics: [] }) // 'openai/gsm8k'
 */
export function hubDatasetOf(benchmark: Pick<BenchmarkTarget, 'ns' | 'name' | 'homepage'>): string {
  return benchmark.homepage?.startsWith(HUB)
    ? benchmark.homepage.slice(HUB.length).replace(/\/+$/, '')
    : `${benchmark.ns}/${benchmark.name}`
}

/**
 * Files a card's `model-index` results as results of the imported version,
 * under the benchmarks of this hub that stand for their `dataset.type` (by
 * Hub page or id) and define their metric types; every result is
 * `verified: false` (the card's own claim). What has no place is listed in
 * `dropped`: results without a benchmark, metrics the benchmark lacks, and
 * the descriptive keys results files do not hold.
 *
 * @example mapModelIndex(front['model-index'], benchmarks, { version: '1.0.0', today: '2025-01-31' })
 */
export function mapModelIndex(
  modelIndex: unknown,
  benchmarks: BenchmarkTarget[],
  options: { version: string; today: string },
): { results: ImportedResult[]; dropped: { path: string; reason: string }[] } {
  const dropped: { path: string; reason: string }[] = []
  const byFile = new Map<string, ImportedResult>()
  if (!Array.isArray(modelIndex)) {
    if (modelIndex !== undefined) dropped.push({ path: 'model-index', reason: 'not a list' })
    return { results: [], dropped }
  }
  const find = (type: string) =>
    benchmarks.find((b) => hubDatasetOf(b).toLowerCase() === type.toLowerCase())
  modelIndex.forEach((entry: Record<string, unknown>, m) => {
    const at = `model-index[${m}]`
    if (entry?.name !== undefined)
      dropped.push({ path: `${at}.name`, reason: 'export names the entry after the item' })
    const results = Array.isArray(entry?.results)
      ? (entry.results as Record<string, unknown>[])
      : []
    results.forEach((result, r) => {
      const here = `${at}.results[${r}]`
      const dataset = (result?.dataset ?? {}) as Record<string, unknown>
      const type = typeof dataset.type === 'string' ? dataset.type : ''
      const benchmark = type ? find(type) : undefined
      if (!benchmark) {
        dropped.push({
          path: here,
          reason: `no benchmark on this hub stands for dataset "${type}"`,
        })
        return
      }
      const task = (result.task ?? {}) as Record<string, unknown>
      for (const key of Object.keys(task)) {
        if (key !== 'type')
          dropped.push({ path: `${here}.task.${key}`, reason: 'results files hold scores only' })
      }
      for (const key of Object.keys(dataset)) {
        if (key !== 'type')
          dropped.push({ path: `${here}.dataset.${key}`, reason: 'the benchmark defines its data' })
      }
      const file = `results/${benchmark.ns}/${benchmark.name}.yaml`
      const doc: ImportedResult =
        byFile.get(file) ??
        ({
          path: file,
          value: {
            benchmark: `benchmarks/${benchmark.ns}/${benchmark.name}`,
            version: options.version,
            scores: {},
            date: options.today,
            verified: false,
          },
        } satisfies ImportedResult)
      const metrics = Array.isArray(result.metrics)
        ? (result.metrics as Record<string, unknown>[])
        : []
      metrics.forEach((metric, i) => {
        const where = `${here}.metrics[${i}]`
        const name = typeof metric?.type === 'string' ? metric.type : ''
        const value = metric?.value
        if (!METRIC.test(name) || !benchmark.metrics.includes(name)) {
          dropped.push({
            path: where,
            reason: `benchmark ${benchmark.ns}/${benchmark.name} has no metric "${name}"`,
          })
        } else if (typeof value !== 'number' || !Number.isFinite(value)) {
          dropped.push({ path: where, reason: 'the value is not a number' })
        } else if (name in doc.value.scores) {
          dropped.push({
            path: where,
            reason: `a second score for "${name}" on the same benchmark`,
          })
        } else {
          doc.value.scores[name] = value
          for (const key of Object.keys(metric)) {
            if (key !== 'type' && key !== 'value')
              dropped.push({ path: `${where}.${key}`, reason: 'results files hold the value only' })
          }
        }
      })
      const source = (result.source ?? {}) as Record<string, unknown>
      if (typeof source.url === 'string' && /^https:\/\//.test(source.url) && !doc.value.source) {
        doc.value.source = {
          ...(typeof source.name === 'string' ? { name: source.name } : {}),
          url: source.url,
        }
      } else if (result.source !== undefined) {
        dropped.push({ path: `${here}.source`, reason: 'a results file keeps one https source' })
      }
      if (Object.keys(doc.value.scores).length > 0) byFile.set(file, doc)
    })
  })
  return { results: [...byFile.values()], dropped }
}

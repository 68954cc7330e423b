import { describe, expect, it } from 'vitest'
import { buildCorpus } from './__fixtures__/corpus.ts'
import { bytesSource, scanFile } from './index.ts'

describe('core/scan (corpus)', () => {
  const corpus = buildCorpus()

  it('holds at least 100 files, malicious and benign, in every group', () => {
    expect(corpus.length).toBeGreaterThanOrEqual(100)
    const groups = new Set(corpus.map((f) => f.name.split('/')[0]))
    expect(groups.size).toBeGreaterThanOrEqual(7)
    expect(corpus.filter((f) => f.malicious).length).toBeGreaterThan(50)
    expect(corpus.filter((f) => !f.malicious).length).toBeGreaterThan(30)
  })

  it('has no false negatives: every malicious file gets an error finding and is not safe', async () => {
    const missed: string[] = []
    for (const file of corpus.filter((f) => f.malicious)) {
      const result = await scanFile(bytesSource(file.path, file.bytes))
      const error = result.findings.some((f) => f.severity === 'error')
      if (result.verdict === 'safe' || !error) missed.push(file.name)
    }
    expect(missed).toEqual([])
  }, 60_000)

  it('has no false positives: every benign file is safe', async () => {
    const flagged: string[] = []
    for (const file of corpus.filter((f) => !f.malicious)) {
      const result = await scanFile(bytesSource(file.path, file.bytes))
      if (result.verdict !== 'safe')
        flagged.push(`${file.name}: ${result.findings.map((f) => f.code).join(', ')}`)
    }
    expect(flagged).toEqual([])
  }, 60_000)
})

import { describe, expect, it } from 'vitest'
import type { Issue } from '#core/errors'
import { type BuildReportInput, buildReport } from './build-report.ts'
import { parseReport, REPORT_LIMITS } from './report-schema.ts'

const sha = (c: string) => c.repeat(40)

function input(overrides: Partial<BuildReportInput> = {}): BuildReportInput {
  return {
    pullRequest: { number: 3, author: 'alice', baseSha: sha('a'), headSha: sha('b') },
    issues: [],
    changes: {
      files: [{}, {}],
      items: [
        {
          ref: { kind: 'dataset', ns: 'acme', name: 'tox21' },
          status: 'modified',
          added: ['registry/datasets/ac/acme/tox21/versions/2.0.0.yaml'],
          modified: ['registry/datasets/ac/acme/tox21/item.yaml'],
          deleted: [],
          addedVersions: ['2.0.0'],
        },
      ],
      newNamespaces: [],
      ownershipChanges: [],
      hubFiles: [],
      outsideRegistry: [],
      onlyAddsVersions: true,
    },
    now: new Date('2026-03-01T00:00:00.000Z'),
    ...overrides,
  }
}

describe('core/github/build-report', () => {
  it('summarises the change set and derives ok and labels', () => {
    const report = buildReport(input())
    expect(report).toMatchObject({
      version: 1,
      createdAt: '2026-03-01T00:00:00.000Z',
      ok: true,
      labels: ['validation-passed', 'auto-merge'],
      truncated: false,
      changes: {
        items: [{ ref: 'datasets/acme/tox21', added: false, addedVersions: ['2.0.0'] }],
        filesChanged: 2,
      },
    })
    expect(parseReport(JSON.stringify(report)).issues).toEqual([])
  })

  it('folds hub files into outside-registry and ownership changes into subjects', () => {
    const base = input()
    const report = buildReport({
      ...base,
      changes: {
        ...base.changes,
        hubFiles: ['registry/agora.yaml'],
        ownershipChanges: [{ subject: 'acme' }, { subject: 'acme' }],
      },
    })
    expect(report.changes.outsideRegistry).toEqual(['registry/agora.yaml'])
    expect(report.changes.ownershipChanges).toEqual(['acme'])
    expect(report.labels).toEqual([
      'validation-passed',
      'needs-review',
      'ownership-change',
      'outside-registry',
    ])
  })

  it('cuts to the caps the parser enforces, keeping errors, and says so', () => {
    const warnings: Issue[] = Array.from({ length: REPORT_LIMITS.issues + 10 }, (_, i) => ({
      code: 'manifest/note',
      severity: 'warning',
      message: `w${i}`,
      file: 'registry/a.yaml',
      line: i + 1,
    }))
    const error: Issue = {
      code: 'z/last',
      severity: 'error',
      message: 'x'.repeat(5000),
      file: 'registry/z.yaml',
      line: 0,
    }
    const report = buildReport(input({ issues: [...warnings, error] }))
    expect(report.truncated).toBe(true)
    expect(report.issues).toHaveLength(REPORT_LIMITS.issues)
    const kept = report.issues.find((i) => i.code === 'z/last')
    expect(kept?.message).toHaveLength(REPORT_LIMITS.message)
    expect(kept?.line).toBeUndefined()
    expect(report.ok).toBe(false)
    expect(report.labels[0]).toBe('validation-failed')
    expect(parseReport(JSON.stringify(report)).issues).toEqual([])
  })

  it('fails on an unsafe scan or a bad blob even without issues', () => {
    const scan = buildReport(
      input({
        scans: [
          {
            manifest: 'registry/m.yaml',
            sha256: 'c'.repeat(64),
            result: {
              path: 'a.pkl',
              format: 'pickle',
              verdict: 'unsafe',
              verifiedFormat: false,
              findings: [],
            },
          },
        ],
      }),
    )
    expect(scan.ok).toBe(false)
    expect(scan.labels).toEqual(['validation-failed', 'scan-failed'])
    const blob = buildReport(
      input({
        blobs: [
          {
            path: 'a',
            manifest: 'registry/m.yaml',
            sha256: 'c'.repeat(64),
            size: 1,
            status: 'hash-mismatch',
          },
        ],
      }),
    )
    expect(blob.labels).toEqual(['validation-failed', 'blob-missing'])
  })
})

import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { decideLabels, isAgoraLabel, LABEL_INFO, LABELS } from './labels.ts'
import type { ValidationReport } from './report-schema.ts'

const passing = JSON.parse(
  readFileSync(new URL('__fixtures__/report-pass.json', import.meta.url), 'utf8'),
) as ValidationReport

function report(change: (r: ValidationReport) => void): ValidationReport {
  const copy = structuredClone(passing)
  change(copy)
  return copy
}

const error = (code: string) => ({ code, severity: 'error' as const, message: 'm' })

describe('core/github/labels', () => {
  it('lets an owner’s passing version bump auto-merge', () => {
    expect(decideLabels(passing)).toEqual(['validation-passed', 'auto-merge'])
  })

  it('sends a new item to review', () => {
    const r = report((r) => {
      r.changes.onlyAddsVersions = false
      r.changes.items = r.changes.items.map((i) => ({ ...i, added: true }))
    })
    expect(decideLabels(r)).toEqual(['validation-passed', 'needs-review'])
  })

  it('never auto-merges new namespaces or ownership changes', () => {
    const ns = report((r) => {
      r.changes.newNamespaces = ['newco']
    })
    expect(decideLabels(ns)).toEqual(['validation-passed', 'needs-review', 'new-namespace'])
    const owners = report((r) => {
      r.changes.ownershipChanges = ['acme/tox-gnn']
    })
    expect(decideLabels(owners)).toEqual(['validation-passed', 'needs-review', 'ownership-change'])
  })

  it('maps failing checks to their labels', () => {
    const r = report((r) => {
      r.ok = false
      r.issues = [
        error('change/author-not-authorized'),
        error('change/released-version-modified'),
        error('change/outside-registry'),
      ]
      r.scans = r.scans.map((s) => ({ ...s, verdict: 'unsafe' }))
      r.blobs = r.blobs.map((b) => ({ ...b, status: 'missing' }))
    })
    expect(decideLabels(r)).toEqual([
      'validation-failed',
      'needs-review',
      'author-not-authorized',
      'scan-failed',
      'blob-missing',
      'immutability-breach',
      'outside-registry',
    ])
  })

  it('ignores codes of warnings and does not trust a report from changed validation code', () => {
    const warned = report((r) => {
      r.issues = [{ ...error('change/author-not-authorized'), severity: 'warning' }]
    })
    expect(decideLabels(warned)).toEqual(['validation-passed', 'auto-merge'])
    expect(decideLabels(passing, { trusted: false })).toEqual([
      'validation-passed',
      'needs-review',
      'outside-registry',
    ])
  })

  it('fails a report whose ok is false even without error issues', () => {
    expect(
      decideLabels(
        report((r) => {
          r.ok = false
        }),
      ),
    ).toEqual(['validation-failed'])
  })

  it('describes every label and recognises only its own', () => {
    expect(Object.keys(LABEL_INFO).sort()).toEqual([...LABELS].sort())
    expect(isAgoraLabel('auto-merge')).toBe(true)
    expect(isAgoraLabel('bug')).toBe(false)
  })
})

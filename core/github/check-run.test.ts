import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { annotationsOf, conclusionOf, isRepositoryPath } from './check-run.ts'
import type { ValidationReport } from './report-schema.ts'

const report = JSON.parse(
  readFileSync(new URL('__fixtures__/report-hostile.json', import.meta.url), 'utf8'),
) as ValidationReport

describe('core/github/check-run', () => {
  it('places issues at their line and column, and failed scans at their manifest', () => {
    expect(annotationsOf(report)).toEqual([
      expect.objectContaining({
        path: 'registry/models/ac/acme/tox-gnn/item.yaml',
        start_line: 3,
        end_line: 3,
        start_column: 5,
        end_column: 5,
        annotation_level: 'failure',
        title: 'registry/not-owner',
      }),
      expect.objectContaining({
        path: 'registry/models/ac/acme/tox-gnn/versions/2.0.0.yaml',
        start_line: 1,
        title: 'scan/pickle-global',
      }),
    ])
  })

  it('leaves out annotations GitHub could not place', () => {
    const odd = {
      ...report,
      issues: [
        '../outside.yaml',
        '/etc/passwd',
        'registry//x.yaml',
        'registry/./x.yaml',
        'a\\b',
      ].map((file) => ({ code: 'x/y', severity: 'error' as const, message: 'm', file, line: 1 })),
      scans: [],
    }
    expect(annotationsOf(odd)).toEqual([])
    expect(isRepositoryPath('registry/owners/acme.yaml')).toBe(true)
  })

  it('concludes neutral whenever the report cannot be trusted', () => {
    expect(conclusionOf(['validation-passed'], true)).toBe('success')
    expect(conclusionOf(['validation-failed'], true)).toBe('failure')
    expect(conclusionOf(['validation-passed'], false)).toBe('neutral')
    expect(conclusionOf(['validation-failed'], false)).toBe('neutral')
  })
})

import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { MAX_REPORT_BYTES, parseReport, REPORT_LIMITS } from './report-schema.ts'

const passing = readFileSync(new URL('__fixtures__/report-pass.json', import.meta.url), 'utf8')

function mutate(change: (report: Record<string, unknown>) => void): string {
  const report = JSON.parse(passing) as Record<string, unknown>
  change(report)
  return JSON.stringify(report)
}

describe('core/github/report-schema', () => {
  it('reads a report the validate action wrote, from text or bytes', () => {
    expect(parseReport(passing).issues).toEqual([])
    expect(parseReport(Buffer.from(passing)).value?.pullRequest.number).toBe(7)
  })

  it.each([
    [
      'an unknown top-level field',
      (r: Record<string, unknown>) => {
        r.extra = 1
      },
      /must NOT have additional properties \(extra\)/,
    ],
    [
      'an unknown nested field',
      (r: Record<string, unknown>) => {
        ;(r.pullRequest as Record<string, unknown>).merge = true
      },
      /\/pullRequest must NOT have additional properties \(merge\)/,
    ],
    [
      'another version',
      (r: Record<string, unknown>) => {
        r.version = 2
      },
      /\/version must be equal to constant/,
    ],
    [
      'a message over its cap',
      (r: Record<string, unknown>) => {
        r.issues = [
          { code: 'a/b', severity: 'error', message: 'x'.repeat(REPORT_LIMITS.message + 1) },
        ]
      },
      /\/issues\/0\/message must NOT have more than 2000 characters/,
    ],
    [
      'a label outside the taxonomy',
      (r: Record<string, unknown>) => {
        r.labels = ['lgtm']
      },
      /\/labels\/0 must be equal to one of the allowed values/,
    ],
    [
      'a head that is not a commit id',
      (r: Record<string, unknown>) => {
        ;(r.pullRequest as Record<string, unknown>).headSha = 'main'
      },
      /\/pullRequest\/headSha must match pattern/,
    ],
    [
      'an author that is not a GitHub login',
      (r: Record<string, unknown>) => {
        ;(r.pullRequest as Record<string, unknown>).author = '@everyone x'
      },
      /\/pullRequest\/author must match pattern/,
    ],
    [
      'too many issues',
      (r: Record<string, unknown>) => {
        r.issues = Array.from({ length: REPORT_LIMITS.issues + 1 }, () => ({
          code: 'a/b',
          severity: 'error',
          message: 'm',
        }))
      },
      /\/issues must NOT have more than 1000 items/,
    ],
  ])('refuses %s', (_name, change, message) => {
    const { value, issues } = parseReport(mutate(change))
    expect(value).toBeUndefined()
    expect(issues).toHaveLength(1)
    expect(issues[0]).toMatchObject({
      code: 'github/report-invalid',
      severity: 'error',
      file: 'agora-report.json',
    })
    expect(issues[0]?.message).toMatch(message)
    expect(issues[0]?.hint).toBeTruthy()
  })

  it('refuses a file over the size cap before parsing it', () => {
    const { value, issues } = parseReport(' '.repeat(MAX_REPORT_BYTES + 1))
    expect(value).toBeUndefined()
    expect(issues[0]?.code).toBe('github/report-too-large')
  })

  it('refuses text that is not JSON, with the error text', () => {
    const { issues } = parseReport('{"version": 1,', 'artifact/agora-report.json')
    expect(issues[0]).toMatchObject({
      code: 'github/report-not-json',
      file: 'artifact/agora-report.json',
    })
    expect(issues[0]?.message).toMatch(/^artifact\/agora-report\.json is not JSON: /)
  })

  it('refuses prototype tricks as unknown fields', () => {
    const { issues } = parseReport(
      passing.replace('"ok": true', '"ok": true, "__proto__": {"ok": false}'),
    )
    expect(issues[0]?.code).toBe('github/report-invalid')
  })
})

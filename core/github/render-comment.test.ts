import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { COMMENT_MARKER, MAX_BODY_CHARS, renderComment, renderSummary } from './render-comment.ts'
import { parseReport, type ValidationReport } from './report-schema.ts'

function fixture(name: string): ValidationReport {
  const { value } = parseReport(readFileSync(new URL(`__fixtures__/${name}`, import.meta.url)))
  if (!value) throw new Error(`bad fixture ${name}`)
  return value
}

describe('core/github/render-comment', () => {
  it('renders the passing report with its marker, verdict, labels and next step', () => {
    const body = renderComment(fixture('report-pass.json'), {
      runUrl: 'https://github.com/acme/hub/actions/runs/5',
    })
    expect(body.startsWith(`${COMMENT_MARKER}\n### ✅ Agora validation passed`)).toBe(true)
    expect(body).toContain('**Labels:** `validation-passed` `auto-merge`')
    expect(body).toContain('merges without review')
    expect(body).toContain('([workflow run](https://github.com/acme/hub/actions/runs/5))')
    expect(body).toContain('| `acme/tox-gnn` | edit | `1.1.0` | 1 |')
    expect(body).toContain('1 of 1 listed files are in storage')
  })

  it('renders hostile strings inert', () => {
    const body = renderComment(fixture('report-hostile.json'))
    expect(body).not.toMatch(/(^|[^`])@everyone/)
    expect(body).not.toMatch(/@here/)
    expect(body).not.toMatch(/<img|<script/)
    expect(body).not.toMatch(/\]\(javascript/)
    expect(body).not.toMatch(/https:\/\/evil|www\.evil/)
    expect(body.split(COMMENT_MARKER)).toHaveLength(2)
    expect(body).toMatchSnapshot()
  })

  it('drops a run link that is not a plain https URL', () => {
    const body = renderComment(fixture('report-pass.json'), { runUrl: 'javascript:alert(1)' })
    expect(body).not.toContain('javascript')
  })

  it('fits GitHub’s body limit however many problems there are', () => {
    const report = fixture('report-pass.json')
    report.issues = Array.from({ length: 1000 }, (_, i) => ({
      code: 'manifest/x',
      severity: 'error' as const,
      message: 'y'.repeat(2000),
      hint: 'z'.repeat(1000),
      file: `registry/f${i}.yaml`,
      line: 1,
    }))
    report.ok = false
    const body = renderComment(report)
    expect(body.length).toBeLessThanOrEqual(MAX_BODY_CHARS)
    expect(body).toContain('_Cut to fit GitHub’s comment size; the check run lists every problem._')
    const short = {
      ...report,
      issues: report.issues.map((i) => ({ ...i, message: 'm', hint: 'h' })),
    }
    expect(renderComment(short)).toContain('… and 950 more, listed in the check run.')
    expect(renderSummary(report).length).toBeLessThanOrEqual(MAX_BODY_CHARS + 1)
  })

  it('writes a step summary without the marker', () => {
    const summary = renderSummary(fixture('report-hostile.json'))
    expect(summary.startsWith('## Agora validation: failed')).toBe(true)
    expect(summary).not.toContain(COMMENT_MARKER)
    expect(summary).not.toMatch(/<img|<script/)
  })
})

import { execFile } from 'node:child_process'
import { createHash } from 'node:crypto'
import { cp, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { type StartedHub, startLocalHub } from '../../scripts/start.ts'
import { launchBrowser, PROJECT_ROOT, phoneContext, phoneOverflow, watchErrors } from './harness.ts'

// The buyer's whole path on the hub `npm start` serves, started by the same
// code (startLocalHub) over a copy of the sample registry: the Buy button,
// the local fake checkout, the licence it issues, and `agora pull` with it.
const LORA = { path: 'loras/inkwell/noir-voice-mistral-7b', shard: 'in' }

let dir: string
let started: StartedHub
let browser: Browser
let context: BrowserContext
let errors: string[]
/** Pages the buyer reached, for the phone check. */
const visited: { checkout?: string; success?: string } = {}
let licenceFile: string
/** What the start printed. */
const startLog: string[] = []

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'agora-buy-e2e-'))
  await cp(join(PROJECT_ROOT, 'registry'), join(dir, 'registry'), { recursive: true })
  started = await startLocalHub({
    repoRoot: dir,
    outDir: join(dir, 'dist'),
    stateDir: join(dir, 'state'),
    port: 0,
    licencePort: 0,
    log: (line) => startLog.push(line),
  })
  browser = await launchBrowser()
  context = await browser.newContext({ acceptDownloads: true })
  errors = watchErrors(context)
})

afterAll(async () => {
  await browser?.close()
  await started?.close()
  if (dir) await rm(dir, { recursive: true, force: true })
})

function agora(
  args: string[],
  cwd: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      [join(PROJECT_ROOT, 'scripts/agora.ts'), ...args],
      { cwd, env: { ...process.env, NO_COLOR: '1', AGORA_INDEX_URL: '', AGORA_LICENCE: '' } },
      (error, stdout, stderr) =>
        done({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    )
  })
}

/** The paid files of the LoRA's version, as its manifest lists them. */
async function paidFiles(): Promise<{ path: string; sha256: string }[]> {
  const file = join(
    dir,
    'registry',
    LORA.path.replace('/', `/${LORA.shard}/`),
    'versions/1.0.0.yaml',
  )
  const version = parse(await readFile(file, 'utf8')) as {
    files: { path: string; sha256: string; private?: boolean }[]
  }
  return version.files.filter((f) => f.private)
}

describe('site/e2e/buy', () => {
  it("builds the static hosts' rules without printing their limits, which concern a deploy", async () => {
    expect(
      startLog.some((line) => line.startsWith('Hugging Face protocol for static hosts:')),
    ).toBe(true)
    expect(startLog.filter((line) => line.includes('only if deployed to that host'))).toEqual([])
  })
  it('buys a paid LoRA: Buy, the test-mode checkout, the success page and its licence', async () => {
    const page = await context.newPage()
    await page.goto(`${started.hub.url}/${LORA.path}/`)
    expect(await page.locator('[data-test-mode]').textContent()).toMatch(/Test mode/)
    const buy = page.locator('a#buy')
    expect(await buy.getAttribute('href')).toMatch(
      new RegExp(`^${started.payments.url}/checkout/plink_`),
    )
    await buy.click()
    await page.waitForURL(`${started.payments.url}/checkout/plink_*`)
    visited.checkout = page.url()
    expect(await page.locator('[data-test-mode]').textContent()).toMatch(/Test mode/)
    expect(await page.locator('[data-item]').textContent()).toBe('Noir Voice LoRA (Mistral 7B)')
    expect(await page.locator('[data-price]').textContent()).toBe('$9.00')
    expect(await page.locator('[data-split]').textContent()).toBe(
      'seller inkwell gets $8.10, hub fee $0.90 (10%)',
    )

    await page.locator('#pay').click()
    await page.waitForURL(`${started.payments.url}/checkout/success?session_id=cs_test_*`)
    visited.success = page.url()
    expect(await page.locator('[data-status]').textContent()).toMatch(
      /Your licence for .* is ready/,
    )
    const id = await page.locator('[data-licence-id]').textContent()
    expect(id).toMatch(/^lic_[0-9a-f]{32}$/)
    expect(await page.locator('[data-command]').textContent()).toBe(
      `npx agora pull ${LORA.path} --index ${started.hub.url} --licence ~/Downloads/${id}.licence`,
    )
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.locator('#download-licence').click(),
    ])
    expect(download.suggestedFilename()).toBe(`${id}.licence`)
    licenceFile = join(dir, `${id}.licence`)
    await download.saveAs(licenceFile)
    const envelope = JSON.parse(await readFile(licenceFile, 'utf8')) as { alg: string }
    expect(envelope.alg).toBe('ed25519')
    await page.close()
    expect(errors).toEqual([])
  })

  it('pulls the paid files with the downloaded licence, each matching its SHA-256', async () => {
    const work = join(dir, 'work')
    await mkdir(work, { recursive: true })
    const pulled = await agora(
      [
        'pull',
        LORA.path,
        '--index',
        started.hub.url,
        '--licence',
        licenceFile,
        '--cache',
        join(dir, 'cache'),
        '--to',
        join(work, 'lora'),
      ],
      work,
    )
    expect(pulled.stderr).not.toMatch(/error/i)
    expect(pulled.code).toBe(0)
    const paid = await paidFiles()
    expect(paid.length).toBeGreaterThan(0)
    for (const file of paid) {
      const bytes = await readFile(join(work, 'lora', file.path))
      expect(createHash('sha256').update(bytes).digest('hex'), file.path).toBe(file.sha256)
    }
  })

  it('fits the fake checkout and the success page on a 390 px phone screen', async () => {
    const phone = await phoneContext(browser)
    const page: Page = await phone.newPage()
    for (const url of [visited.checkout, visited.success] as string[]) {
      await page.goto(url)
      expect(await phoneOverflow(page), url).toBe('')
      const button = await page.locator('button').first().boundingBox()
      expect(button && button.x + button.width, url).toBeLessThanOrEqual(390)
    }
    await phone.close()
  })
  it('revokes the licence on a refund: the service refuses it and `agora licence verify` says revoked', async () => {
    const page = await context.newPage()
    await page.goto(visited.success as string)
    await page.locator('#refund').click()
    await page.waitForURL(`${started.payments.url}/checkout/success?session_id=cs_test_*`)
    expect(await page.locator('[data-status]').textContent()).toMatch(
      /refunded: licence lic_[0-9a-f]{32} is revoked/,
    )
    await page.close()

    const work = join(dir, 'work')
    // Before the list is refreshed, the offline check cannot know.
    const cache = join(dir, 'cache-after-refund')
    const refused = await agora(
      ['pull', LORA.path, '--index', started.hub.url, '--licence', licenceFile, '--cache', cache],
      work,
    )
    expect(refused.code).not.toBe(0)
    expect(refused.stderr).toMatch(/revoked/)
    // That pull refreshed the signed revocation list into the cache.
    const verified = await agora(
      ['licence', 'verify', licenceFile, '--index', started.hub.url, '--cache', cache],
      work,
    )
    expect(verified.code).toBe(1)
    expect(verified.stdout + verified.stderr).toMatch(/licence\/revoked/)
  })
})

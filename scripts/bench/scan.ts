/**
 * Times `agora scan` on the two files the pull-request check meets most:
 *
 * - a 1 GiB safetensors file: the goal is at most 50 ms, since only the
 *   8-byte length and the JSON header are read. Beside it, for context, the
 *   time to read the whole 1 GiB (in-process and with `cat`), and a bare
 *   Node start (the command as a process pays that on top).
 * - a 200 MB zip-based PyTorch file (torch.save layout: archive/data.pkl plus
 *   50 stored tensor entries): the goal is at most 1.5× of `unzip -t`, the
 *   peer that reads the same archive end to end.
 *
 *   ./node_modules/.bin/node scripts/bench/scan.ts [--runs 5] [--keep]
 */

import { spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { mkdtemp, open, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { scanPath } from '#core/scan'
import { buildZip, concat, latin1 } from '../../core/scan/__fixtures__/build.ts'

const here = dirname(fileURLToPath(import.meta.url))
const agora = join(here, '..', 'agora.ts')
const node = process.execPath
const MiB = 1024 * 1024

const { values } = parseArgs({ options: { runs: { type: 'string' }, keep: { type: 'boolean' } } })
const runs = Number(values.runs ?? 5)

function median(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)] as number
}

async function timeAsync(fn: () => Promise<unknown>): Promise<number> {
  const samples: number[] = []
  for (let i = 0; i < runs; i++) {
    const start = performance.now()
    await fn()
    samples.push(performance.now() - start)
  }
  return median(samples)
}

function timeProcess(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
): number {
  const samples: number[] = []
  for (let i = 0; i < runs; i++) {
    const start = performance.now()
    const result = spawnSync(command, args, { stdio: ['ignore', 'ignore', 'pipe'], env })
    samples.push(performance.now() - start)
    if (result.status !== 0) {
      throw new Error(`${command} ${args.join(' ')} exited ${result.status}: ${result.stderr}`)
    }
  }
  return median(samples)
}

async function readAll(path: string): Promise<void> {
  for await (const _ of createReadStream(path, { highWaterMark: 4 * MiB })) {
    // Only the reading is timed.
  }
}

/** A safetensors file of `tensors` F32 [1024, 1024] tensors (4 MiB each) of random bytes. */
async function writeSafetensors(path: string, tensors: number): Promise<void> {
  const header: Record<string, unknown> = { __metadata__: { format: 'pt' } }
  for (let i = 0; i < tensors; i++) {
    header[`model.layers.${i}.weight`] = {
      dtype: 'F32',
      shape: [1024, 1024],
      data_offsets: [i * 4 * MiB, (i + 1) * 4 * MiB],
    }
  }
  const json = Buffer.from(JSON.stringify(header))
  const length = Buffer.alloc(8)
  length.writeBigUInt64LE(BigInt(json.length))
  const file = await open(path, 'w')
  try {
    await file.write(length)
    await file.write(json)
    const chunk = randomBytes(64 * MiB)
    for (let written = 0; written < tensors * 4 * MiB; written += chunk.length)
      await file.write(chunk)
  } finally {
    await file.close()
  }
}

/** A torch.save-style zip: a state-dict pickle naming `count` storages, each a stored entry. */
function torchZipOf(count: number, entrySize: number): Uint8Array {
  const parts: (Uint8Array | string | number[])[] = [[0x80, 0x02], '}(']
  for (let i = 0; i < count; i++) {
    const name = `layers.${i}.weight`
    parts.push(
      'X',
      le32(name.length),
      name,
      'ctorch._utils\n_rebuild_tensor_v2\n((X',
      le32(7),
      'storage',
    )
    parts.push(
      'ctorch\nFloatStorage\n',
      'X',
      le32(String(i).length),
      String(i),
      'X',
      le32(3),
      'cpu',
    )
    parts.push(
      'J',
      le32(entrySize / 4),
      'tQK\x00J',
      le32(entrySize / 4),
      [0x85],
      'K\x01',
      [0x85],
      [0x89],
    )
    parts.push('ccollections\nOrderedDict\n)RtR')
  }
  parts.push('u.')
  const pickle = concat(...parts)
  const entries = [{ name: 'archive/data.pkl', data: pickle }]
  const tensor = randomBytes(entrySize)
  for (let i = 0; i < count; i++) {
    // Each entry differs in its first bytes so no two are alike, as real tensors are.
    const data = new Uint8Array(tensor)
    data.set(latin1(String(i).padStart(8, '0')))
    entries.push({ name: `archive/data/${i}`, data })
  }
  entries.push({ name: 'archive/version', data: latin1('3\n') })
  return buildZip(entries)
}

function le32(n: number): Uint8Array {
  const b = new Uint8Array(4)
  new DataView(b.buffer).setUint32(0, n, true)
  return b
}

const dir = await mkdtemp(join(tmpdir(), 'agora-bench-scan-'))
try {
  console.log(`runs per figure: ${runs} (median)`)

  const safetensorsPath = join(dir, 'model.safetensors')
  await writeSafetensors(safetensorsPath, 256)
  const st = await scanPath(safetensorsPath)
  if (st.verdict !== 'safe' || st.tensors?.length !== 256)
    throw new Error(`unexpected scan result: ${st.verdict}`)
  const stScan = await timeAsync(() => scanPath(safetensorsPath))
  const stCli = timeProcess(node, [agora, 'scan', safetensorsPath])
  // Node's compile cache keeps the type-stripped, compiled modules between runs.
  const cached = { ...process.env, NODE_COMPILE_CACHE: join(dir, 'compile-cache') }
  timeProcess(node, [agora, 'scan', safetensorsPath], cached)
  const stCliCached = timeProcess(node, [agora, 'scan', safetensorsPath], cached)
  const nodeStart = timeProcess(node, ['-e', '0'])
  const stRead = await timeAsync(() => readAll(safetensorsPath))
  const stCat = timeProcess('sh', ['-c', `cat "${safetensorsPath}" > /dev/null`])
  console.log('\n1 GiB safetensors (256 tensors):')
  console.log(`  scanPath (in-process)      ${stScan.toFixed(2)} ms   goal <= 50 ms`)
  console.log(
    `  agora scan (process)       ${stCli.toFixed(1)} ms   of which a bare Node start is ${nodeStart.toFixed(1)} ms`,
  )
  console.log(`  agora scan (process, NODE_COMPILE_CACHE warm)  ${stCliCached.toFixed(1)} ms`)
  console.log(
    `  floor: read 1 GiB (Node)   ${stRead.toFixed(1)} ms   ratio scan/read ${(stScan / stRead).toFixed(4)}`,
  )
  console.log(
    `  floor: cat 1 GiB           ${stCat.toFixed(1)} ms   ratio scan/cat ${(stScan / stCat).toFixed(4)}`,
  )
  await rm(safetensorsPath)

  const torchPath = join(dir, 'pytorch_model.pt')
  await writeFile(torchPath, torchZipOf(50, 4 * 1000 * 1000))
  const pt = await scanPath(torchPath)
  if (pt.format !== 'pytorch-zip' || pt.verdict !== 'safe')
    throw new Error(`unexpected scan result: ${pt.format} ${pt.verdict}`)
  const ptScan = await timeAsync(() => scanPath(torchPath))
  const ptCli = timeProcess(node, [agora, 'scan', torchPath])
  const ptCliCached = timeProcess(node, [agora, 'scan', torchPath], cached)
  const unzip = timeProcess('unzip', ['-tqq', torchPath])
  console.log('\n200 MB zip-based torch file (50 stored tensors + data.pkl):')
  console.log(`  scanPath (in-process)      ${ptScan.toFixed(2)} ms`)
  console.log(`  agora scan (process)       ${ptCli.toFixed(1)} ms   goal <= 1.5x unzip -t`)
  console.log(
    `  agora scan (process, NODE_COMPILE_CACHE warm)  ${ptCliCached.toFixed(1)} ms   ratio agora/unzip ${(ptCliCached / unzip).toFixed(3)}`,
  )
  console.log(
    `  peer: unzip -t             ${unzip.toFixed(1)} ms   ratio agora/unzip ${(ptCli / unzip).toFixed(3)}`,
  )
} finally {
  if (values.keep) console.log(`kept ${dir}`)
  else await rm(dir, { recursive: true, force: true })
}

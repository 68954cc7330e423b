import { createHash, createPrivateKey, createPublicKey, sign, verify } from 'node:crypto'
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join, relative, sep } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { beforeAll, describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { blobKey } from '#core/blobs'
import { parseSmiles } from '#core/chem'
import { hasErrors } from '#core/errors'
import type { HubConfig, ItemManifest, LoraVersion } from '#core/manifest'
import { KINDS, kindPlural } from '#core/names'
import { validateRegistry } from '#core/registry'
import { checkPeftAdapter } from '#core/scan'
import { sampleArtifacts, writeSampleBlobs, writeSampleFiles } from '../gen-sample.ts'
import type { SampleArtifact, SampleHub } from './build.ts'
import { molecularWeight } from './chem.ts'
import { readGgufHeader } from './gguf.ts'
import { float16Bits } from './half.ts'
import { sampleSigningKey } from './hub.ts'
import { buildSampleHub } from './index.ts'
import { createRng } from './prng.ts'
import { readSafetensorsHeader } from './safetensors.ts'

const repoRoot = fileURLToPath(new URL('../..', import.meta.url))
const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex')
const text = (b: Uint8Array): string => new TextDecoder().decode(b)

let hub: SampleHub
let docs: Map<string, string>
beforeAll(() => {
  hub = buildSampleHub()
  docs = new Map(hub.documents.map((d) => [d.path, d.text]))
})

function itemOf(a: SampleArtifact): ItemManifest {
  const path = [...docs.keys()].find(
    (p) =>
      p.endsWith(`/${a.ref.ns}/${a.ref.name}/item.yaml`) && p.startsWith(kindPlural(a.ref.kind)),
  )
  return parse(docs.get(path ?? '') ?? '') as ItemManifest
}

describe('scripts/gen-sample', () => {
  it('generates the same bytes on every run', () => {
    const again = buildSampleHub()
    expect(again.documents).toEqual(hub.documents)
    const digest = (h: SampleHub) =>
      h.artifacts.map(
        (a) =>
          `${a.ref.ns}/${a.ref.name}@${a.version}:${a.files.map((f) => `${f.path}=${sha(f.bytes)}`).join(',')}`,
      )
    expect(digest(again)).toEqual(digest(hub))
  })

  it('matches the committed registry/ exactly, with no stale files', async () => {
    const registry = join(repoRoot, 'registry')
    for (const [path, expected] of docs) {
      expect(await readFile(join(registry, path), 'utf8'), path).toBe(expected)
    }
    const walk = async (dir: string): Promise<string[]> => {
      const entries = await readdir(dir, { withFileTypes: true }).catch(() => [])
      const nested = await Promise.all(
        entries.map((e) => (e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)])),
      )
      return nested.flat()
    }
    for (const top of ['owners', ...KINDS.map(kindPlural)]) {
      for (const file of await walk(join(registry, top))) {
        const rel = relative(registry, file).split(sep).join('/')
        expect(docs.has(rel), `${rel} is not generated`).toBe(true)
      }
    }
  })

  it('has at least 60 items across every kind and at least 8 owners', () => {
    const items = [...docs.keys()].filter((p) => p.endsWith('/item.yaml'))
    expect(items.length).toBeGreaterThanOrEqual(60)
    for (const kind of KINDS)
      expect(
        items.some((p) => p.startsWith(`${kindPlural(kind)}/`)),
        kind,
      ).toBe(true)
    expect([...docs.keys()].filter((p) => p.startsWith('owners/')).length).toBeGreaterThanOrEqual(8)
  })

  it('starts every YAML document with a schema header that resolves to registry/schemas', () => {
    for (const [path, body] of docs) {
      if (!path.endsWith('.yaml')) continue
      const m = /^# yaml-language-server: \$schema=(\S+)\n/.exec(body)
      expect(m, path).not.toBeNull()
      const target = join('registry', path, '..', m?.[1] ?? '')
      expect(target.split(sep).join('/')).toMatch(
        /^registry\/schemas\/(hub|owner|item|version|result)\.schema\.json$/,
      )
    }
  })

  it('dates every result after both the evaluated version and the benchmark version', () => {
    const released = new Map<string, string>()
    for (const [path, body] of docs) {
      const m = /^([a-z]+)s\/[^/]+\/([^/]+)\/([^/]+)\/versions\/(.+)\.yaml$/.exec(path)
      if (m)
        released.set(
          `${m[1]}/${m[2]}/${m[3]}@${m[4]}`,
          String((parse(body) as { released: string }).released),
        )
    }
    let checked = 0
    for (const [path, body] of docs) {
      const m = /^([a-z]+)s\/[^/]+\/([^/]+)\/([^/]+)\/results\//.exec(path)
      if (!m) continue
      const r = parse(body) as {
        benchmark: string
        benchmark_version: string
        version: string
        date: string
      }
      const item = released.get(`${m[1]}/${m[2]}/${m[3]}@${r.version}`)
      const bench = released.get(
        `${r.benchmark.replace(/^benchmarks\//, 'benchmark/')}@${r.benchmark_version}`,
      )
      expect(item, path).toBeDefined()
      expect(bench, path).toBeDefined()
      expect(
        r.date >= (item ?? '') && r.date >= (bench ?? ''),
        `${path}: ${r.date} vs ${item}, ${bench}`,
      ).toBe(true)
      checked++
    }
    expect(checked).toBeGreaterThanOrEqual(15)
  })

  it('gives every version file the size and sha256 of its bytes', () => {
    let checked = 0
    for (const a of hub.artifacts) {
      const path = [...docs.keys()].find(
        (p) =>
          p.startsWith(kindPlural(a.ref.kind)) &&
          p.endsWith(`/${a.ref.ns}/${a.ref.name}/versions/${a.version}.yaml`),
      )
      const manifest = parse(docs.get(path ?? '') ?? '') as {
        files: { path: string; size: number; sha256: string; private?: boolean }[]
      }
      expect(manifest.files.map((f) => f.path)).toEqual(a.files.map((f) => f.path))
      for (const f of a.files) {
        const entry = manifest.files.find((e) => e.path === f.path)
        expect(entry?.size, f.path).toBe(f.bytes.length)
        expect(entry?.sha256, f.path).toBe(sha(f.bytes))
        const paid = itemOf(a).pricing !== undefined && itemOf(a).pricing?.model !== 'free'
        expect(entry?.private === true, `${a.ref.name}/${f.path} private`).toBe(paid)
        checked++
      }
    }
    expect(checked).toBeGreaterThan(150)
  })

  it('writes safetensors whose headers parse with exact, contiguous offsets', () => {
    const files = hub.artifacts.flatMap((a) =>
      a.files.filter((f) => f.path.endsWith('.safetensors')),
    )
    expect(files.length).toBeGreaterThan(40)
    for (const f of files) {
      const header = readSafetensorsHeader(f.bytes)
      expect((8 + header.headerLength) % 8, f.path).toBe(0)
      expect(f.bytes[8], f.path).toBe(0x7b)
      expect(header.tensors.length).toBeGreaterThan(0)
      expect(header.metadata.format).toBeTypeOf('string')
    }
  })

  it('refuses a safetensors file whose offsets do not match its shapes', () => {
    const json = JSON.stringify({ w: { dtype: 'F32', shape: [2, 2], data_offsets: [0, 12] } })
    const bytes = new Uint8Array(8 + json.length + 12)
    new DataView(bytes.buffer).setBigUint64(0, BigInt(json.length), true)
    bytes.set(new TextEncoder().encode(json), 8)
    expect(() => readSafetensorsHeader(bytes)).toThrow(/do not match shape/)
  })

  it('indexes sharded checkpoints: weight_map names each tensor once, total_size is exact', () => {
    const sharded = hub.artifacts.filter((a) =>
      a.files.some((f) => f.path === 'model.safetensors.index.json'),
    )
    expect(sharded.length).toBeGreaterThanOrEqual(5)
    for (const a of sharded) {
      const index = JSON.parse(
        text(
          a.files.find((f) => f.path === 'model.safetensors.index.json')?.bytes ?? new Uint8Array(),
        ),
      ) as { metadata: { total_size: number }; weight_map: Record<string, string> }
      let total = 0
      const seen = new Map<string, string>()
      for (const f of a.files.filter((x) => /^model-\d{5}-of-\d{5}\.safetensors$/.test(x.path))) {
        const h = readSafetensorsHeader(f.bytes)
        total += h.dataLength
        for (const t of h.tensors) seen.set(t.name, f.path)
      }
      expect(Object.fromEntries(seen), a.ref.name).toEqual(index.weight_map)
      expect(total).toBe(index.metadata.total_size)
    }
  })

  it('writes GGUF v3 with aligned tensor data inside the file', () => {
    const ggufs = hub.artifacts.flatMap((a) => a.files.filter((f) => f.path.endsWith('.gguf')))
    expect(ggufs.length).toBeGreaterThanOrEqual(1)
    for (const f of ggufs) {
      const h = readGgufHeader(f.bytes)
      expect(h.version).toBe(3)
      expect(h.metadata['general.architecture']).toBe('llama')
      expect(h.dataOffset % 32).toBe(0)
      for (const t of h.tensors) {
        expect(t.offset % 32).toBe(0)
        const n = t.dims.reduce((x, y) => x * y, 1)
        const size = t.type === 0 ? n * 4 : t.type === 2 ? (n / 32) * 18 : (n / 32) * 34
        expect(h.dataOffset + t.offset + size, t.name).toBeLessThanOrEqual(f.bytes.length)
      }
    }
  })

  it('writes ONNX models whose initializers match their declared shapes', () => {
    type Field = { field: number; wire: number; value: bigint | Uint8Array }
    const decode = (b: Uint8Array): Field[] => {
      const out: Field[] = []
      let at = 0
      const varint = (): bigint => {
        let v = 0n
        let shift = 0n
        for (;;) {
          const byte = b[at++] ?? 0
          v |= BigInt(byte & 0x7f) << shift
          if (!(byte & 0x80)) return v
          shift += 7n
        }
      }
      while (at < b.length) {
        const tag = Number(varint())
        const wire = tag & 7
        if (wire === 0) out.push({ field: tag >> 3, wire, value: varint() })
        else if (wire === 2) {
          const n = Number(varint())
          out.push({ field: tag >> 3, wire, value: b.subarray(at, at + n) })
          at += n
        } else throw new Error(`unexpected wire type ${wire}`)
      }
      return out
    }
    const onnx = hub.artifacts.flatMap((a) => a.files.filter((f) => f.path.endsWith('.onnx')))
    expect(onnx.length).toBeGreaterThanOrEqual(1)
    for (const f of onnx) {
      const model = decode(f.bytes)
      expect(model[0]).toEqual({ field: 1, wire: 0, value: 8n })
      const graph = decode(model.find((x) => x.field === 7)?.value as Uint8Array)
      const ops = graph
        .filter((x) => x.field === 1)
        .map((n) =>
          text(decode(n.value as Uint8Array).find((x) => x.field === 4)?.value as Uint8Array),
        )
      // Dense layers: MatMul + Add each, Relu between them, Sigmoid last.
      expect(ops.join(' ')).toMatch(/^MatMul Add( Relu MatMul Add)* Sigmoid$/)
      for (const init of graph.filter((x) => x.field === 5)) {
        const t = decode(init.value as Uint8Array)
        const dims = t.filter((x) => x.field === 1).map((x) => Number(x.value))
        const raw = t.find((x) => x.field === 9)?.value as Uint8Array
        expect(raw.length).toBe(dims.reduce((x, y) => x * y, 1) * 4)
      }
    }
  })

  it('writes LoRA adapters whose config, tensors and manifest agree', () => {
    const loras = hub.artifacts.filter((a) => a.ref.kind === 'lora')
    expect(loras.length).toBeGreaterThanOrEqual(12)
    for (const a of loras) {
      const config = JSON.parse(
        text(a.files.find((f) => f.path === 'adapter_config.json')?.bytes ?? new Uint8Array()),
      ) as {
        r: number
        target_modules: string[]
        base_model_name_or_path: string
        layers_to_transform: number[] | null
      }
      const weights = a.files.find((f) => f.path === 'adapter_model.safetensors')
      const header = readSafetensorsHeader(weights?.bytes ?? new Uint8Array())
      const modules = new Map<string, { a?: number[]; b?: number[] }>()
      for (const t of header.tensors) {
        const m = /^(.*)\.(lora_A|lora_B)\.weight$/.exec(t.name)
        expect(m, t.name).not.toBeNull()
        const entry = modules.get(m?.[1] ?? '') ?? {}
        if (m?.[2] === 'lora_A') entry.a = t.shape
        else entry.b = t.shape
        modules.set(m?.[1] ?? '', entry)
      }
      for (const [name, pair] of modules) {
        expect(pair.a?.[0], `${name} lora_A rank`).toBe(config.r)
        expect(pair.b?.[1], `${name} lora_B rank`).toBe(config.r)
      }
      const targets = new Set([...modules.keys()].map((k) => k.split('.').pop()))
      expect([...targets].sort()).toEqual([...config.target_modules].sort())
      const item = itemOf(a)
      expect(config.base_model_name_or_path).toBe(item.base_model)
      const path = [...docs.keys()].find(
        (p) =>
          p.startsWith('loras/') &&
          p.endsWith(`/${a.ref.ns}/${a.ref.name}/versions/${a.version}.yaml`),
      )
      const version = parse(docs.get(path ?? '') ?? '') as LoraVersion
      expect(version.r).toBe(config.r)
      expect([...version.target_modules].sort()).toEqual([...config.target_modules].sort())
      const peft = checkPeftAdapter({
        adapterConfig: a.files.find((f) => f.path === 'adapter_config.json')?.bytes ?? '',
        weights: header.tensors,
        manifest: {
          base_model: item.base_model as string,
          r: version.r,
          target_modules: version.target_modules,
        },
      })
      expect(peft.issues, a.ref.name).toEqual([])
    }
  })

  it('writes SD files whose mol blocks have consistent counts lines', () => {
    const sdfs = hub.artifacts.flatMap((a) => a.files.filter((f) => f.path.endsWith('.sdf')))
    expect(sdfs.length).toBeGreaterThanOrEqual(3)
    for (const f of sdfs) {
      for (const record of text(f.bytes)
        .split('$$$$\n')
        .filter((r) => r.trim())) {
        const lines = record.split('\n')
        const counts = lines[3] ?? ''
        expect(counts.endsWith(' V2000'), counts).toBe(true)
        const atoms = Number(counts.slice(0, 3))
        const bonds = Number(counts.slice(3, 6))
        const end = lines.indexOf('M  END')
        const body = lines.slice(4, end).filter((l) => !l.startsWith('M  '))
        expect(body.length, lines[0]).toBe(atoms + bonds)
        const xy = body
          .slice(0, atoms)
          .map((l) => [Number(l.slice(0, 10)), Number(l.slice(10, 20))] as const)
        for (const l of body.slice(atoms)) {
          const a = xy[Number(l.slice(0, 3)) - 1] ?? [0, 0]
          const b = xy[Number(l.slice(3, 6)) - 1] ?? [0, 0]
          const length = Math.hypot(a[0] - b[0], a[1] - b[1])
          expect(length, `${lines[0]} bond ${l}`).toBeGreaterThan(0.7)
          expect(length, `${lines[0]} bond ${l}`).toBeLessThan(2.4)
        }
      }
    }
  })

  it('exports Neural DSL weights that match the layers of the .neural source', () => {
    const models = hub.artifacts.filter((a) => a.files.some((f) => f.path.endsWith('.neural')))
    expect(models.length).toBeGreaterThanOrEqual(4)
    for (const a of models) {
      const source = text(
        a.files.find((f) => f.path.endsWith('.neural'))?.bytes ?? new Uint8Array(),
      )
      const weights = a.files.find((f) => f.path.endsWith('.safetensors'))
      const header = readSafetensorsHeader(weights?.bytes ?? new Uint8Array())
      expect(header.metadata.source).toBe(a.files.find((f) => f.path.endsWith('.neural'))?.path)
      const kernels = (prefix: string) =>
        header.tensors.filter((t) => t.name.startsWith(prefix) && t.name.endsWith('.kernel'))
      const count = (layer: string) =>
        source.split('\n').filter((l) => l.trim().startsWith(`${layer}(`)).length
      expect(kernels('conv2d').length, a.ref.name).toBe(count('Conv2D'))
      expect(kernels('dense').length, a.ref.name).toBe(count('Dense'))
      const out = /Output\(units=(\d+)/.exec(source)
      expect(header.tensors.find((t) => t.name === 'output.bias')?.shape).toEqual([
        Number(out?.[1]),
      ])
      const input = /input: \(([^)]*)\)/
        .exec(source)?.[1]
        ?.split(',')
        .map((x) => x.trim())
        .filter(Boolean)
        .join(',')
      expect(header.metadata.input_shape).toBe(input)
      expect(Number(header.metadata.parameters)).toBe(
        header.tensors.reduce((n, t) => n + t.shape.reduce((x, y) => x * y, 1), 0),
      )
    }
  })

  it('rounds float16 exactly like DataView.setFloat16 on float32 values', () => {
    const view = new DataView(new ArrayBuffer(2))
    const values = [
      0,
      -0,
      1,
      -2.5,
      65504,
      65520,
      1e-8,
      5.96e-8,
      6.1e-5,
      3.0517578125e-5,
      Number.NaN,
      Number.POSITIVE_INFINITY,
    ]
    const rng = createRng('half-test')
    for (let i = 0; i < 20000; i++) values.push(rng.normal() * 10 ** (rng.int(12) - 8))
    for (const v of values) {
      view.setFloat16(0, Math.fround(v), true)
      expect(float16Bits(v), String(v)).toBe(view.getUint16(0, true))
    }
  })

  it('parses SMILES strictly and computes molecular weights', () => {
    expect(molecularWeight('CC(=O)OC1=CC=CC=C1C(=O)O')).toBe(180.16)
    expect(molecularWeight('CN1C=NC2=C1C(=O)N(C(=O)N2C)C')).toBe(194.19)
    expect(() => parseSmiles('C1CC')).toThrow(/unclosed ring/)
    expect(() => parseSmiles('CC(C')).toThrow(/unbalanced/)
    expect(() => parseSmiles('C(C)(C)(C)(C)C')).toThrow(/valence/)
    expect(() => parseSmiles('c1ccnc1')).toThrow(/no Kekulé structure/)
    // Aromatic spellings weigh the same as the Kekulé ones.
    expect(molecularWeight('Cn1cnc2c1c(=O)n(C)c(=O)n2C')).toBe(194.19)
    expect(molecularWeight('CC(=O)Oc1ccccc1C(=O)O')).toBe(180.16)
  })

  it('publishes a sample public key that verifies signatures of its seed', () => {
    const hubConfig = parse(docs.get('agora.yaml') ?? '') as HubConfig
    const key = sampleSigningKey()
    expect(hubConfig.keys[0]?.public_key).toBe(key.publicKeyBase64)
    const message = Buffer.from('agora sample index')
    const signature = sign(null, message, createPrivateKey(key.privateKeyPem))
    const publicKey = createPublicKey({
      key: {
        kty: 'OKP',
        crv: 'Ed25519',
        x: Buffer.from(key.publicKeyBase64, 'base64').toString('base64url'),
      },
      format: 'jwk',
    })
    expect(verify(null, message, publicKey, signature)).toBe(true)
  })

  it('ships connectors that run: ChEMBL pages, retries a 429 and groups activities by compound', async () => {
    const artifact = hub.artifacts.find(
      (a) => a.ref.name === 'chembl-connector' && a.version === '1.1.0',
    )
    const source = artifact?.files.find((f) => f.path === 'index.mjs')?.bytes
    expect(source).toBeDefined()
    const requests: string[] = []
    let throttled = false
    const server = createServer((req, res) => {
      requests.push(req.url ?? '')
      if (!throttled) {
        throttled = true
        res.writeHead(429, { 'retry-after': '0.01' }).end()
        return
      }
      const offset = new URL(req.url ?? '', 'http://x').searchParams.get('offset')
      const activity = (id: string, pchembl: string) => ({
        molecule_chembl_id: id,
        molecule_pref_name: null,
        canonical_smiles: 'CCO',
        standard_type: 'IC50',
        pchembl_value: pchembl,
        assay_chembl_id: 'CHEMBL1',
      })
      const body = offset
        ? { activities: [activity('CHEMBL2', '6.5')], page_meta: { next: null } }
        : {
            activities: [activity('CHEMBL1', '7.1'), activity('CHEMBL1', '7.4')],
            page_meta: { next: '/chembl/api/data/activity.json?offset=100' },
          }
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body))
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const dir = await mkdtemp(join(tmpdir(), 'agora-connector-'))
    try {
      const port = (server.address() as AddressInfo).port
      await writeFile(join(dir, 'index.mjs'), source ?? '')
      const mod = (await import(pathToFileURL(join(dir, 'index.mjs')).href)) as {
        default: (
          input: unknown,
          ctx: unknown,
        ) => Promise<{ compounds: { id: string; activities: unknown[] }[] }>
      }
      const out = await mod.default(
        { target_chembl_id: 'CHEMBL203', min_pchembl: 6 },
        { fetch, env: { CHEMBL_BASE_URL: `http://127.0.0.1:${port}/chembl/api/data` } },
      )
      expect(out.compounds.map((c) => [c.id, c.activities.length])).toEqual([
        ['CHEMBL1', 2],
        ['CHEMBL2', 1],
      ])
      expect(requests).toHaveLength(3)
      expect(requests[0]).toContain('target_chembl_id=CHEMBL203')
    } finally {
      server.close()
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('validates clean with the registry validator', async () => {
    const { issues } = await validateRegistry(repoRoot)
    expect(issues.filter((i) => i.severity === 'error')).toEqual([])
    expect(hasErrors(issues)).toBe(false)
  })

  it('writes files by item and version, and blobs content-addressed, skipping existing ones', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'agora-sample-'))
    try {
      const artifacts = sampleArtifacts()
      const files = await writeSampleFiles(join(dir, 'files'))
      expect(files.files).toBe(artifacts.reduce((n, a) => n + a.files.length, 0))
      const first = artifacts[0] as SampleArtifact
      const firstFile = first.files[0]
      const onDisk = await readFile(
        join(
          dir,
          'files',
          kindPlural(first.ref.kind),
          first.ref.ns,
          first.ref.name,
          first.version,
          firstFile?.path ?? '',
        ),
      )
      expect(sha(onDisk)).toBe(firstFile?.sha256)

      const stored = await writeSampleBlobs(join(dir, 'store'))
      const again = await writeSampleBlobs(join(dir, 'store'))
      expect(again).toEqual(stored)
      expect(stored.bytes).toBeLessThan(10 * 1024 * 1024)
      for (const a of artifacts) {
        for (const f of a.files) {
          const path = join(dir, 'store', f.private ? 'private' : '', blobKey(f.sha256))
          expect(sha(await readFile(path)), `${a.ref.name}/${f.path}`).toBe(f.sha256)
        }
      }
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})

/**
 * A corpus of hostile and benign files, one group per way scanners have been
 * fooled (peer scanners' published test cases and known bypasses): text
 * pickle numbers, pickle series, FRAME lengths, .npy object dtypes,
 * containers, Keras configs, safetensors limits. Every file is generated
 * here, so the corpus shows what it feeds in; `corpus.test.ts` holds each
 * malicious file to a non-safe verdict with an error finding and each benign
 * one to `safe`.
 */
import { deflateSync, gzipSync, zstdCompressSync } from 'node:zlib'
import {
  buildTar,
  buildZip,
  concat,
  EVIL_PICKLE_P0,
  EVIL_PICKLE_P4,
  latin1,
  npy,
  safetensors,
  TORCH_STATE_PICKLE,
  u64,
} from './build.ts'

export interface CorpusFile {
  /** Group, then a short name; used as the file name's stem. */
  name: string
  /** What the file is called (its extension is what a loader would go by). */
  path: string
  bytes: Uint8Array
  malicious: boolean
}

/** Text-opcode numbers each CPython loader reads; the walker must read past them. */
export const PICKLE_NUMBER_PREFIXES = [
  'I0x10\n',
  'I1_0\n',
  'I 5\r\n',
  'I010\n',
  'I01\n',
  'I00\n',
  'I+7\n',
  'I-0o17\n',
  'I0b101\n',
  'I5\0junk\n',
  'L10L\n',
  'L0x10L\n',
  'L1_000\n',
  'L -5 \n',
  'Finf\n',
  'F-inf\n',
  'Fnan\n',
  'F-Infinity\n',
  'F1_0.5\n',
  'F nan\r\n',
  'F+1E5\n',
  'F.5\n',
  'F1e5\0x\n',
]

/** Every spelling here makes numpy load an object array, whose body is a pickle. */
export const OBJECT_DESCRS = [
  "'O'",
  "'|O'",
  "'object'",
  "'O8'",
  "'<O'",
  "'\\x4f'",
  "'\\u004f'",
  "'\\U0000004f'",
  "'\\117'",
  "u'O'",
  "'' 'O'",
  "('O')",
  '"O"',
  "'''O'''",
  "[('a', '<f4'), ('b', '|O')]",
  "[('a', [('inner', 'O')])]",
  "[(('title', 'a'), '|O')]",
  "[('a', '|O', (2, 3))]",
  "('|O', (2,))",
  "'i4,O'",
  "'(2,)O'",
  "[('a', '<f4'), ('b', [('c', '<i8'), ('d', ('\\x4f', (2,)))])]",
]

/** Headers numpy would refuse or Agora cannot read: never safe. */
export const MALFORMED_DESCRS = [
  "b'O'",
  "{'names': ['a'], 'formats': ['O']}",
  "'\\N{LATIN CAPITAL LETTER O}'",
  "'<f4' + 'O'",
  "f'O'",
  "'zz9'",
  "[('a',)]",
  "'<f4",
]

/** Benign dtypes as numpy.save writes them. */
export const PLAIN_DESCRS = [
  "'<f4'",
  "'|b1'",
  "'<U10'",
  "'|S5'",
  "'<M8[ns]'",
  "'<c16'",
  "'|V16'",
  "[('a', '<f4'), ('b', '<i8', (3,))]",
  "[(('t', 'a'), '<f8')]",
  "('<f4', (2, 2))",
]

/** Magic bytes of streams node cannot decompress, each followed by filler. */
export const UNSUPPORTED_STREAMS: Record<string, Uint8Array> = {
  'model.pkl.bz2': concat('BZh91AY&SY', new Uint8Array(32)),
  'model.pkl.xz': concat([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00], new Uint8Array(32)),
  'model.pkl.lzma': concat([0x5d, 0x00, 0x00, 0x80, 0x00], new Uint8Array(32)),
  'model.7z': concat([0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c], new Uint8Array(32)),
  'model.pkl.lz4': concat([0x04, 0x22, 0x4d, 0x18], new Uint8Array(32)),
}

/** Configs Keras would load into code: Lambda layers, foreign modules, custom objects. */
export const EVIL_KERAS_CONFIGS = [
  '{"class_name": "Lambda", "config": {}}',
  '{"class_name": "\\u004cambda", "config": {}}',
  '{"class\\u005fname": "Lambda", "config": {}}',
  '{"class_name": "TFOpLambda"}',
  '{"layers": [{"class_name": "__lambda__", "config": {"code": "4wEAAA"}}]}',
  '{"module": "os", "class_name": "system", "config": "id", "registered_name": null}',
  '{"module": "\\u006fs", "class_name": "system"}',
  '{"module": "keras.layers", "class_name": "Dense", "registered_name": "Custom>Evil"}',
  '{"module": "keras.config", "class_name": "enable_unsafe_deserialization"}',
  '{"module": "keras.utils", "class_name": "function", "config": "get_file"}',
]

/** Configs of plain Keras models. */
export const BENIGN_KERAS_CONFIGS = [
  '{"module": "keras", "class_name": "Sequential", "config": {"layers": [{"module": "keras.layers", "class_name": "Dense", "config": {"units": 4, "activation": "relu"}, "registered_name": null}]}, "registered_name": null}',
  '{"class_name": "Functional", "config": {"name": "model", "layers": [{"class_name": "InputLayer", "config": {}}]}}',
  '{"module": "keras.src.models.functional", "class_name": "Functional", "registered_name": "Functional"}',
]

const HDF5_MAGIC = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]

/** A .keras archive holding `config`. */
export function kerasArchive(config: string): Uint8Array {
  return buildZip([
    { name: 'metadata.json', data: '{"keras_version": "3.4.1"}' },
    { name: 'config.json', data: config, method: 8 },
  ])
}

/** An HDF5 file with `config` among its bytes, as Keras stores model_config. */
export function kerasH5(config: string): Uint8Array {
  return concat(HDF5_MAGIC, new Uint8Array(64), config, new Uint8Array(64))
}

const EVIL_P2 = concat([0x80, 0x02], EVIL_PICKLE_P0)
const TENSOR = { dtype: 'F32', shape: [2], data_offsets: [0, 8] }

/**
 * Every file of the corpus, built afresh.
 *
 * @example buildCorpus().filter((f) => f.malicious).length // > 50
 */
export function buildCorpus(): CorpusFile[] {
  const files: CorpusFile[] = []
  const add = (name: string, path: string, bytes: Uint8Array, malicious: boolean): void => {
    files.push({ name, path, bytes, malicious })
  }

  // Protocol 0 numbers: the number, POP, then os.system (or nothing).
  PICKLE_NUMBER_PREFIXES.forEach((prefix, i) => {
    add(`pickle-number/${i}-evil`, 'model.bin', concat(prefix, '0', EVIL_PICKLE_P0), true)
    add(`pickle-number/${i}-clean`, 'model.pkl', concat(prefix, '0N.'), false)
  })
  add('pickle-number/unparseable', 'model.pkl', concat([0x80, 0x02], 'I1__0\n0N.'), true)

  // Pickle series.
  const nones = Array.from({ length: 100 }, () => latin1('N.'))
  add('pickle-series/after-100', 'model.pkl', concat(...nones, EVIL_PICKLE_P0), true)
  add('pickle-series/after-state', 'model.pkl', concat(TORCH_STATE_PICKLE, EVIL_PICKLE_P4), true)
  add('pickle-series/trailing-junk', 'model.pkl', concat(TORCH_STATE_PICKLE, [0xff, 0, 1]), true)
  add('pickle-series/trailing-newline', 'model.pkl', concat(TORCH_STATE_PICKLE, '\n'), true)
  add('pickle-series/evil-then-junk', 'model.pkl', concat('N.', 'cos\nsystem\n', [0xff]), true)
  add('pickle-series/npy-body-second', 'x.npy', npy("'|O'", concat([0x80, 0x02], 'N.', EVIL_P2)), true)
  add('pickle-series/clean-pair', 'model.pkl', concat(TORCH_STATE_PICKLE, TORCH_STATE_PICKLE), false)
  add('pickle-series/clean-many', 'model.pkl', concat(...nones), false)
  add('pickle-series/state', 'model.pkl', TORCH_STATE_PICKLE, false)

  // FRAME lengths.
  const frame = (length: number, ...body: (Uint8Array | string | number[])[]): Uint8Array =>
    concat([0x80, 0x04, 0x95], u64(length), ...body)
  add('frame/straddle', 'm.pkl', frame(3, [0x8c, 5], 'posix', [0x30], 'N.'), true)
  add('frame/nested', 'm.pkl', frame(11, [0x95], u64(2), 'N.'), true)
  add('frame/short-evil', 'm.pkl', frame(1, EVIL_PICKLE_P4.subarray(2)), true)
  add('frame/exact', 'm.pkl', frame(2, 'N.'), false)
  add('frame/two', 'm.pkl', concat(frame(1, 'N'), [0x95], u64(1), '.'), false)

  // .npy object dtypes, malformed headers, plain dtypes, and .npz members.
  OBJECT_DESCRS.forEach((descr, i) => {
    add(`npy-object/${i}`, 'x.npy', npy(descr, EVIL_P2), true)
  })
  MALFORMED_DESCRS.forEach((descr, i) => {
    add(`npy-malformed/${i}`, 'x.npy', npy(descr, EVIL_P2), true)
  })
  PLAIN_DESCRS.forEach((descr, i) => {
    add(`npy-plain/${i}`, 'x.npy', npy(descr, new Uint8Array(16)), false)
  })
  for (const [i, descr] of ["'\\x4f'", "[('a', '|O')]", "'object'"].entries()) {
    add(
      `npz-object/${i}`,
      'x.npz',
      buildZip([
        { name: 'a.npy', data: npy("'<f4'", new Uint8Array(4)), method: 8 },
        { name: 'b.npy', data: npy(descr, EVIL_P2), method: 8 },
      ]),
      true,
    )
  }
  add(
    'npz-plain/deflate',
    'x.npz',
    buildZip([{ name: 'a.npy', data: npy("'<f4'", new Uint8Array(4)), method: 8 }]),
    false,
  )

  // Containers.
  const evilZip = buildZip([{ name: 'data.pkl', data: EVIL_PICKLE_P0 }])
  add('container/pkl-gz', 'model.pkl.gz', gzipSync(EVIL_PICKLE_P0), true)
  add('container/joblib-zlib', 'model.joblib', deflateSync(EVIL_PICKLE_P4), true)
  add('container/zstd', 'model.pkl.zst', zstdCompressSync(EVIL_PICKLE_P0), true)
  add('container/gz-gz', 'model.bin', gzipSync(gzipSync(EVIL_PICKLE_P0)), true)
  add('container/zip-zip', 'o.zip', buildZip([{ name: 'i.zip', data: evilZip, method: 8 }]), true)
  add('container/zip-gz', 'o.zip', buildZip([{ name: 'm.gz', data: gzipSync(EVIL_PICKLE_P0) }]), true)
  add('container/tar-gz', 'm.tar.gz', gzipSync(buildTar([{ name: 'd.pkl', data: EVIL_PICKLE_P0 }])), true)
  add('container/tar-zip', 'o.tar', buildTar([{ name: 'w.zip', data: evilZip }]), true)
  add('container/tar-zstd', 'o.tar', buildTar([{ name: 'x', data: zstdCompressSync(EVIL_P2) }]), true)
  add('container/npz-in-zip', 'o.zip', buildZip([{ name: 'x.npz', data: buildZip([{ name: 'o.npy', data: npy("'O'", EVIL_P2) }]) }]), true)
  add('container/bomb', 'zeros.gz', gzipSync(new Uint8Array(80 * 1024 * 1024)), true)
  add('container/pickle-bomb', 'm.pkl.gz', gzipSync(concat([0x80, 0x04, 0x8e], u64(1 << 22), new Uint8Array(1 << 22), '.')), true)
  add('container/corrupt-gz', 'm.pkl.gz', gzipSync(EVIL_PICKLE_P0).subarray(0, 20), true)
  let deep = buildZip([{ name: 'a.txt', data: 'a' }])
  for (let level = 0; level < 5; level++) deep = buildZip([{ name: `l${level}.zip`, data: deep }])
  add('container/too-deep', 'deep.zip', deep, true)
  for (const [path, bytes] of Object.entries(UNSUPPORTED_STREAMS)) {
    add(`container/unsupported-${path}`, path, bytes, true)
  }
  add('container/zip-p0-unnamed', 'o.zip', buildZip([{ name: 'model', data: EVIL_PICKLE_P0, method: 8 }]), true)
  add('container/tar-p0-unnamed', 'o.tar', buildTar([{ name: 'weights', data: EVIL_PICKLE_P0 }]), true)
  add('container/big-csv-gz', 'big.csv.gz', gzipSync('a,b\n'.repeat(300_000)), false)
  add('container/zip-notes', 'o.zip', buildZip([{ name: 'notes', data: 'I like cats\n' }]), false)
  add('container/csv-gz', 'data.csv.gz', gzipSync('a,b\n1,2\n'), false)
  add('container/state-zstd', 'state.pkl.zst', zstdCompressSync(TORCH_STATE_PICKLE), false)
  add('container/state-tgz', 'm.tar.gz', gzipSync(buildTar([{ name: 'd.pkl', data: TORCH_STATE_PICKLE }])), false)
  add('container/zip-zip-clean', 'o.zip', buildZip([{ name: 'i.zip', data: buildZip([{ name: 'a.txt', data: 'a' }]) }]), false)

  // Keras.
  EVIL_KERAS_CONFIGS.forEach((config, i) => {
    add(`keras/${i}-keras`, 'm.keras', kerasArchive(config), true)
    add(`keras/${i}-h5`, 'm.h5', kerasH5(config), true)
  })
  BENIGN_KERAS_CONFIGS.forEach((config, i) => {
    add(`keras-clean/${i}-keras`, 'm.keras', kerasArchive(config), false)
    add(`keras-clean/${i}-h5`, 'm.h5', kerasH5(config), false)
  })

  // Safetensors limits.
  add('safetensors/header-17mib', 'm.safetensors', concat(u64(17 * 1024 * 1024), '{"a":', new Uint8Array(64)), true)
  add('safetensors/clean', 'm.safetensors', safetensors({ w: TENSOR }, 8), false)
  add('safetensors/metadata', 'm.safetensors', safetensors({ __metadata__: { format: 'pt' }, w: TENSOR }, 8), false)
  return files
}

import { ByteWindow, EndOfSource } from './byte-window.ts'
import { makeFinding, ScanStop, stop } from './finding.ts'
import type { Finding, ScanSource } from './types.ts'
import { isUnsafeEntryPath } from './zip.ts'

/** One protobuf field: its number, wire type and where its value lies. */
interface Field {
  field: number
  wire: number
  /** Value bytes `[start, end)` for length-delimited fields. */
  start: number
  end: number
  /** The value of a varint field. */
  varint: bigint
}

const MAX_DEPTH = 32
/** The newest ONNX IR version at the time of writing is 11; leave room for a few more. */
const MAX_IR_VERSION = 20n

/**
 * A protobuf wire-format reader over random access: varints and length
 * prefixes are read as needed and large fields (tensor raw_data) are skipped
 * without being read.
 */
class ProtoReader {
  readonly #window: ByteWindow
  readonly #file: string

  constructor(window: ByteWindow, file: string) {
    this.#window = window
    this.#file = file
  }

  async varint(pos: number, end: number): Promise<{ value: bigint; next: number }> {
    const bytes = await this.#window.bytes(pos, Math.min(10, end - pos))
    let value = 0n
    for (let i = 0; i < bytes.length; i++) {
      const byte = bytes[i] as number
      value |= BigInt(byte & 0x7f) << BigInt(7 * i)
      if ((byte & 0x80) === 0) return { value, next: pos + i + 1 }
    }
    return stop(this.#file, 'scan/onnx-malformed', `varint at offset ${pos} does not end`)
  }

  async *fields(start: number, end: number): AsyncGenerator<Field> {
    let pos = start
    while (pos < end) {
      const tag = await this.varint(pos, end)
      pos = tag.next
      const field = Number(tag.value >> 3n)
      const wire = Number(tag.value & 7n)
      if (field === 0) stop(this.#file, 'scan/onnx-malformed', `field number 0 at offset ${pos}`)
      let valueStart = pos
      let varint = 0n
      switch (wire) {
        case 0: {
          const v = await this.varint(pos, end)
          varint = v.value
          pos = v.next
          break
        }
        case 1:
          pos += 8
          break
        case 5:
          pos += 4
          break
        case 2: {
          const length = await this.varint(pos, end)
          valueStart = length.next
          pos = length.next + Number(length.value)
          if (length.value > BigInt(end - length.next)) {
            stop(
              this.#file,
              'scan/onnx-malformed',
              `field ${field} of ${length.value} bytes runs past its message at offset ${valueStart}`,
            )
          }
          break
        }
        default:
          stop(
            this.#file,
            'scan/onnx-malformed',
            `field ${field} has unsupported wire type ${wire} at offset ${pos}`,
          )
      }
      if (pos > end) stop(this.#file, 'scan/onnx-malformed', `field ${field} runs past its message`)
      yield { field, wire, start: valueStart, end: pos, varint }
    }
  }

  async text(field: Field): Promise<string> {
    return new TextDecoder().decode(await this.#window.bytes(field.start, field.end - field.start))
  }
}

export interface OnnxScan {
  irVersion: number | undefined
  externalData: string[]
  findings: Finding[]
}

/**
 * Checks a file is an ONNX ModelProto: it parses as protobuf, declares an IR
 * version and opset imports, has a graph, and every tensor with external
 * data (initializers, node attributes, subgraphs of If/Loop, training and
 * function graphs) points at a relative path inside the item.
 *
 * @example const { findings, externalData } = await scanOnnx(source)
 */
export async function scanOnnx(source: ScanSource): Promise<OnnxScan> {
  const file = source.path
  // Small enough that skipping a tensor's raw_data does not read much of it.
  const reader = new ProtoReader(new ByteWindow(source, 64 * 1024), file)
  const findings: Finding[] = []
  const externalData: string[] = []
  let irVersion: bigint | undefined
  let graphs = 0
  let opsets = 0

  const expectMessage = (f: Field, what: string): void => {
    if (f.wire !== 2)
      stop(file, 'scan/onnx-malformed', `${what} (field ${f.field}) is not a message`)
  }
  const walkTensor = async (start: number, end: number): Promise<void> => {
    for await (const f of reader.fields(start, end)) {
      if (f.field !== 13) continue
      expectMessage(f, 'TensorProto.external_data')
      let key = ''
      let value = ''
      for await (const entry of reader.fields(f.start, f.end)) {
        if (entry.field === 1 && entry.wire === 2) key = await reader.text(entry)
        if (entry.field === 2 && entry.wire === 2) value = await reader.text(entry)
      }
      if (key !== 'location') continue
      externalData.push(value)
      if (isUnsafeEntryPath(value)) {
        findings.push(
          makeFinding(
            file,
            'scan/onnx-external-data-escape',
            `external data location ${JSON.stringify(value)} is not a plain relative path inside the item`,
          ),
        )
      }
    }
  }
  const walkSparse = async (start: number, end: number): Promise<void> => {
    for await (const f of reader.fields(start, end)) {
      if (f.field === 1 || f.field === 2) {
        expectMessage(f, 'SparseTensorProto tensor')
        await walkTensor(f.start, f.end)
      }
    }
  }
  const walkGraph = async (start: number, end: number, depth: number): Promise<void> => {
    if (depth > MAX_DEPTH)
      stop(file, 'scan/onnx-malformed', `graphs nest deeper than ${MAX_DEPTH} levels`)
    for await (const f of reader.fields(start, end)) {
      if (f.field === 1) {
        expectMessage(f, 'GraphProto.node')
        await walkNode(f.start, f.end, depth)
      } else if (f.field === 5) {
        expectMessage(f, 'GraphProto.initializer')
        await walkTensor(f.start, f.end)
      } else if (f.field === 15) {
        expectMessage(f, 'GraphProto.sparse_initializer')
        await walkSparse(f.start, f.end)
      }
    }
  }
  const walkNode = async (start: number, end: number, depth: number): Promise<void> => {
    for await (const f of reader.fields(start, end)) {
      if (f.field !== 5) continue
      expectMessage(f, 'NodeProto.attribute')
      for await (const a of reader.fields(f.start, f.end)) {
        if (a.wire !== 2) continue
        if (a.field === 5 || a.field === 10) await walkTensor(a.start, a.end)
        else if (a.field === 6 || a.field === 11) await walkGraph(a.start, a.end, depth + 1)
        else if (a.field === 22 || a.field === 23) await walkSparse(a.start, a.end)
      }
    }
  }

  try {
    for await (const f of reader.fields(0, source.size)) {
      if (f.field === 1) {
        if (f.wire !== 0) stop(file, 'scan/onnx-malformed', 'ModelProto.ir_version is not a varint')
        irVersion = f.varint
      } else if (f.field === 7) {
        expectMessage(f, 'ModelProto.graph')
        graphs++
        await walkGraph(f.start, f.end, 0)
      } else if (f.field === 8) {
        expectMessage(f, 'ModelProto.opset_import')
        opsets++
      } else if (f.field === 20) {
        expectMessage(f, 'ModelProto.training_info')
        // TrainingInfoProto: the initialization (1) and algorithm (2) graphs.
        for await (const t of reader.fields(f.start, f.end)) {
          if ((t.field === 1 || t.field === 2) && t.wire === 2) await walkGraph(t.start, t.end, 1)
        }
      } else if (f.field === 25) {
        expectMessage(f, 'ModelProto.functions')
        for await (const fn of reader.fields(f.start, f.end)) {
          if (fn.field === 7 && fn.wire === 2) await walkNode(fn.start, fn.end, 1)
        }
      }
    }
    if (irVersion === undefined || irVersion < 1n || irVersion > MAX_IR_VERSION) {
      findings.push(
        makeFinding(
          file,
          'scan/onnx-bad-ir-version',
          irVersion === undefined
            ? 'model has no ir_version'
            : `ir_version ${irVersion} is not one ONNX defines`,
        ),
      )
    }
    if (graphs === 0) findings.push(makeFinding(file, 'scan/onnx-no-graph', 'model has no graph'))
    if (opsets === 0)
      findings.push(makeFinding(file, 'scan/onnx-no-opset', 'model declares no opset_import'))
  } catch (error) {
    if (error instanceof ScanStop) findings.push(error.finding)
    else if (error instanceof EndOfSource)
      findings.push(
        makeFinding(file, 'scan/onnx-malformed', `model is truncated: ${error.message}`),
      )
    else throw error
  }
  return {
    irVersion: irVersion === undefined ? undefined : Number(irVersion),
    externalData,
    findings,
  }
}

/**
 * Whether leading bytes look like an ONNX ModelProto: field 1 (ir_version)
 * as a small varint, then a ModelProto field of the right wire type. Protobuf
 * has no magic number; writers emit fields in number order, so this holds for
 * every exporter.
 *
 * @example looksLikeOnnx(new Uint8Array([0x08, 0x07, 0x3a, 0x00])) // true
 */
export function looksLikeOnnx(head: Uint8Array): boolean {
  if (head[0] !== 0x08) return false
  const version = head[1] ?? 0
  if (version < 1 || version > Number(MAX_IR_VERSION)) return false
  const tag = head[2]
  if (tag === undefined) return false
  const field = tag >> 3
  const wire = tag & 7
  const messageFields = new Set([2, 3, 4, 6, 7, 8, 14, 20, 25])
  return (wire === 2 && messageFields.has(field)) || (wire === 0 && field === 5)
}

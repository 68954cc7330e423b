/**
 * A small YAML writer for manifests built in the browser: every string is a
 * JSON-quoted scalar (valid YAML, no ambiguity with `yes`, `1.0`, `#` or
 * `: `), keys are written plain when they are simple identifiers.
 *
 * @example toYaml({ title: 'Tox: GNN', tags: ['a'] }) // 'title: "Tox: GNN"\ntags:\n  - "a"\n'
 */
export function toYaml(value: Record<string, unknown>): string {
  return writeMap(value, 0)
}

function key(k: string): string {
  return /^[A-Za-z_][\w-]*$/.test(k) ? k : JSON.stringify(k)
}

function scalar(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v)
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : 'null'
  if (typeof v === 'boolean') return String(v)
  return 'null'
}

function isMap(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

function writeMap(map: Record<string, unknown>, indent: number): string {
  const pad = ' '.repeat(indent)
  let out = ''
  for (const [k, v] of Object.entries(map)) {
    if (v === undefined) continue
    if (Array.isArray(v)) {
      out +=
        v.length === 0 ? `${pad}${key(k)}: []\n` : `${pad}${key(k)}:\n${writeList(v, indent + 2)}`
    } else if (isMap(v)) {
      out +=
        Object.keys(v).length === 0
          ? `${pad}${key(k)}: {}\n`
          : `${pad}${key(k)}:\n${writeMap(v, indent + 2)}`
    } else out += `${pad}${key(k)}: ${scalar(v)}\n`
  }
  return out
}

function writeList(list: unknown[], indent: number): string {
  const pad = ' '.repeat(indent)
  let out = ''
  for (const v of list) {
    if (isMap(v)) {
      const inner = writeMap(v, indent + 2)
      out += `${pad}- ${inner.slice(indent + 2)}`
    } else if (Array.isArray(v)) out += `${pad}-\n${writeList(v, indent + 2)}`
    else out += `${pad}- ${scalar(v)}\n`
  }
  return out
}

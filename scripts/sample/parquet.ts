import { parquetWriteBuffer } from 'hyparquet-writer'
import type { GeneratedFile } from './llm.ts'

/** What the files say wrote them: fixed, so the bytes do not change with the writer's version. */
export const PARQUET_CREATED_BY = 'agora sample generator (hyparquet-writer)'

/** A column of a sample Parquet file: text (UTF-8 strings) or numbers (doubles). */
export interface ParquetColumn {
  name: string
  type: 'STRING' | 'DOUBLE' | 'INT32'
}

/**
 * A Parquet file of one table, written with hyparquet-writer: Snappy pages,
 * no timestamps, a fixed `created_by`, so equal rows give equal bytes.
 * `rowGroupSize` splits the rows into row groups (default: one group).
 *
 * @example parquetFile('herg.parquet', [{ name: 'smiles', type: 'STRING' }], [['CCO']])
 */
export function parquetFile(
  path: string,
  columns: readonly ParquetColumn[],
  rows: readonly (readonly (string | number | null)[])[],
  options: { rowGroupSize?: number } = {},
): GeneratedFile {
  const buffer = parquetWriteBuffer({
    columnData: columns.map((c, k) => ({
      name: c.name,
      type: c.type,
      nullable: rows.some((r) => r[k] === null || r[k] === undefined),
      data: rows.map((r) => r[k] ?? null),
    })),
    rowGroupSize: options.rowGroupSize ?? Math.max(1, rows.length),
    createdBy: PARQUET_CREATED_BY,
  })
  return { path, bytes: new Uint8Array(buffer) }
}

import { makeFinding } from './finding.ts'
import { MiB } from './scan-context.ts'
import type { Finding, ScanSource } from './types.ts'

/** Keras configs larger than this are not read (a config lists layers, not weights). */
export const KERAS_CONFIG_BYTES = 64 * MiB
export const latin1 = new TextDecoder('latin1')
/** A Keras layer whose config carries marshalled Python bytecode. */
const KERAS_LAMBDA = /"class_name"\s*:\s*"(Lambda|TFOpLambda)"/

/**
 * The finding for a Keras Lambda layer named in a config, if any.
 *
 * @example kerasLambdas('{"class_name": "Lambda"}', 'm.keras', 'config.json')[0]?.code // 'scan/keras-lambda'
 */
export function kerasLambdas(text: string, file: string, where: string): Finding[] {
  const match = KERAS_LAMBDA.exec(text)
  if (!match) return []
  return [makeFinding(file, 'scan/keras-lambda', `${where} declares a Keras ${match[1]} layer`)]
}

/**
 * Keras .h5 models keep their config as an HDF5 attribute; rather than parse
 * HDF5, search the whole file for a Lambda layer, carrying a little of each
 * chunk over so a match across chunks is not missed.
 *
 * @example const findings = await scanStreamForLambdas(source)
 */
export async function scanStreamForLambdas(source: ScanSource): Promise<Finding[]> {
  let carry = ''
  for await (const chunk of source.stream()) {
    const text = carry + latin1.decode(chunk as Uint8Array)
    const found = kerasLambdas(text, source.path, 'the HDF5 model config')
    if (found.length > 0) return found
    carry = text.slice(-64)
  }
  return []
}

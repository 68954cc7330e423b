import type * as Ort from 'onnxruntime-node'
import { AgoraError } from '#core/errors'

/** A loaded model: its declared inputs and outputs, and one batched call. */
export interface ModelSession {
  inputs: { name: string; type?: string; shape?: readonly (number | string)[] }[]
  outputs: string[]
  /** Runs one float32 [rows, width] batch and returns the named output. */
  run(
    input: string,
    data: Float32Array,
    dims: readonly [number, number],
    output: string,
  ): Promise<{ data: Float32Array; dims: readonly number[] }>
  release(): Promise<void>
}

/** What `agora eval --run` needs from a runtime; onnxruntime-node in the CLI, a stub in tests. */
export interface ModelRuntime {
  /** Provenance: `onnxruntime-node 1.31.1`. */
  name: string
  load(bytes: Uint8Array, file: string): Promise<ModelSession>
}

/**
 * Wraps the onnxruntime-node module (passed in, so only callers that run
 * models load its native binding) as a ModelRuntime: CPU execution, one
 * session per model, batches as float32 tensors.
 *
 * @example const runtime = onnxRuntime(await import('onnxruntime-node'))
 */
export function onnxRuntime(ort: typeof Ort): ModelRuntime {
  return {
    name: `onnxruntime-node ${ort.env.versions.node ?? ort.env.versions.common}`,
    async load(bytes, file) {
      let session: Ort.InferenceSession
      try {
        session = await ort.InferenceSession.create(bytes, { executionProviders: ['cpu'] })
      } catch (cause) {
        const why = cause instanceof Error ? cause.message.split('\n')[0] : String(cause)
        throw new AgoraError('qa/model-load', `onnxruntime cannot load ${file}: ${why}`, {
          hint: 'check that the file is an ONNX model (opset ≤ 21) and not truncated; its sha256 is in the version manifest',
          file,
          cause,
        })
      }
      return {
        inputs: session.inputMetadata.map((m) =>
          m.isTensor ? { name: m.name, type: m.type, shape: m.shape } : { name: m.name },
        ),
        outputs: [...session.outputNames],
        async run(input, data, dims, output) {
          const tensor = new ort.Tensor('float32', data, [...dims])
          const result = await session.run({ [input]: tensor }, [output])
          const out = result[output]
          if (out?.type !== 'float32') {
            throw new AgoraError(
              'qa/model-output',
              `${file}: output ${output} is ${out?.type ?? 'missing'}, not float32`,
              { hint: 'the inference block must name a float32 output', file },
            )
          }
          return { data: out.data as Float32Array, dims: out.dims }
        },
        release: () => session.release(),
      }
    },
  }
}

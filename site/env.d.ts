/// <reference types="astro/client" />

declare module 'virtual:agora-validators' {
  /** A compiled JSON Schema validator (ajv standalone). */
  interface Validator {
    (data: unknown): boolean
    errors?:
      | {
          instancePath: string
          keyword: string
          message?: string
          params: Record<string, unknown>
        }[]
      | null
  }
  export const hub: Validator
  export const owner: Validator
  export const item: Validator
  export const version: Validator
  export const result: Validator
}

/// <reference types="astro/client" />

declare module 'virtual:agora-validators' {
  /** Standalone validators compiled from createAjv (core/schema/schema.ts): verbose errors. */
  type ValidateFunction = import('ajv/dist/2020.js').ValidateFunction
  export const hub: ValidateFunction
  export const owner: ValidateFunction
  export const item: ValidateFunction
  export const version: ValidateFunction
  export const result: ValidateFunction
}

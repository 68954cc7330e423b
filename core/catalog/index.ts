export * from './signing.ts'
export * from './sparse-index.ts'

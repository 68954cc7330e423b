export * from './documents.ts'
export * from './search-index.ts'
export * from './signing.ts'

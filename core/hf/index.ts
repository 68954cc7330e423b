export * from './byte-range.ts'
export * from './handler.ts'
export * from './hub-index.ts'
export * from './repo-info.ts'

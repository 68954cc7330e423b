export * from './atomic.ts'
export * from './blob-store.ts'
export * from './hash.ts'
export * from './retry.ts'

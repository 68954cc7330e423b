export * from './create-store.ts'
export * from './fs-store.ts'
export * from './no-follow.ts'
export * from './s3-store.ts'

export * from './agora-error.ts'
export * from './codes.ts'
export * from './issue.ts'
export * from './plural.ts'

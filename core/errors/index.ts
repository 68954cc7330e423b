export * from './agora-error.ts'
export * from './issue.ts'

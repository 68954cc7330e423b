export * from './kinds.ts'
export * from './paths.ts'

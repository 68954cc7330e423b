export * from './codes.ts'
export * from './envelope.ts'
export * from './licence.ts'
export * from './revocations.ts'

export * from './publish.ts'

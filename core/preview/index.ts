export * from './delimited.ts'
export * from './head.ts'
export * from './jsonl.ts'

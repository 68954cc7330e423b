export * from './depict.ts'
export * from './fingerprint.ts'
export * from './layout-2d.ts'
export * from './parse-smiles.ts'

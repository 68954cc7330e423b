export * from './depict.ts'
export * from './layout-2d.ts'
export * from './parse-smiles.ts'

/**
 * Source of the sample connectors (`index.mjs` in each adapter version).
 * Each module's default export is `run(input, ctx)`: `input` matches the
 * version's input_schema, the result its output_schema, and `ctx` carries
 * the runner's `fetch`, `env` (declared credentials) and `writeFile`, so the
 * code never reads globals the runner did not grant.
 */

const chemblBody = (
  fetchLine: string,
): string => `export default async function run(input, { fetch, env }) {
  const base = env.CHEMBL_BASE_URL ?? 'https://www.ebi.ac.uk/chembl/api/data'
  const origin = new URL(base).origin
  const limit = input.limit ?? 1000
  const compounds = new Map()
  let url = \`\${base}/activity.json?target_chembl_id=\${encodeURIComponent(input.target_chembl_id)}&pchembl_value__gte=\${input.min_pchembl ?? 6}&limit=100\`
  while (url && compounds.size < limit) {
    ${fetchLine}
    if (!res.ok) throw new Error(\`ChEMBL answered \${res.status} for \${url}\`)
    const page = await res.json()
    for (const a of page.activities) {
      if (!a.canonical_smiles) continue
      const c = compounds.get(a.molecule_chembl_id) ?? {
        id: a.molecule_chembl_id,
        name: a.molecule_pref_name ?? a.molecule_chembl_id,
        smiles: a.canonical_smiles,
        activities: [],
      }
      c.activities.push({ type: a.standard_type, pchembl: Number(a.pchembl_value), assay: a.assay_chembl_id })
      compounds.set(c.id, c)
    }
    // page_meta.next is a path on the same host, or null on the last page.
    url = page.page_meta.next ? new URL(page.page_meta.next, origin).href : null
  }
  return { compounds: [...compounds.values()].slice(0, limit) }
}
`

const CHEMBL_1_0 = `/** ChEMBL activities of one target, paged, grouped by compound. */
${chemblBody("const res = await fetch(url, { headers: { accept: 'application/json' } })")}`

const CHEMBL_1_1 = `/** ChEMBL activities of one target, paged, grouped by compound; retries 429 and 503. */
async function fetchWithRetry(fetch, url, attempts = 5) {
  for (let i = 1; ; i++) {
    const res = await fetch(url, { headers: { accept: 'application/json' } })
    if ((res.status !== 429 && res.status !== 503) || i === attempts) return res
    const after = Number(res.headers.get('retry-after'))
    const waitMs = Number.isFinite(after) && after > 0 ? after * 1000 : 500 * 2 ** i
    await new Promise((resolve) => setTimeout(resolve, waitMs))
  }
}

${chemblBody('const res = await fetchWithRetry(fetch, url)')}`

const PUBCHEM = `/** PubChem PUG REST: compounds and properties by name, CID, SMILES or InChIKey. */
const BASE = 'https://pubchem.ncbi.nlm.nih.gov/rest/pug'

export default async function run(input, { fetch }) {
  const properties = input.properties ?? ['CanonicalSMILES', 'MolecularWeight']
  const wanted = properties.includes('CanonicalSMILES') ? properties : ['CanonicalSMILES', ...properties]
  const url = \`\${BASE}/compound/\${input.namespace}/\${encodeURIComponent(input.query)}/property/\${wanted.join(',')}/JSON\`
  const res = await fetch(url)
  if (res.status === 404) return { compounds: [] }
  if (!res.ok) throw new Error(\`PubChem answered \${res.status} for \${url}\`)
  const body = await res.json()
  return {
    compounds: body.PropertyTable.Properties.map(({ CID, CanonicalSMILES, ...rest }) => ({
      id: \`CID\${CID}\`,
      smiles: CanonicalSMILES,
      properties: rest,
    })),
  }
}
`

const RCSB = `/** RCSB PDB: download one entry and list its ligands (waters excluded). */
export default async function run(input, { fetch, writeFile }) {
  const format = input.format ?? 'pdb'
  const id = input.pdb_id.toUpperCase()
  const url = \`https://files.rcsb.org/download/\${id}.\${format}\`
  const res = await fetch(url)
  if (!res.ok) throw new Error(\`RCSB answered \${res.status} for \${url}\`)
  const text = await res.text()
  const path = \`\${id}.\${format}\`
  await writeFile(path, text)
  const ligands =
    format === 'pdb'
      ? [...new Set(text.split('\\n').filter((l) => l.startsWith('HETATM')).map((l) => l.slice(17, 20).trim()))].filter((r) => r !== 'HOH')
      : []
  return { path, ligands }
}
`

const UNIPROT = `/** UniProtKB: canonical sequence by accession, or by gene name and organism (reviewed entries). */
const BASE = 'https://rest.uniprot.org/uniprotkb'

export default async function run(input, { fetch }) {
  let accession = input.accession
  if (!accession) {
    if (!input.gene) throw new Error('give accession or gene')
    const query = \`gene_exact:\${input.gene} AND organism_id:\${input.organism ?? 9606} AND reviewed:true\`
    const res = await fetch(\`\${BASE}/search?query=\${encodeURIComponent(query)}&fields=accession&format=json&size=1\`)
    if (!res.ok) throw new Error(\`UniProt search answered \${res.status}\`)
    accession = (await res.json()).results[0]?.primaryAccession
    if (!accession) throw new Error(\`no reviewed UniProt entry for gene \${input.gene}\`)
  }
  const res = await fetch(\`\${BASE}/\${encodeURIComponent(accession)}.fasta\`)
  if (!res.ok) throw new Error(\`UniProt answered \${res.status} for \${accession}\`)
  const fasta = await res.text()
  return { accession, sequence: fasta.split('\\n').slice(1).join('') }
}
`

const ELN = `/** ELN/LIMS (Benchling-style v2 API): registered entities of one schema, paged by nextToken. */
export default async function run(input, { fetch, env }) {
  const base = \`\${env.LIMS_TENANT_URL.replace(/\\/$/, '')}/api/v2\`
  const authorization = \`Basic \${btoa(\`\${env.LIMS_API_KEY}:\`)}\`
  const get = async (path) => {
    const res = await fetch(\`\${base}\${path}\`, { headers: { authorization, accept: 'application/json' } })
    if (!res.ok) throw new Error(\`LIMS answered \${res.status} for \${path}\`)
    return res.json()
  }
  const { entitySchemas } = await get('/entity-schemas?pageSize=100')
  const schema = entitySchemas.find((s) => s.name === input.schema_name)
  if (!schema) throw new Error(\`no entity schema named "\${input.schema_name}"\`)
  const query = new URLSearchParams({ schemaId: schema.id, registryId: input.registry, pageSize: '100' })
  if (input.since) query.set('modifiedAt', \`> \${input.since}\`)
  const compounds = []
  let token = ''
  do {
    if (token) query.set('nextToken', token)
    const page = await get(\`/custom-entities?\${query}\`)
    for (const e of page.customEntities) {
      compounds.push({ id: e.entityRegistryId ?? e.id, name: e.name, smiles: e.fields?.SMILES?.value ?? '' })
    }
    token = page.nextToken ?? ''
  } while (token)
  return { compounds }
}
`

const DOCKING = `/** Runs a licensed docking suite's command-line docking and reads scores from the output SD file. */
import { execFile } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { promisify } from 'node:util'

const exec = promisify(execFile)

export default async function run(input, { env }) {
  const bin = join(env.SUITE_INSTALL_DIR, 'bin', 'dock')
  const out = input.ligands_sdf.replace(/\\.sdf$/i, '') + '_poses.sdf'
  await exec(bin, ['-grid', input.grid, '-ligands', input.ligands_sdf, '-precision', input.precision ?? 'SP', '-out', out], {
    env: { PATH: process.env.PATH, LICENSE_SERVER: env.SUITE_LICENSE_SERVER },
    maxBuffer: 16 * 1024 * 1024,
  })
  const sdf = await readFile(out, 'utf8')
  const scores = [...sdf.matchAll(/> <docking_score>\\n(-?[0-9.]+)/g)].map((m) => Number(m[1]))
  return { poses_sdf: out, scores }
}
`

const RETRO = `/** MolForge retrosynthesis planner: one plan per call, billed per query. */
export default async function run(input, { fetch, env }) {
  const res = await fetch('https://api.molforge.example.com/v1/plan', {
    method: 'POST',
    headers: { authorization: \`Bearer \${env.MOLFORGE_API_KEY}\`, 'content-type': 'application/json' },
    body: JSON.stringify({ target: input.target_smiles, max_depth: input.max_depth ?? 5, stock: input.stock ?? 'emolecules' }),
  })
  if (res.status === 402) throw new Error('query limit reached for this licence')
  if (!res.ok) throw new Error(\`planner answered \${res.status}\`)
  const { routes } = await res.json()
  return { routes }
}
`

const ADMET = `/** Client of an ADMET inference server running openchem-lab/admet-multitask. */
export default async function run(input, { fetch, env }) {
  const endpoint = env.ADMET_SERVER_URL ?? 'http://localhost:8080/predict'
  const res = await fetch(endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ smiles: input.smiles }),
  })
  if (!res.ok) throw new Error(\`ADMET server answered \${res.status}\`)
  const { predictions } = await res.json()
  return { predictions }
}
`

/** Connector source by connector name and version (`name@version`, or `name` for all versions). */
export const CONNECTOR_SOURCE: Record<string, string> = {
  'chembl-connector@1.0.0': CHEMBL_1_0,
  'chembl-connector@1.1.0': CHEMBL_1_1,
  'pubchem-connector': PUBCHEM,
  'rcsb-pdb-connector': RCSB,
  'uniprot-connector': UNIPROT,
  'eln-lims-sync': ELN,
  'docking-suite-bridge': DOCKING,
  'retro-planner-api': RETRO,
  'admet-inference-server': ADMET,
}

/**
 * The `index.mjs` of a connector version.
 *
 * @example connectorSource('pubchem-connector', '1.0.0').includes('PUG REST') // true
 */
export function connectorSource(name: string, version: string): string {
  const source = CONNECTOR_SOURCE[`${name}@${version}`] ?? CONNECTOR_SOURCE[name]
  if (!source) throw new Error(`no connector source for ${name}@${version}`)
  return source
}

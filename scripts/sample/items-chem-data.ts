import type { BenchmarkItem, DatasetItem } from '#core/manifest'
import { defineItem, type SampleItemDef } from './build.ts'
import { bibtex } from './card.ts'
import { csv, molecularWeight, pocketPdb, sdf } from './chem.ts'
import { jsonFile, textFile } from './llm.ts'
import { ACYLS, AMINES, ARYLS, MOLECULES, type Molecule } from './molecules.ts'
import { parquetFile } from './parquet.ts'
import { createRng, fnv1a, round } from './prng.ts'

/** Primary targets of the kinase inhibitors (their approved indications' kinases). */
const PRIMARY_TARGET: Record<string, string> = {
  imatinib: 'ABL1',
  gefitinib: 'EGFR',
  erlotinib: 'EGFR',
  lapatinib: 'EGFR',
  sorafenib: 'KDR',
  dasatinib: 'ABL1',
  sunitinib: 'KDR',
  vemurafenib: 'BRAF',
  crizotinib: 'ALK',
  ruxolitinib: 'JAK2',
  tofacitinib: 'JAK2',
  ibrutinib: 'BTK',
  osimertinib: 'EGFR',
  afatinib: 'EGFR',
  palbociclib: 'CDK4',
  nilotinib: 'ABL1',
  bosutinib: 'ABL1',
  axitinib: 'KDR',
  pazopanib: 'KDR',
  lenvatinib: 'KDR',
}
const KINASES = ['ABL1', 'ALK', 'BRAF', 'BTK', 'CDK4', 'EGFR', 'JAK2', 'KDR']

export const TOX21_TASKS = [
  'NR-AR',
  'NR-AR-LBD',
  'NR-AhR',
  'NR-Aromatase',
  'NR-ER',
  'NR-ER-LBD',
  'NR-PPAR-gamma',
  'SR-ARE',
  'SR-ATAD5',
  'SR-HSE',
  'SR-MMP',
  'SR-p53',
] as const

const byGroup = (...groups: Molecule['group'][]): Molecule[] =>
  MOLECULES.filter((m) => groups.includes(m.group))
const split3 = (key: string): 'train' | 'valid' | 'test' => {
  const b = fnv1a(key) % 10
  return b < 8 ? 'train' : b === 8 ? 'valid' : 'test'
}
const molId = (m: Molecule): string => `AGS-${String(fnv1a(m.name) % 1000000).padStart(6, '0')}`

function kinaseRows(): (string | number)[][] {
  const rng = createRng('data:kinase-affinity')
  const rows: (string | number)[][] = []
  for (const m of byGroup('kinase')) {
    for (const target of KINASES) {
      const primary = PRIMARY_TARGET[m.name] === target
      const p = primary ? 8.2 + rng.next() * 1.3 : 4.6 + rng.next() * 1.9
      rows.push([
        `${molId(m)}-${target}`,
        m.name,
        m.smiles,
        target,
        round(p, 2),
        rng.pick(['B', 'B', 'F']),
      ])
    }
  }
  return rows
}

function tox21Rows(): (string | number | null)[][] {
  const rng = createRng('data:tox21')
  return MOLECULES.map((m) => {
    const base = m.group === 'fragment' ? 0.03 : m.group === 'herg' ? 0.18 : 0.1
    const labels = TOX21_TASKS.map((task) => {
      if (rng.chance(0.14)) return null
      const bump = task === 'SR-MMP' && m.group !== 'fragment' ? 0.15 : 0
      return rng.chance(base + bump) ? 1 : 0
    })
    return [m.smiles, molId(m), ...labels]
  })
}

const HERG_COLUMNS = ['mol_id', 'name', 'smiles', 'ic50_um', 'blocker'] as const
const HERG_TYPES = {
  mol_id: 'STRING',
  name: 'STRING',
  smiles: 'STRING',
  ic50_um: 'DOUBLE',
  blocker: 'INT32',
} as const

function hergRows(): (string | number)[][] {
  const rng = createRng('data:herg')
  return byGroup('herg', 'drug', 'kinase').map((m) => {
    const ic50 = m.group === 'herg' ? 0.01 + rng.next() * 0.9 : 2 + rng.next() * 60
    return [molId(m), m.name, m.smiles, round(ic50, 3), ic50 < 10 ? 1 : 0]
  })
}

function solubilityRows(): (string | number)[][] {
  const rng = createRng('data:solubility')
  return MOLECULES.map((m) => {
    const mw = molecularWeight(m.smiles)
    const logS = 0.9 - 0.0105 * mw + rng.normal() * 0.6
    return [m.name, m.smiles, mw, round(logS, 2)]
  })
}

/**
 * The training split of the sample models: the molecules of Tox21-mini's
 * train split, with their 12 Tox21 labels and the hERG blocker label
 * (null where a label is missing or the molecule is not in the hERG set).
 */
export function admetTrainingRows(): { smiles: string; labels: (number | null)[] }[] {
  const herg = new Map(hergRows().map((r) => [String(r[0]), r[4] as number]))
  return tox21Rows()
    .filter((r) => split3(`tox:${r[1]}`) === 'train')
    .map((r) => ({
      smiles: String(r[0]),
      labels: [...(r.slice(2) as (number | null)[]), herg.get(String(r[1])) ?? null],
    }))
}

/**
 * One labelled table for the ADMET suite: every molecule with its SMILES
 * (what `agora eval --run` featurises), the 12 Tox21 endpoints on the
 * Tox21-mini test split (empty elsewhere), the hERG blocker label and log S,
 * so one predictions file scores all three tasks.
 */
function admetLabels(): string {
  const toxTest = new Map(
    tox21Rows()
      .filter((r) => split3(`tox:${r[1]}`) === 'test')
      .map((r) => [String(r[1]), r.slice(2)]),
  )
  const herg = new Map(hergRows().map((r) => [String(r[0]), r[4] as number]))
  const logS = new Map(solubilityRows().map((r) => [String(r[0]), r[3] as number]))
  const rows = MOLECULES.map((m) => {
    const id = molId(m)
    return [
      id,
      m.smiles,
      ...(toxTest.get(id) ?? TOX21_TASKS.map(() => null)),
      herg.get(id) ?? null,
      logS.get(m.name) ?? null,
    ]
  })
  return csv(['mol_id', 'smiles', ...TOX21_TASKS, 'blocker', 'logS'], rows)
}

function reactionRows(): (string | number)[][] {
  const rng = createRng('data:reactions')
  const rows: (string | number)[][] = []
  let n = 1
  for (const acyl of ACYLS) {
    for (const amine of AMINES) {
      rows.push([
        `RXN-${String(n++).padStart(4, '0')}`,
        `OC(=O)${acyl.r}.${amine.amine}>>O=C(${amine.amide})${acyl.r}`,
        'amide coupling',
        Math.round(55 + rng.next() * 40),
      ])
    }
  }
  for (const a of ARYLS) {
    for (const b of ARYLS) {
      if (a === b) continue
      rows.push([
        `RXN-${String(n++).padStart(4, '0')}`,
        `Br${a.head}.OB(O)${b.head}>>${b.tail}-${a.head}`,
        'Suzuki coupling',
        Math.round(40 + rng.next() * 55),
      ])
    }
  }
  return rows
}

/** Every seventh reaction: the retrosynthesis benchmark's held-out set. */
function heldOutReactions(): (string | number)[][] {
  return reactionRows().filter((_, i) => i % 7 === 0)
}

function heldOutProducts(): string {
  return heldOutReactions()
    .map((r) => `${String(r[1]).split('>>')[1]} ${r[0]}\n`)
    .join('')
}

const CHEM_CITATION_YEAR = 2025

/**
 * Chemistry datasets and drug-discovery benchmarks of the sample hub.
 *
 * @example chemDataItems().map((d) => d.item.id)
 */
export function chemDataItems(): SampleItemDef[] {
  const items: SampleItemDef[] = []

  const kinase = kinaseRows()
  const kHeader = ['record_id', 'name', 'smiles', 'target', 'pchembl_value', 'assay_type']
  const bySplit = {
    train: [] as typeof kinase,
    valid: [] as typeof kinase,
    test: [] as typeof kinase,
  }
  for (const r of kinase) bySplit[split3(String(r[1]))].push(r)
  const kinaseItem: DatasetItem = {
    kind: 'dataset',
    id: 'openchem-lab/kinase-affinity',
    title: 'Kinase inhibitor affinities (sample)',
    summary:
      'pChEMBL-style affinities of 20 approved kinase inhibitors against 8 kinases, as SMILES CSV with a compound-level split.',
    owners: ['openchem-lab'],
    tags: ['kinase', 'binding-affinity', 'smiles', 'pchembl', 'regression'],
    domain: 'drug-discovery',
    license: 'CC-BY-4.0',
    format: 'smiles_csv',
    task_categories: ['tabular-regression'],
    size_categories: 'n<1K',
    links: { homepage: 'https://openchem-lab.example.org/data/kinase-affinity' },
    citation: bibtex(
      'openchem2025kinase',
      'Kinase inhibitor affinities (sample)',
      'OpenChem Lab',
      CHEM_CITATION_YEAR,
      'http://127.0.0.1:4321/datasets/openchem-lab/kinase-affinity',
    ),
  }
  items.push(
    defineItem(
      kinaseItem,
      [
        {
          manifest: {
            version: '1.0.0',
            released: '2025-03-04',
            changelog: 'First release: one file, no split.',
            num_datapoints: kinase.length,
            quality: { duplicate_rate: 0, missing_rate: 0, coverage: 1 },
          },
          files: [textFile('affinity.csv', csv(kHeader, kinase))],
        },
        {
          manifest: {
            version: '1.1.0',
            released: '2025-06-18',
            changelog:
              'Compound-level train/valid/test split so no inhibitor appears in two splits.',
            num_datapoints: kinase.length,
            splits: (['train', 'valid', 'test'] as const).map((s) => ({
              name: s,
              num_rows: bySplit[s].length,
              files: [`${s}.csv`],
            })),
            quality: { duplicate_rate: 0, missing_rate: 0, coverage: 1 },
          },
          files: (['train', 'valid', 'test'] as const).map((s) =>
            textFile(`${s}.csv`, csv(kHeader, bySplit[s])),
          ),
        },
      ],
      {
        about:
          'Each row is one inhibitor–kinase pair with a pChEMBL-style value (−log10 of IC50/Ki in mol/L). The structures are the PubChem SMILES of approved drugs; **the affinity values are synthetic**: primary targets get 8.2–9.5, off-targets 4.6–6.5, so models can learn selectivity patterns but no value is a measurement.',
        usage:
          '```python\nimport pandas as pd\ntrain = pd.read_csv("train.csv")\nprint(train.groupby("target").pchembl_value.describe())\n```',
        sections: [
          {
            heading: 'Columns',
            body: '| column | meaning |\n| --- | --- |\n| record_id | compound id and target |\n| name | INN of the inhibitor |\n| smiles | Kekulé SMILES |\n| target | HGNC kinase symbol |\n| pchembl_value | synthetic −log10 affinity |\n| assay_type | B (binding) or F (functional) |',
          },
        ],
        limitations:
          'Twenty compounds cannot represent chemical space; the split is by compound so scaffolds still leak (four EGFR quinazolines). Values are synthetic: do not use them for science.',
      },
    ),
  )

  const tox = tox21Rows()
  const toxMissing =
    tox.reduce((n, r) => n + r.filter((v) => v === null).length, 0) /
    (tox.length * TOX21_TASKS.length)
  const toxSplit = { train: [] as typeof tox, valid: [] as typeof tox, test: [] as typeof tox }
  tox.forEach((r) => {
    toxSplit[split3(`tox:${r[1]}`)].push(r)
  })
  const toxHeader = ['smiles', 'mol_id', ...TOX21_TASKS]
  items.push(
    defineItem(
      {
        kind: 'dataset',
        id: 'moleval/tox21-mini',
        title: 'Tox21 mini (12 endpoints, sample labels)',
        summary:
          'A Tox21-shaped multitask toxicity set: 114 real molecules, 12 nuclear-receptor and stress-response endpoints, with missing labels.',
        owners: ['moleval'],
        tags: ['tox21', 'toxicity', 'multitask', 'classification', 'smiles'],
        domain: 'toxicology',
        license: 'CC-BY-4.0',
        format: 'csv',
        task_categories: ['tabular-classification'],
        size_categories: 'n<1K',
        links: {
          paper: 'https://tripod.nih.gov/tox21/challenge/',
          homepage: 'https://moleval.example.org/tox21-mini',
        },
        citation: bibtex(
          'moleval2025tox21mini',
          'Tox21 mini',
          'MolEval Consortium',
          CHEM_CITATION_YEAR,
          'http://127.0.0.1:4321/datasets/moleval/tox21-mini',
        ),
      },
      [
        {
          manifest: {
            version: '1.0.0',
            released: '2025-02-10',
            changelog: 'First release, random split.',
            num_datapoints: tox.length,
            quality: { duplicate_rate: 0, missing_rate: round(toxMissing, 4), coverage: 1 },
          },
          files: [textFile('tox21_mini.csv', csv(toxHeader, tox))],
        },
        {
          manifest: {
            version: '2.0.0',
            released: '2025-07-01',
            changelog:
              'Breaking: files split into train/valid/test; column order now matches the original Tox21 challenge.',
            num_datapoints: tox.length,
            splits: (['train', 'valid', 'test'] as const).map((s) => ({
              name: s,
              num_rows: toxSplit[s].length,
              files: [`${s}.csv`],
            })),
            quality: { duplicate_rate: 0, missing_rate: round(toxMissing, 4), coverage: 1 },
          },
          files: (['train', 'valid', 'test'] as const).map((s) =>
            textFile(`${s}.csv`, csv(toxHeader, toxSplit[s])),
          ),
        },
      ],
      {
        about:
          'Same columns as the Tox21 Data Challenge 2014 (SMILES, id, 12 binary endpoints; empty cells are untested). The molecules are real drugs, kinase inhibitors, hERG reference compounds and fragments; **the labels are synthetic**, drawn so that drug-like molecules are active more often than fragments.',
        usage:
          '```python\nimport pandas as pd\ndf = pd.read_csv("train.csv")\nmask = df["SR-MMP"].notna()\n```',
        limitations: `About ${Math.round(toxMissing * 100)}% of labels are missing by design. Labels are synthetic; use the real Tox21 data for research.`,
      },
    ),
  )

  const herg = hergRows()
  items.push(
    defineItem(
      {
        kind: 'dataset',
        id: 'moleval/herg-inhibition',
        title: 'hERG inhibition (sample)',
        summary:
          'hERG potassium-channel IC50 values and blocker labels (IC50 < 10 µM) for 76 drugs, including classic QT-prolonging references.',
        owners: ['moleval'],
        tags: ['herg', 'cardiotoxicity', 'safety-pharmacology', 'classification'],
        domain: 'toxicology',
        license: 'CC-BY-4.0',
        format: 'smiles_csv',
        task_categories: ['tabular-classification', 'tabular-regression'],
        size_categories: 'n<1K',
      },
      [
        {
          manifest: {
            version: '1.0.0',
            released: '2025-04-22',
            changelog: 'First release.',
            num_datapoints: herg.length,
            quality: { duplicate_rate: 0, missing_rate: 0, coverage: 1 },
          },
          files: [textFile('herg.csv', csv(HERG_COLUMNS, herg))],
        },
        {
          manifest: {
            version: '1.1.0',
            released: '2025-09-09',
            changelog: 'Adds herg.parquet, the same rows as herg.csv in Parquet (Snappy).',
            num_datapoints: herg.length,
            quality: { duplicate_rate: 0, missing_rate: 0, coverage: 1 },
          },
          files: [
            textFile('herg.csv', csv(HERG_COLUMNS, herg)),
            parquetFile(
              'herg.parquet',
              HERG_COLUMNS.map((name) => ({ name, type: HERG_TYPES[name] })),
              herg,
            ),
          ],
        },
      ],
      {
        about:
          'Terfenadine, astemizole, dofetilide and other withdrawn or QT-labelled drugs are the positives; other marketed drugs and kinase inhibitors make up the rest. **IC50 values are synthetic**, chosen so that the reference blockers fall below 1 µM.',
        limitations:
          'Real hERG data vary by assay (patch clamp vs. binding); this sample has no assay column. Synthetic values.',
      },
    ),
  )

  const sol = solubilityRows()
  items.push(
    defineItem(
      {
        kind: 'dataset',
        id: 'aiko-tanaka/aqueous-solubility',
        title: 'Aqueous solubility (ESOL-style, sample)',
        summary:
          'log S (mol/L) for 114 molecules with computed molecular weights, in the layout of the ESOL benchmark.',
        owners: ['aiko-tanaka'],
        tags: ['solubility', 'esol', 'regression', 'physchem'],
        domain: 'cheminformatics',
        license: 'CC0-1.0',
        format: 'smiles_csv',
        task_categories: ['tabular-regression'],
        size_categories: 'n<1K',
      },
      [
        {
          manifest: {
            version: '1.0.0',
            released: '2025-01-15',
            changelog: 'First release.',
            num_datapoints: sol.length,
            quality: { duplicate_rate: 0, missing_rate: 0, coverage: 1 },
          },
          files: [textFile('solubility.csv', csv(['name', 'smiles', 'mol_weight', 'logS'], sol))],
        },
      ],
      {
        about:
          'Molecular weights are computed from the SMILES (average masses, implicit hydrogens). **log S values are synthetic**: a linear trend in molecular weight plus noise, which is roughly how ESOL baselines behave.',
        limitations: 'Synthetic targets; fragments dominate the low-weight end.',
      },
    ),
  )

  const rx = reactionRows()
  items.push(
    defineItem(
      {
        kind: 'dataset',
        id: 'molforge/uspto-reactions-sample',
        title: 'Template reactions (USPTO-style, sample)',
        summary:
          'Amide couplings and Suzuki couplings as reaction SMILES with yields, in the layout of USPTO-derived retrosynthesis sets.',
        owners: ['molforge'],
        tags: ['reactions', 'retrosynthesis', 'uspto', 'reaction-smiles'],
        domain: 'drug-discovery',
        license: 'CC0-1.0',
        format: 'csv',
        task_categories: ['text2text-generation'],
        size_categories: 'n<1K',
      },
      [
        {
          manifest: {
            version: '1.0.0',
            released: '2025-05-05',
            changelog: 'First release: 64 amide couplings, 90 Suzuki couplings.',
            num_datapoints: rx.length,
            quality: { duplicate_rate: 0, missing_rate: 0, coverage: 1 },
          },
          files: [
            textFile(
              'reactions.csv',
              csv(['reaction_id', 'rxn_smiles', 'reaction_class', 'yield_pct'], rx),
            ),
          ],
        },
      ],
      {
        about:
          'Products are built from templates over real building blocks (acids, amines, aryl bromides and boronic acids), so every reaction SMILES is chemically consistent. **Yields are synthetic.**',
        limitations: 'Two reaction classes only; no reagents, solvents or atom mapping.',
      },
    ),
  )

  const egfr = ['gefitinib', 'erlotinib', 'lapatinib', 'osimertinib', 'afatinib']
  const actives = MOLECULES.filter((m) => egfr.includes(m.name))
  const decoys = MOLECULES.filter((m) => !egfr.includes(m.name) && m.group !== 'kinase').slice(
    0,
    50,
  )
  const sdfOf = (ms: Molecule[], role: string) =>
    sdf(
      ms.map((m) => ({
        name: m.name,
        smiles: m.smiles,
        data: { role, mol_weight: molecularWeight(m.smiles) },
      })),
    )
  const pocket = pocketPdb({
    sequence: 'LTSTVQLITQLMPFGCLLDY',
    start: 777,
    chain: 'A',
    center: [22.0, 0.3, 52.8],
    title: 'EGFR kinase hinge region, ideal-helix stand-in',
  })
  items.push(
    defineItem(
      {
        kind: 'dataset',
        id: 'openchem-lab/egfr-dude-mini',
        title: 'EGFR actives and decoys (DUD-E style, sample)',
        summary:
          'Five approved EGFR inhibitors and 50 decoys as SD files plus a pocket snippet, for docking enrichment experiments.',
        owners: ['openchem-lab'],
        tags: ['docking', 'virtual-screening', 'egfr', 'decoys', 'sdf'],
        domain: 'drug-discovery',
        license: 'CC-BY-4.0',
        format: 'sdf',
        task_categories: ['other'],
        size_categories: 'n<1K',
        links: { paper: 'https://doi.org/10.1021/jm300687e' },
      },
      [
        {
          manifest: {
            version: '1.0.0',
            released: '2025-03-20',
            changelog: 'First release.',
            num_datapoints: actives.length + decoys.length,
            splits: [
              { name: 'actives', num_rows: actives.length, files: ['actives.sdf'] },
              { name: 'decoys', num_rows: decoys.length, files: ['decoys.sdf'] },
            ],
          },
          files: [
            textFile('actives.sdf', sdfOf(actives, 'active')),
            textFile('decoys.sdf', sdfOf(decoys, 'decoy')),
            textFile('pocket.pdb', pocket),
          ],
        },
      ],
      {
        about:
          'Mol blocks are V2000 with 2D coordinates from a deterministic layout; generate 3D conformers before docking. Unlike DUD-E, **decoys are other marketed drugs and fragments, not property-matched**, so enrichment on this set is optimistic.',
        limitations:
          'Tiny; decoys are not property-matched; the pocket is an ideal-helix stand-in, not the crystal structure.',
      },
    ),
  )

  const fragments = byGroup('fragment')
  items.push(
    defineItem(
      {
        kind: 'dataset',
        id: 'openchem-lab/fragment-library',
        title: 'Rule-of-three fragment library',
        summary:
          '38 common medicinal-chemistry fragments (heteroaromatics, saturated amines, small polar groups) as an SD file.',
        owners: ['openchem-lab'],
        tags: ['fragments', 'fbdd', 'sdf', 'building-blocks'],
        domain: 'cheminformatics',
        license: 'CC0-1.0',
        format: 'sdf',
        size_categories: 'n<1K',
      },
      [
        {
          manifest: {
            version: '1.0.0',
            released: '2024-11-02',
            changelog: 'First release.',
            num_datapoints: fragments.length,
          },
          files: [textFile('fragments.sdf', sdfOf(fragments, 'fragment'))],
        },
      ],
      {
        about:
          'Real structures; each record carries its molecular weight. All fragments satisfy MW < 300.',
        limitations: 'No 3D conformers, no vendor ids.',
      },
    ),
  )

  const pockets = [
    {
      file: 'egfr_hinge.pdb',
      seq: 'LTSTVQLITQLMPFGCLLDY',
      start: 777,
      title: 'EGFR hinge with erlotinib',
      code: 'AQ4',
      lig: 'erlotinib',
    },
    {
      file: 'abl1_hinge.pdb',
      seq: 'IITEFMTYGNLLDYLREC',
      start: 313,
      title: 'ABL1 hinge with imatinib',
      code: 'STI',
      lig: 'imatinib',
    },
    {
      file: 'braf_hinge.pdb',
      seq: 'QWCEGSSLYHHLHIIETK',
      start: 525,
      title: 'BRAF hinge with vemurafenib',
      code: '032',
      lig: 'vemurafenib',
    },
    {
      file: 'cdk4_hinge.pdb',
      seq: 'LVFEHVDQDLRTYLDKAP',
      start: 93,
      title: 'CDK4 hinge with palbociclib',
      code: 'LQQ',
      lig: 'palbociclib',
    },
  ]
  items.push(
    defineItem(
      {
        kind: 'dataset',
        id: 'openchem-lab/kinase-pockets',
        title: 'Kinase hinge pocket snippets',
        summary:
          'PDB snippets of four kinase hinge regions with their approved inhibitor placed at the pocket centre.',
        owners: ['openchem-lab'],
        tags: ['pdb', 'pockets', 'kinase', 'structure'],
        domain: 'structural-biology',
        license: 'CC-BY-4.0',
        format: 'pdb',
        size_categories: 'n<1K',
      },
      [
        {
          manifest: {
            version: '0.1.0',
            released: '2025-08-11',
            changelog: 'Preview: four pockets.',
            num_datapoints: pockets.length,
          },
          files: pockets.map((p) =>
            textFile(
              p.file,
              pocketPdb({
                sequence: p.seq,
                start: p.start,
                chain: 'A',
                center: [0, 0, 0],
                title: p.title,
                ligand: {
                  code: p.code,
                  smiles: MOLECULES.find((m) => m.name === p.lig)?.smiles ?? 'C',
                },
              }),
            ),
          ),
        },
      ],
      {
        about:
          'Sequences and residue numbers follow UniProt for each kinase hinge; **coordinates are an ideal α-helix** and the ligand is a 2D layout, not a crystal pose. Good for parser tests and viewers.',
        limitations: 'Not experimental structures; do not dock into them.',
      },
    ),
  )

  items.push(...chemBenchmarks(actives, decoys))
  return items
}

function chemBenchmarks(actives: Molecule[], decoys: Molecule[]): SampleItemDef[] {
  const items: SampleItemDef[] = []
  const smi = (ms: Molecule[]) => ms.map((m) => `${m.smiles} ${m.name}\n`).join('')
  const docking: BenchmarkItem = {
    kind: 'benchmark',
    id: 'moleval/docking-enrichment',
    title: 'Docking enrichment (EGFR mini)',
    summary:
      'How early a docking or rescoring method ranks known EGFR inhibitors among decoys: EF1%, BEDROC(α=20) and ROC AUC.',
    owners: ['moleval'],
    tags: ['docking', 'virtual-screening', 'enrichment', 'egfr'],
    domain: 'drug-discovery',
    license: 'CC-BY-4.0',
    datasets: ['datasets/openchem-lab/egfr-dude-mini'],
    task: 'virtual-screening',
    metrics: [
      {
        name: 'ef1',
        higher_is_better: true,
        unit: 'x',
        description: 'Enrichment factor in the top 1% of the ranked list.',
      },
      {
        name: 'bedroc20',
        higher_is_better: true,
        description: 'BEDROC with α = 20 (Truchon & Bayly, 2007).',
      },
      { name: 'auroc', higher_is_better: true, description: 'Area under the ROC curve.' },
    ],
    baselines: [
      { name: 'random ranking', scores: { ef1: 1.0, bedroc20: 0.09, auroc: 0.5 } },
      {
        name: 'molecular weight',
        scores: { ef1: 0.0, bedroc20: 0.21, auroc: 0.64 },
        source: 'https://moleval.example.org/baselines/docking-enrichment',
      },
    ],
    submission_guidelines:
      'Score every molecule in actives.smi and decoys.smi (lower docking score = better), write `name,score` CSV, run `python score.py predictions.csv`, and open a PR adding results/moleval/docking-enrichment.yaml to your item.',
  }
  const scorePy = `"""Scores a ranked list against actives.smi and decoys.smi: EF1%, BEDROC(20), ROC AUC."""
import csv
import math
import sys


def load(path):
    return {line.split()[1] for line in open(path) if line.strip()}


def main(pred_path):
    actives = load("actives.smi")
    rows = sorted(csv.DictReader(open(pred_path)), key=lambda r: float(r["score"]))
    labels = [1 if r["name"] in actives else 0 for r in rows]
    n, n_act = len(labels), sum(labels)
    top = max(1, round(0.01 * n))
    ef1 = (sum(labels[:top]) / top) / (n_act / n)
    alpha = 20.0
    ranks = [i + 1 for i, y in enumerate(labels) if y]
    s = sum(math.exp(-alpha * r / n) for r in ranks)
    ra = n_act / n
    rie = s / (ra * (1 - math.exp(-alpha)) / (math.exp(alpha / n) - 1))
    bedroc = rie * ra * math.sinh(alpha / 2) / (math.cosh(alpha / 2) - math.cosh(alpha / 2 - alpha * ra)) + 1 / (1 - math.exp(alpha * (1 - ra)))
    pos = [i for i, y in enumerate(labels) if y]
    auc = 1 - sum(p - k for k, p in enumerate(pos)) / (n_act * (n - n_act))
    print(f"ef1={ef1:.2f} bedroc20={bedroc:.3f} auroc={auc:.3f}")


if __name__ == "__main__":
    main(sys.argv[1])
`
  items.push(
    defineItem(
      docking,
      [
        {
          manifest: {
            version: '1.0.0',
            released: '2025-04-01',
            changelog: 'First release.',
            test_files: ['actives.smi', 'decoys.smi', 'labels.csv'],
            evaluation: {
              test_set: 'labels.csv',
              id_column: 'name',
              predictions: { format: 'csv', higher_is_better: false },
              tasks: [{ name: 'egfr', label: 'active', prediction: 'score' }],
              metrics: [
                { name: 'ef1', function: 'enrichment_factor', fraction: 0.01 },
                { name: 'bedroc20', function: 'bedroc', alpha: 20 },
                { name: 'auroc', function: 'roc_auc' },
              ],
            },
          },
          files: [
            textFile('actives.smi', smi(actives)),
            textFile('decoys.smi', smi(decoys)),
            textFile(
              'labels.csv',
              csv(
                ['name', 'active'],
                [...actives.map((m) => [m.name, 1]), ...decoys.map((m) => [m.name, 0])],
              ),
            ),
            textFile('score.py', scorePy),
            textFile(
              'eval.yaml',
              'name: docking-enrichment\ndescription: EGFR actives vs decoys\nevaluation_framework: moleval\ntasks:\n  - id: egfr\n    split: test\n',
            ),
          ],
        },
      ],
      {
        about:
          'A deliberately small screening benchmark: 5 actives, 50 decoys. Methods rank all 55 molecules; the scorer reports early enrichment (EF1%, BEDROC) and overall ranking quality (AUC).',
        limitations:
          'With five actives, EF1% takes only a few values; compare BEDROC. Decoys are not property-matched, so weight-based baselines do unusually well.',
      },
    ),
  )

  items.push(
    defineItem(
      {
        kind: 'benchmark',
        id: 'moleval/admet-suite',
        title: 'ADMET suite (Tox21 + hERG + solubility)',
        summary:
          'One leaderboard over three ADMET tasks: mean ROC AUC on Tox21-mini, hERG ROC AUC, and solubility RMSE.',
        owners: ['moleval'],
        tags: ['admet', 'toxicity', 'herg', 'solubility', 'leaderboard'],
        domain: 'toxicology',
        license: 'CC-BY-4.0',
        datasets: [
          'datasets/moleval/tox21-mini',
          'datasets/moleval/herg-inhibition',
          'datasets/aiko-tanaka/aqueous-solubility',
        ],
        task: 'property-prediction',
        metrics: [
          {
            name: 'tox21_mean_auroc',
            higher_is_better: true,
            description:
              'ROC AUC averaged over the 12 Tox21 endpoints, test split, missing labels masked.',
          },
          {
            name: 'herg_auroc',
            higher_is_better: true,
            description: 'ROC AUC of the blocker label.',
          },
          {
            name: 'solubility_rmse',
            higher_is_better: false,
            unit: 'log mol/L',
            description: 'RMSE of log S.',
          },
        ],
        baselines: [
          {
            name: 'random forest on ECFP4',
            scores: { tox21_mean_auroc: 0.71, herg_auroc: 0.78, solubility_rmse: 1.12 },
            source: 'https://moleval.example.org/baselines/admet-suite',
          },
          {
            name: 'majority class / mean',
            scores: { tox21_mean_auroc: 0.5, herg_auroc: 0.5, solubility_rmse: 1.64 },
          },
        ],
        submission_guidelines:
          'Predict the test splits of the three datasets, run `python score.py`, and add results/moleval/admet-suite.yaml to your item.',
      },
      [
        {
          manifest: {
            version: '1.0.0',
            released: '2025-07-15',
            changelog: 'First release.',
            test_files: ['tasks.json', 'test_labels.csv'],
            evaluation: {
              test_set: 'test_labels.csv',
              id_column: 'mol_id',
              predictions: { format: 'csv' },
              tasks: [
                ...TOX21_TASKS.map((t) => ({ name: t, label: t })),
                { name: 'herg', label: 'blocker' },
                { name: 'solubility', label: 'logS' },
              ],
              metrics: [
                { name: 'tox21_mean_auroc', function: 'roc_auc', tasks: [...TOX21_TASKS] },
                { name: 'herg_auroc', function: 'roc_auc', tasks: ['herg'] },
                { name: 'solubility_rmse', function: 'rmse', tasks: ['solubility'] },
              ],
            },
          },
          files: [
            textFile('test_labels.csv', admetLabels()),
            jsonFile('tasks.json', {
              tasks: [
                {
                  id: 'tox21',
                  dataset: 'datasets/moleval/tox21-mini@2.0.0',
                  split: 'test',
                  metric: 'tox21_mean_auroc',
                },
                {
                  id: 'herg',
                  dataset: 'datasets/moleval/herg-inhibition@1.0.0',
                  split: 'all',
                  metric: 'herg_auroc',
                },
                {
                  id: 'solubility',
                  dataset: 'datasets/aiko-tanaka/aqueous-solubility@1.0.0',
                  split: 'all',
                  metric: 'solubility_rmse',
                },
              ],
            }),
          ],
        },
      ],
      {
        about: 'The suite pins dataset versions so scores stay comparable when datasets change.',
        limitations:
          'The underlying labels are synthetic sample data; scores demonstrate the leaderboard, not model quality.',
      },
    ),
  )

  items.push(
    defineItem(
      {
        kind: 'benchmark',
        id: 'moleval/retrosynthesis-topk',
        title: 'Single-step retrosynthesis top-k',
        summary:
          'Top-1/5/10 exact-match accuracy of predicted reactants for held-out products, plus the share of chemically valid predictions.',
        owners: ['moleval'],
        tags: ['retrosynthesis', 'reactions', 'top-k', 'leaderboard'],
        domain: 'drug-discovery',
        license: 'CC-BY-4.0',
        datasets: ['datasets/molforge/uspto-reactions-sample'],
        task: 'retrosynthesis',
        metrics: [
          {
            name: 'top1',
            higher_is_better: true,
            unit: '%',
            description: 'Canonical reactant set matches in the first prediction.',
          },
          { name: 'top5', higher_is_better: true, unit: '%' },
          { name: 'top10', higher_is_better: true, unit: '%' },
          {
            name: 'validity',
            higher_is_better: true,
            unit: '%',
            description: 'Share of top-1 predictions that parse as molecules.',
          },
        ],
        baselines: [
          {
            name: 'template lookup (RDChiral)',
            scores: { top1: 41.2, top5: 68.9, top10: 75.0, validity: 100 },
            source: 'https://moleval.example.org/baselines/retrosynthesis-topk',
          },
        ],
      },
      [
        {
          manifest: {
            version: '1.0.0',
            released: '2025-06-01',
            changelog: 'First release.',
            test_files: ['test_products.smi'],
          },
          files: [textFile('test_products.smi', heldOutProducts())],
        },
        {
          manifest: {
            version: '1.1.0',
            released: '2026-12-07',
            changelog:
              'Adds the labelled test set (test.csv: product and reactants) and an evaluation contract, so agora eval scores ranked predictions: top-k exact match on canonical reactant sets, and validity of the first.',
            test_files: ['test_products.smi', 'test.csv'],
            evaluation: {
              test_set: 'test.csv',
              id_column: 'reaction_id',
              predictions: { format: 'jsonl' },
              tasks: [{ name: 'retro', label: 'reactants', prediction: 'predictions' }],
              metrics: [
                { name: 'top1', function: 'top_k_exact_match', k: 1 },
                { name: 'top5', function: 'top_k_exact_match', k: 5 },
                { name: 'top10', function: 'top_k_exact_match', k: 10 },
                { name: 'validity', function: 'smiles_validity' },
              ],
            },
          },
          files: [
            textFile('test_products.smi', heldOutProducts()),
            textFile(
              'test.csv',
              csv(
                ['reaction_id', 'product', 'reactants'],
                heldOutReactions().map((r) => {
                  const [reactants, product] = String(r[1]).split('>>')
                  return [r[0] as string, product as string, reactants as string]
                }),
              ),
            ),
          ],
        },
      ],
      {
        about:
          'Every seventh reaction of the sample reaction set is held out; methods predict reactants from the product SMILES.',
        limitations:
          'Two reaction classes make this easy; scores are not comparable with USPTO-50k.',
      },
    ),
  )
  return items
}

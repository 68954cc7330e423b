/**
 * Real molecules used across the sample hub's chemistry datasets. SMILES are
 * the Kekulé forms PubChem lists for each compound; names are the INN or
 * common names. Activity labels elsewhere are synthetic; the structures are not.
 */
export interface Molecule {
  name: string
  smiles: string
  /** A coarse class used to bias synthetic labels so they look plausible. */
  group: 'kinase' | 'herg' | 'drug' | 'fragment'
}

const kinase: [string, string][] = [
  ['imatinib', 'CC1=C(C=C(C=C1)NC(=O)C2=CC=C(C=C2)CN3CCN(CC3)C)NC4=NC=CC(=N4)C5=CN=CC=C5'],
  ['gefitinib', 'COC1=C(C=C2C(=C1)N=CN=C2NC3=CC(=C(C=C3)F)Cl)OCCCN4CCOCC4'],
  ['erlotinib', 'COCCOC1=C(C=C2C(=C1)C(=NC=N2)NC3=CC=CC(=C3)C#C)OCCOC'],
  ['lapatinib', 'CS(=O)(=O)CCNCC1=CC=C(O1)C2=CC3=C(C=C2)N=CN=C3NC4=CC(=C(C=C4)OCC5=CC(=CC=C5)F)Cl'],
  ['sorafenib', 'CNC(=O)C1=NC=CC(=C1)OC2=CC=C(C=C2)NC(=O)NC3=CC(=C(C=C3)Cl)C(F)(F)F'],
  ['dasatinib', 'CC1=C(C(=CC=C1)Cl)NC(=O)C2=CN=C(S2)NC3=CC(=NC(=N3)C)N4CCN(CC4)CCO'],
  ['sunitinib', 'CCN(CC)CCNC(=O)C1=C(NC(=C1C)C=C2C3=C(C=CC(=C3)F)NC2=O)C'],
  ['vemurafenib', 'CCCS(=O)(=O)NC1=C(C(=C(C=C1)F)C(=O)C2=CNC3=C2C=C(C=N3)C4=CC=C(C=C4)Cl)F'],
  ['crizotinib', 'CC(C1=C(C=CC(=C1Cl)F)Cl)OC2=C(N=CC(=C2)C3=CN(N=C3)C4CCNCC4)N'],
  ['ruxolitinib', 'C1CCC(C1)C(CC#N)N2C=C(C=N2)C3=C4C=CNC4=NC=N3'],
  ['tofacitinib', 'CC1CCN(CC1N(C)C2=NC=NC3=C2C=CN3)C(=O)CC#N'],
  ['ibrutinib', 'C=CC(=O)N1CCCC(C1)N2C3=NC=NC(=C3C(=N2)C4=CC=C(C=C4)OC5=CC=CC=C5)N'],
  ['osimertinib', 'CN1C=C(C2=CC=CC=C21)C3=NC(=NC=C3)NC4=C(C=C(C(=C4)NC(=O)C=C)N(C)CCN(C)C)OC'],
  ['afatinib', 'CN(C)C/C=C/C(=O)NC1=C(C=C2C(=C1)C(=NC=N2)NC3=CC(=C(C=C3)F)Cl)OC4CCOC4'],
  ['palbociclib', 'CC1=C(C(=O)N(C2=NC(=NC=C12)NC3=NC=C(C=C3)N4CCNCC4)C5CCCC5)C(=O)C'],
  [
    'nilotinib',
    'CC1=CN(C=N1)C2=CC(=CC(=C2)C(F)(F)F)NC(=O)C3=CC(=C(C=C3)C)NC4=NC=CC(=N4)C5=CN=CC=C5',
  ],
  ['bosutinib', 'CN1CCN(CC1)CCCOC2=C(C=C3C(=C2)N=CC(=C3NC4=CC(=C(C=C4Cl)Cl)OC)C#N)OC'],
  ['axitinib', 'CNC(=O)C1=CC=CC=C1SC2=CC3=C(C=C2)C(=NN3)/C=C/C4=CC=CC=N4'],
  ['pazopanib', 'CC1=C(C=C(C=C1)NC2=NC=CC(=N2)N(C)C3=CC4=NN(C(=C4C=C3)C)C)S(=O)(=O)N'],
  ['lenvatinib', 'COC1=CC2=NC=CC(=C2C=C1C(=O)N)OC3=CC(=C(C=C3)NC(=O)NC4CC4)Cl'],
]

const herg: [string, string][] = [
  ['terfenadine', 'CC(C)(C)C1=CC=C(C=C1)C(CCCN2CCC(CC2)C(C3=CC=CC=C3)(C4=CC=CC=C4)O)O'],
  ['astemizole', 'COC1=CC=C(C=C1)CCN2CCC(CC2)NC3=NC4=CC=CC=C4N3CC5=CC=C(C=C5)F'],
  ['dofetilide', 'CN(CCC1=CC=C(C=C1)NS(C)(=O)=O)CCOC2=CC=C(C=C2)NS(C)(=O)=O'],
  ['verapamil', 'CC(C)C(CCCN(C)CCC1=CC(=C(C=C1)OC)OC)(C#N)C2=CC(=C(C=C2)OC)OC'],
  ['haloperidol', 'C1CN(CCC1(C2=CC=C(C=C2)Cl)O)CCCC(=O)C3=CC=C(C=C3)F'],
  ['sotalol', 'CC(C)NCC(C1=CC=C(C=C1)NS(=O)(=O)C)O'],
  ['thioridazine', 'CSC1=CC2=C(C=C1)SC3=CC=CC=C3N2CCC4CCCCN4C'],
  ['amiodarone', 'CCCCC1=C(C2=CC=CC=C2O1)C(=O)C3=CC(=C(C(=C3)I)OCCN(CC)CC)I'],
  ['quinidine', 'COC1=CC2=C(C=CN=C2C=C1)C(C3CC4CCN3CC4C=C)O'],
  ['pimozide', 'C1CN(CCC1N2C3=CC=CC=C3NC2=O)CCCC(C4=CC=C(C=C4)F)C5=CC=C(C=C5)F'],
  ['ondansetron', 'CC1=NC=CN1CC2CCC3=C(C2=O)C4=CC=CC=C4N3C'],
  ['propranolol', 'CC(C)NCC(COC1=CC=CC2=CC=CC=C21)O'],
]

const drugs: [string, string][] = [
  ['aspirin', 'CC(=O)OC1=CC=CC=C1C(=O)O'],
  ['caffeine', 'CN1C=NC2=C1C(=O)N(C(=O)N2C)C'],
  ['ibuprofen', 'CC(C)CC1=CC=C(C=C1)C(C)C(=O)O'],
  ['paracetamol', 'CC(=O)NC1=CC=C(C=C1)O'],
  ['metformin', 'CN(C)C(=N)N=C(N)N'],
  [
    'atorvastatin',
    'CC(C)C1=C(C(=C(N1CCC(CC(CC(=O)O)O)O)C2=CC=C(C=C2)F)C3=CC=CC=C3)C(=O)NC4=CC=CC=C4',
  ],
  ['diazepam', 'CN1C(=O)CN=C(C2=C1C=CC(=C2)Cl)C3=CC=CC=C3'],
  ['nicotine', 'CN1CCCC1C2=CN=CC=C2'],
  ['morphine', 'CN1CCC23C4C1CC5=C2C(=C(C=C5)O)OC3C(C=C4)O'],
  ['benzylpenicillin', 'CC1(C(N2C(S1)C(C2=O)NC(=O)CC3=CC=CC=C3)C(=O)O)C'],
  ['sildenafil', 'CCCC1=NN(C2=C1N=C(NC2=O)C3=C(C=CC(=C3)S(=O)(=O)N4CCN(CC4)C)OCC)C'],
  ['warfarin', 'CC(=O)CC(C1=CC=CC=C1)C2=C(C3=CC=CC=C3OC2=O)O'],
  ['celecoxib', 'CC1=CC=C(C=C1)C2=CC(=NN2C3=CC=C(C=C3)S(=O)(=O)N)C(F)(F)F'],
  ['naproxen', 'CC(C1=CC2=C(C=C1)C=C(C=C2)OC)C(=O)O'],
  ['lidocaine', 'CCN(CC)CC(=O)NC1=C(C=CC=C1C)C'],
  ['fluoxetine', 'CNCCC(C1=CC=CC=C1)OC2=CC=C(C=C2)C(F)(F)F'],
  ['omeprazole', 'CC1=CN=C(C(=C1OC)C)CS(=O)C2=NC3=C(N2)C=C(C=C3)OC'],
  ['losartan', 'CCCCC1=NC(=C(N1CC2=CC=C(C=C2)C3=CC=CC=C3C4=NNN=N4)CO)Cl'],
  ['tamoxifen', 'CCC(=C(C1=CC=CC=C1)C2=CC=C(C=C2)OCCN(C)C)C3=CC=CC=C3'],
  ['ciprofloxacin', 'C1CC1N2C=C(C(=O)C3=CC(=C(C=C32)N4CCNCC4)F)C(=O)O'],
  ['dopamine', 'C1=CC(=C(C=C1CCN)O)O'],
  ['serotonin', 'C1=CC2=C(C=C1O)C(=CN2)CCN'],
  ['testosterone', 'CC12CCC3C(C1CCC2O)CCC4=CC(=O)CCC34C'],
  ['diclofenac', 'C1=CC=C(C(=C1)CC(=O)O)NC2=C(C=CC=C2Cl)Cl'],
  ['metoprolol', 'CC(C)NCC(COC1=CC=C(C=C1)CCOC)O'],
  ['amlodipine', 'CCOC(=O)C1=C(NC(=C(C1C2=CC=CC=C2Cl)C(=O)OC)C)COCCN'],
  ['simvastatin', 'CCC(C)(C)C(=O)OC1CC(C=C2C1C(C(C=C2)C)CCC3CC(CC(=O)O3)O)C'],
  ['clopidogrel', 'COC(=O)C(C1=CC=CC=C1Cl)N2CCC3=C(C2)C=CS3'],
  ['sertraline', 'CNC1CCC(C2=CC=CC=C12)C3=CC(=C(C=C3)Cl)Cl'],
  ['venlafaxine', 'CN(C)CC(C1=CC=C(C=C1)OC)C2(CCCCC2)O'],
  ['gabapentin', 'C1CCC(CC1)(CC(=O)O)CN'],
  ['levetiracetam', 'CCC(C(=O)N)N1CCCC1=O'],
  ['furosemide', 'C1=COC(=C1)CNC2=CC(=C(C=C2C(=O)O)S(=O)(=O)N)Cl'],
  ['hydrochlorothiazide', 'C1NC2=CC(=C(C=C2S(=O)(=O)N1)S(=O)(=O)N)Cl'],
  ['prednisone', 'CC12CC(=O)C3C(C1CCC2(C(=O)CO)O)CCC4=CC(=O)C=CC34C'],
  ['methotrexate', 'CN(CC1=CN=C2C(=N1)C(=NC(=N2)N)N)C3=CC=C(C=C3)C(=O)NC(CCC(=O)O)C(=O)O'],
  ['aciclovir', 'C1=NC2=C(N1COCCO)N=C(NC2=O)N'],
  ['zidovudine', 'CC1=CN(C(=O)NC1=O)C2CC(C(O2)CO)N=[N+]=[N-]'],
  ['chloroquine', 'CCN(CC)CCCC(C)NC1=C2C=CC(=CC2=NC=C1)Cl'],
  ['fluconazole', 'C1=CC(=C(C=C1F)F)C(CN2C=NC=N2)(CN3C=NC=N3)O'],
  ['isoniazid', 'C1=CN=CC=C1C(=O)NN'],
  ['theophylline', 'CN1C2=C(C(=O)N(C1=O)C)NC=N2'],
  ['salbutamol', 'CC(C)(C)NCC(C1=CC(=C(C=C1)O)CO)O'],
  ['captopril', 'CC(CS)C(=O)N1CCCC1C(=O)O'],
]

const fragments: [string, string][] = [
  ['benzene', 'C1=CC=CC=C1'],
  ['pyridine', 'C1=CC=NC=C1'],
  ['pyrimidine', 'C1=CN=CN=C1'],
  ['pyrazine', 'C1=CN=CC=N1'],
  ['indole', 'C1=CC=C2C(=C1)C=CN2'],
  ['benzimidazole', 'C1=CC=C2C(=C1)NC=N2'],
  ['quinoline', 'C1=CC=C2C(=C1)C=CC=N2'],
  ['thiophene', 'C1=CSC=C1'],
  ['furan', 'C1=COC=C1'],
  ['pyrazole', 'C1=CNN=C1'],
  ['imidazole', 'C1=CN=CN1'],
  ['thiazole', 'C1=CSC=N1'],
  ['oxazole', 'C1=COC=N1'],
  ['piperidine', 'C1CCNCC1'],
  ['piperazine', 'C1CNCCN1'],
  ['morpholine', 'C1COCCN1'],
  ['pyrrolidine', 'C1CCNC1'],
  ['azetidine', 'C1CNC1'],
  ['oxetane', 'C1COC1'],
  ['cyclopropylamine', 'C1CC1N'],
  ['aniline', 'C1=CC=C(C=C1)N'],
  ['phenol', 'C1=CC=C(C=C1)O'],
  ['benzoic acid', 'C1=CC=C(C=C1)C(=O)O'],
  ['4-fluoroaniline', 'C1=CC(=CC=C1N)F'],
  ['2-aminopyrimidine', 'C1=CN=C(N=C1)N'],
  ['1H-tetrazole', 'C1=NN=NN1'],
  ['1,3-benzodioxole', 'C1OC2=CC=CC=C2O1'],
  ['methanesulfonamide', 'CS(=O)(=O)N'],
  ['1-methylpiperazine', 'CN1CCNCC1'],
  ['7-azaindole', 'C1=CC2=C(NC=C2)N=C1'],
  ['indazole', 'C1=CC=C2C(=C1)C=NN2'],
  ['quinazoline', 'C1=CC=C2C(=C1)C=NC=N2'],
  ['2-aminothiazole', 'C1=CSC(=N1)N'],
  ['acetanilide', 'CC(=O)NC1=CC=CC=C1'],
  ['benzylamine', 'C1=CC=C(C=C1)CN'],
  ['3-aminopyridine', 'C1=CC(=CN=C1)N'],
  ['cyclohexane', 'C1CCCCC1'],
  ['tetrahydropyran', 'C1CCOCC1'],
]

function tag(group: Molecule['group'], rows: [string, string][]): Molecule[] {
  return rows.map(([name, smiles]) => ({ name, smiles, group }))
}

/** Every molecule in the sample tables, in a stable order. */
export const MOLECULES: readonly Molecule[] = [
  ...tag('kinase', kinase),
  ...tag('herg', herg),
  ...tag('drug', drugs),
  ...tag('fragment', fragments),
]

/**
 * Aryl groups for reaction templates, each written twice: `head` starts at
 * the attachment atom (to prefix with Br or B(O)O), `tail` ends at it (to
 * suffix with the partner), so products are the right regio-isomers.
 */
export const ARYLS: readonly { name: string; head: string; tail: string }[] = [
  { name: 'phenyl', head: 'c1ccccc1', tail: 'c1ccccc1' },
  { name: '4-methylphenyl', head: 'c1ccc(C)cc1', tail: 'Cc1ccc(cc1)' },
  { name: '4-methoxyphenyl', head: 'c1ccc(OC)cc1', tail: 'COc1ccc(cc1)' },
  { name: '4-fluorophenyl', head: 'c1ccc(F)cc1', tail: 'Fc1ccc(cc1)' },
  { name: '3-chlorophenyl', head: 'c1cccc(Cl)c1', tail: 'Clc1cccc(c1)' },
  { name: '4-(trifluoromethyl)phenyl', head: 'c1ccc(C(F)(F)F)cc1', tail: 'FC(F)(F)c1ccc(cc1)' },
  { name: '3-pyridyl', head: 'c1cccnc1', tail: 'n1cccc(c1)' },
  { name: '4-cyanophenyl', head: 'c1ccc(C#N)cc1', tail: 'N#Cc1ccc(cc1)' },
  { name: '2-thienyl', head: 'c1cccs1', tail: 's1cccc1' },
  { name: '4-acetylphenyl', head: 'c1ccc(C(C)=O)cc1', tail: 'CC(=O)c1ccc(cc1)' },
]

/** Acyl groups `R` of acids `OC(=O)R`, written from the carbonyl's neighbour. */
export const ACYLS: readonly { name: string; r: string }[] = [
  { name: 'benzoic acid', r: 'c1ccccc1' },
  { name: 'acetic acid', r: 'C' },
  { name: 'isonicotinic acid', r: 'c1ccncc1' },
  { name: 'cyclopropanecarboxylic acid', r: 'C1CC1' },
  { name: '4-fluorobenzoic acid', r: 'c1ccc(F)cc1' },
  { name: 'phenylacetic acid', r: 'Cc1ccccc1' },
  { name: 'thiophene-2-carboxylic acid', r: 'c1cccs1' },
  { name: 'Boc-glycine', r: 'CNC(=O)OC(C)(C)C' },
]

/** Amines `H-N<r>` written as the substituent string after N. */
export const AMINES: readonly { name: string; amine: string; amide: string }[] = [
  { name: 'benzylamine', amine: 'NCc1ccccc1', amide: 'NCc1ccccc1' },
  { name: 'morpholine', amine: 'C1COCCN1', amide: 'N1CCOCC1' },
  { name: '1-methylpiperazine', amine: 'CN1CCNCC1', amide: 'N1CCN(C)CC1' },
  { name: 'aniline', amine: 'Nc1ccccc1', amide: 'Nc1ccccc1' },
  { name: 'cyclopropylamine', amine: 'NC1CC1', amide: 'NC1CC1' },
  { name: 'piperidine', amine: 'C1CCNCC1', amide: 'N1CCCCC1' },
  { name: '4-fluoroaniline', amine: 'Nc1ccc(F)cc1', amide: 'Nc1ccc(F)cc1' },
  { name: '2-aminopyridine', amine: 'Nc1ccccn1', amide: 'Nc1ccccn1' },
]

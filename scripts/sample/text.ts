import { createRng } from './prng.ts'

/** One instruction-tuning row in the Alpaca layout most LoRA trainers read. */
export interface InstructionRow {
  instruction: string
  input: string
  output: string
}

/**
 * JSON Lines: one compact JSON object per line, trailing newline.
 *
 * @example jsonl([{ a: 1 }, { a: 2 }]) // '{"a":1}\n{"a":2}\n'
 */
export function jsonl(rows: readonly unknown[]): string {
  return rows.map((r) => `${JSON.stringify(r)}\n`).join('')
}

const PARTIES = [
  ['Northwind Traders Ltd', 'Contoso Analytics GmbH'],
  ['Fabrikam Biologics Inc.', 'Tailspin Logistics LLC'],
  ['Blue Yonder Airlines', 'Litware Software SA'],
  ['Adatum Health plc', 'Wingtip Data Services BV'],
] as const
const LAWS = [
  'England and Wales',
  'the State of New York',
  'the Netherlands',
  'Ireland',
  'the State of Delaware',
]

const CLAUSES: {
  type: string
  text: (p: readonly [string, string], law: string, n: number) => string
  summary: string
  risk: string
}[] = [
  {
    type: 'limitation of liability',
    text: (p, _l, n) =>
      `Except for breach of confidentiality, neither ${p[0]} nor ${p[1]} shall be liable for any indirect or consequential loss, and each party's total liability in any contract year shall not exceed ${n} times the fees paid in the preceding twelve months.`,
    summary:
      'Caps each party’s liability at a multiple of twelve months’ fees and excludes indirect loss, with a carve-out for confidentiality breaches.',
    risk: 'The cap is tied to fees paid, so early in the term it may be very low; check that data-protection and IP indemnities are also carved out.',
  },
  {
    type: 'termination for convenience',
    text: (p, _l, n) =>
      `${p[1]} may terminate this Agreement for convenience on ${n * 15} days' written notice to ${p[0]}, provided that all fees accrued up to the termination date remain payable.`,
    summary: `Lets the customer end the agreement without cause on written notice while paying fees accrued to that date.`,
    risk: 'The supplier has no matching right and no termination fee, so up-front investment is unprotected.',
  },
  {
    type: 'confidentiality',
    text: (_p, _l, n) =>
      `Each party shall keep the other's Confidential Information secret, use it only to perform this Agreement, and disclose it only to employees and advisers who need to know it, for ${n + 2} years after termination.`,
    summary:
      'Mutual duty to keep confidential information secret and use it only for the agreement, surviving termination for a fixed period.',
    risk: 'Trade secrets usually need protection for as long as they remain secret, not a fixed number of years.',
  },
  {
    type: 'governing law',
    text: (_p, law) =>
      `This Agreement and any dispute arising out of it shall be governed by the laws of ${law}, and the courts of ${law} shall have exclusive jurisdiction.`,
    summary: 'Chooses the governing law and gives exclusive jurisdiction to the same courts.',
    risk: 'Exclusive jurisdiction prevents seeking urgent injunctive relief elsewhere; consider a carve-out.',
  },
  {
    type: 'indemnity',
    text: (p) =>
      `${p[0]} shall indemnify ${p[1]} against all losses arising from any claim that the Services infringe a third party's intellectual property rights, subject to prompt notice and control of the defence.`,
    summary:
      'Supplier indemnifies the customer against third-party IP infringement claims, on notice and conduct-of-claims conditions.',
    risk: 'Check whether the indemnity sits outside the liability cap; if not, it may be worth little.',
  },
  {
    type: 'data protection',
    text: (p) =>
      `Where ${p[0]} processes personal data on behalf of ${p[1]}, it shall do so only on documented instructions, ensure staff confidentiality, and notify ${p[1]} of any personal data breach without undue delay.`,
    summary:
      'Processor obligations in the style of GDPR Article 28: instructions, confidentiality and breach notification.',
    risk: 'No fixed breach-notification deadline is stated; controllers usually need notice within 24–48 hours to meet the 72-hour regulator deadline.',
  },
]

/**
 * Synthetic contract-clause instruction data: summarise, classify and flag
 * risks in common commercial clauses, with fictional party names.
 *
 * @example legalInstructions(60).length // 60
 */
export function legalInstructions(count: number): InstructionRow[] {
  const rng = createRng('text:legal')
  const rows: InstructionRow[] = []
  for (let i = 0; i < count; i++) {
    const clause = CLAUSES[i % CLAUSES.length] ?? CLAUSES[0]
    if (!clause) break
    const text = clause.text(rng.pick(PARTIES), rng.pick(LAWS), 1 + rng.int(3))
    const task = Math.floor(i / CLAUSES.length) % 3
    if (task === 0)
      rows.push({
        instruction: 'Summarise this contract clause in one sentence.',
        input: text,
        output: clause.summary,
      })
    else if (task === 1)
      rows.push({
        instruction: 'What type of clause is this? Answer with the clause type only.',
        input: text,
        output: clause.type,
      })
    else
      rows.push({
        instruction: 'Identify the main risk in this clause for the party that did not draft it.',
        input: text,
        output: clause.risk,
      })
  }
  return rows
}

const VIGNETTES = [
  {
    complaint: 'crushing central chest pain radiating to the left arm for 40 minutes',
    vitals: 'BP 150/90, HR 102, SpO2 96% on air',
    ddx: 'acute coronary syndrome, aortic dissection, pulmonary embolism',
    plan: '12-lead ECG within 10 minutes, high-sensitivity troponin, aspirin unless contraindicated, senior review.',
  },
  {
    complaint: 'fever, productive cough and right-sided pleuritic pain for 3 days',
    vitals: 'T 38.9 °C, RR 24, SpO2 92% on air',
    ddx: 'community-acquired pneumonia, pulmonary embolism, empyema',
    plan: 'chest X-ray, CURB-65 score, blood cultures before antibiotics, oxygen to target saturations.',
  },
  {
    complaint: 'sudden severe headache, "the worst ever", with neck stiffness',
    vitals: 'BP 170/100, HR 88, GCS 15',
    ddx: 'subarachnoid haemorrhage, meningitis, hypertensive emergency',
    plan: 'urgent non-contrast CT head; lumbar puncture if CT is negative and more than 6 hours from onset.',
  },
  {
    complaint: 'polyuria, polydipsia and 4 kg weight loss over a month',
    vitals: 'capillary glucose 24 mmol/L, ketones 3.1 mmol/L',
    ddx: 'diabetic ketoacidosis, new type 1 diabetes, hyperosmolar hyperglycaemic state',
    plan: 'venous blood gas, fixed-rate insulin and fluids per DKA protocol, potassium monitoring.',
  },
  {
    complaint: 'right lower quadrant pain that began around the umbilicus, with anorexia',
    vitals: 'T 37.9 °C, HR 96, rebound tenderness at McBurney’s point',
    ddx: 'acute appendicitis, ovarian torsion or ectopic pregnancy where relevant, mesenteric adenitis',
    plan: 'pregnancy test where relevant, FBC and CRP, surgical review, ultrasound or CT as per local pathway.',
  },
]

/**
 * Synthetic clinical-note instruction data (fictional patients): assessment,
 * differential and next steps for common presentations.
 *
 * @example medicalInstructions(40).length // 40
 */
export function medicalInstructions(count: number): InstructionRow[] {
  const rng = createRng('text:medical')
  const rows: InstructionRow[] = []
  for (let i = 0; i < count; i++) {
    const v = VIGNETTES[i % VIGNETTES.length] ?? VIGNETTES[0]
    if (!v) break
    const age = 24 + rng.int(55)
    const sex = rng.pick(['man', 'woman'])
    const note = `${age}-year-old ${sex} presenting with ${v.complaint}. ${v.vitals}.`
    const task = Math.floor(i / VIGNETTES.length) % 2
    if (task === 0)
      rows.push({
        instruction: 'List the three most important differential diagnoses, most urgent first.',
        input: note,
        output: v.ddx,
      })
    else
      rows.push({
        instruction: 'Write the immediate next steps for the admitting clinician.',
        input: note,
        output: v.plan,
      })
  }
  return rows
}

const REFACTORS: { name: string; before: (id: string) => string; after: (id: string) => string }[] =
  [
    {
      name: 'Convert the callback to async/await.',
      before: (id) =>
        `function load${id}(path, cb) {\n  fs.readFile(path, 'utf8', (err, text) => {\n    if (err) return cb(err)\n    cb(null, JSON.parse(text))\n  })\n}`,
      after: (id) =>
        `async function load${id}(path: string): Promise<unknown> {\n  const text = await fs.promises.readFile(path, 'utf8')\n  return JSON.parse(text)\n}`,
    },
    {
      name: 'Replace `any` with `unknown` and a type guard.',
      before: (id) => `function is${id}(value: any) {\n  return value.id && value.name\n}`,
      after: (id) =>
        `interface ${id} {\n  id: string\n  name: string\n}\n\nfunction is${id}(value: unknown): value is ${id} {\n  return typeof value === 'object' && value !== null && 'id' in value && 'name' in value\n}`,
    },
    {
      name: 'Rewrite the loop with array methods.',
      before: (id) =>
        `const totals${id} = []\nfor (let i = 0; i < orders.length; i++) {\n  if (orders[i].paid) totals${id}.push(orders[i].amount)\n}`,
      after: (id) => `const totals${id} = orders.filter((o) => o.paid).map((o) => o.amount)`,
    },
    {
      name: 'Make the switch exhaustive with a discriminated union.',
      before: (id) =>
        `function area${id}(s) {\n  if (s.kind === 'circle') return Math.PI * s.r ** 2\n  return s.w * s.h\n}`,
      after: (id) =>
        `type Shape${id} = { kind: 'circle'; r: number } | { kind: 'rect'; w: number; h: number }\n\nfunction area${id}(s: Shape${id}): number {\n  switch (s.kind) {\n    case 'circle':\n      return Math.PI * s.r ** 2\n    case 'rect':\n      return s.w * s.h\n  }\n}`,
    },
  ]
const IDENTS = [
  'Config',
  'User',
  'Invoice',
  'Order',
  'Session',
  'Report',
  'Sample',
  'Assay',
  'Ticket',
  'Plan',
]

/**
 * TypeScript refactoring pairs: before/after snippets for common clean-ups.
 *
 * @example codeInstructions(40)[0]?.instruction
 */
export function codeInstructions(count: number): InstructionRow[] {
  const rows: InstructionRow[] = []
  for (let i = 0; i < count; i++) {
    const r = REFACTORS[i % REFACTORS.length] ?? REFACTORS[0]
    const id = IDENTS[Math.floor(i / REFACTORS.length) % IDENTS.length] ?? 'Item'
    if (!r) break
    rows.push({ instruction: r.name, input: r.before(id), output: r.after(id) })
  }
  return rows
}

const SCENES = [
  {
    plain: 'It was raining when the detective arrived at the office.',
    noir: 'The rain came down like it had a grudge, and I climbed the stairs to an office that smelled of old coffee and older lies.',
    editor: 'The detective arrived at the office in the rain.',
  },
  {
    plain: 'The woman asked him to find her missing brother.',
    noir: 'She wanted her brother found. She said it the way people say they want the truth, right before they find out what it costs.',
    editor: 'She asked him to find her missing brother.',
  },
  {
    plain: 'The city was quiet at three in the morning.',
    noir: 'At three in the morning the city held its breath, the kind of quiet that only means somebody is about to make noise.',
    editor: 'At 3 a.m. the city was quiet.',
  },
  {
    plain: 'He did not trust the man behind the desk.',
    noir: 'The man behind the desk smiled with everything but his eyes, and I kept my hat on.',
    editor: 'He distrusted the man behind the desk.',
  },
  {
    plain:
      'The results of the experiment were not what the team had expected, and it is possible that further work may be needed in order to understand them.',
    noir: 'The numbers came back wrong, the way numbers do when somebody has been lying to them.',
    editor: 'The results surprised the team and need further work to explain.',
  },
]

/**
 * Style-transfer pairs for writing LoRAs: the same sentence in plain,
 * hard-boiled and edited registers.
 *
 * @example writingInstructions(20).length // 20
 */
export function writingInstructions(count: number): InstructionRow[] {
  const rows: InstructionRow[] = []
  for (let i = 0; i < count; i++) {
    const s = SCENES[i % SCENES.length] ?? SCENES[0]
    if (!s) break
    const task = Math.floor(i / SCENES.length) % 2
    if (task === 0)
      rows.push({
        instruction: 'Rewrite in a hard-boiled noir voice, first person.',
        input: s.plain,
        output: s.noir,
      })
    else
      rows.push({
        instruction: 'Edit for concision without changing the meaning.',
        input: s.plain,
        output: s.editor,
      })
  }
  return rows
}

const HOLDINGS = [
  {
    issue: 'whether an exclusion of "loss of profits" also excluded wasted expenditure',
    held: 'it did not: wasted expenditure is a distinct head of loss and clear words are needed to exclude it',
  },
  {
    issue: 'whether a notice sent by e-mail satisfied a clause requiring notice "in writing"',
    held: 'it did, because the contract did not exclude electronic communication and the e-mail was received',
  },
  {
    issue:
      'whether the supplier could rely on a liability cap after deliberately abandoning the project',
    held: 'it could not: the cap, read as a whole, was not intended to cover deliberate repudiation',
  },
  {
    issue: 'whether a termination-for-convenience right had to be exercised in good faith',
    held: 'it did not: an express unqualified right may be exercised for any reason',
  },
  {
    issue: "whether the processor was liable for a sub-processor's data breach",
    held: 'it was, because the processor remained fully liable for sub-processors under the data processing terms',
  },
  {
    issue:
      'whether an entire-agreement clause excluded liability for pre-contract misrepresentation',
    held: 'it did not, since it contained no express non-reliance wording',
  },
]

/**
 * Fictional case-law summaries (invented parties and courts) for summarisation
 * LoRAs: a headnote in, a two-sentence summary out.
 *
 * @example caseLawInstructions(30).length // 30
 */
export function caseLawInstructions(count: number): InstructionRow[] {
  const rng = createRng('text:case-law')
  const rows: InstructionRow[] = []
  for (let i = 0; i < count; i++) {
    const h = HOLDINGS[i % HOLDINGS.length] ?? HOLDINGS[0]
    if (!h) break
    const [a, b] = rng.pick(PARTIES)
    const year = 2015 + rng.int(10)
    const court = rng.pick([
      'High Court (fictional)',
      'Commercial Court (fictional)',
      'Court of Appeal (fictional)',
    ])
    rows.push({
      instruction: 'Summarise the holding of this judgment in two sentences for a client update.',
      input: `${a} v ${b} [${year}] ${court}. The dispute concerned ${h.issue}. After reviewing the contract and the parties' correspondence, the court held that ${h.held}.`,
      output: `The court considered ${h.issue}. It held that ${h.held}.`,
    })
  }
  return rows
}

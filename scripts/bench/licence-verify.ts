/**
 * Times offline licence verification (`verifyLicence`: parse the envelope,
 * check alg and key id, Ed25519 over prefix + payload, decode and check the
 * payload, expiry and revocation) against its floor: a bare
 * `crypto.verify` of the same signature over the same bytes. Interleaved
 * rounds, medians. Goal: ratio ≤ 1.2.
 *
 *   ./node_modules/.bin/node scripts/bench/licence-verify.ts [--n 20000] [--rounds 5]
 */
import { generateKeyPairSync, verify } from 'node:crypto'
import { loadavg } from 'node:os'
import { parseArgs } from 'node:util'
import { rawPublicKey } from '#core/index-format'
import { LICENCE_PREFIX } from '../../core/licence/envelope.ts'
import { keyringOf, licenceIdFor, signLicence, verifyLicence } from '../../core/licence/licence.ts'

const { values } = parseArgs({ options: { n: { type: 'string' }, rounds: { type: 'string' } } })
const n = Number(values.n ?? 20_000)
const rounds = Number(values.rounds ?? 5)

const { privateKey, publicKey } = generateKeyPairSync('ed25519')
const keys = keyringOf([
  { id: 'k1', algorithm: 'ed25519', public_key: rawPublicKey(privateKey).toString('base64') },
])
const text = signLicence(
  {
    v: 1,
    id: licenceIdFor('cs_bench'),
    item: { kind: 'model', ns: 'acme', name: 'tox' },
    versions: ['1.0.0'],
    files: ['a'.repeat(64), 'b'.repeat(64), 'c'.repeat(64)],
    buyer: 'buyer_0123456789abcdef01234567',
    type: 'per-download',
    issued: new Date().toISOString(),
    kid: 'k1',
  },
  { kid: 'k1', privateKey },
)
const envelope = JSON.parse(text)
const signed = Buffer.concat([
  Buffer.from(LICENCE_PREFIX),
  Buffer.from(envelope.payload, 'base64url'),
])
const sig = Buffer.from(envelope.sig, 'base64url')
const revoked = new Set(['lic_00000000000000000000000000000000'])

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number
const time = (fn: () => void): number => {
  const start = process.hrtime.bigint()
  for (let i = 0; i < n; i++) fn()
  return Number(process.hrtime.bigint() - start) / 1e6
}

const loadBefore = loadavg()[0] as number
const bare: number[] = []
const full: number[] = []
time(() => verify(null, signed, publicKey, sig))
time(() => verifyLicence(text, { keys, revoked }))
for (let r = 0; r < rounds; r++) {
  bare.push(time(() => verify(null, signed, publicKey, sig)))
  full.push(time(() => verifyLicence(text, { keys, revoked })))
}
const ratios = full.map((f, i) => f / (bare[i] as number))
const us = (ms: number) => ((ms * 1000) / n).toFixed(1)
console.log(
  `licence verification, ${n} per round, ${rounds} rounds, load ${loadBefore.toFixed(1)} → ${loadavg()[0]?.toFixed(1)}`,
)
console.log(`  floor: crypto.verify          ${us(median(bare))} µs each`)
console.log(`  verifyLicence (offline, full) ${us(median(full))} µs each`)
console.log(
  `  ratio ${(median(full) / median(bare)).toFixed(3)} (per round: ${ratios.map((x) => x.toFixed(2)).join(', ')}), goal ≤ 1.2 ${median(ratios) <= 1.2 ? '✔' : '✘'}`,
)

/**
 * The money arithmetic of a sale, in integer minor units (cents) so no float
 * ever decides a cent.
 */

/** Currencies Stripe counts in whole units (no cents). */
const ZERO_DECIMAL = new Set([
  'bif',
  'clp',
  'djf',
  'gnf',
  'jpy',
  'kmf',
  'krw',
  'mga',
  'pyg',
  'rwf',
  'ugx',
  'vnd',
  'vuv',
  'xaf',
  'xof',
  'xpf',
])

/** How many minor units make one major unit of `currency` (100 for usd, 1 for jpy). */
export function minorUnitsPerMajor(currency: string): number {
  return ZERO_DECIMAL.has(currency.toLowerCase()) ? 1 : 100
}

/**
 * A price in major units (item.yaml's `pricing.price`) as Stripe's integer
 * minor units, or undefined when it has a fraction of a cent.
 *
 * @example toMinorUnits(49.99, 'usd') // 4999
 */
export function toMinorUnits(price: number, currency: string): number | undefined {
  const minor = price * minorUnitsPerMajor(currency)
  const rounded = Math.round(minor)
  return Math.abs(minor - rounded) < 1e-6 ? rounded : undefined
}

/**
 * A per-unit price that may hold fractions of a cent (per-query), as Stripe's
 * `unit_amount_decimal` string in minor units.
 *
 * @example toMinorDecimal(0.005, 'usd') // '0.5'
 */
export function toMinorDecimal(price: number, currency: string): string {
  const minor = price * minorUnitsPerMajor(currency)
  return String(Number(minor.toFixed(10)))
}

/**
 * The hub's fee on an amount, in minor units: `percent` of it, rounded down
 * to the cent (any fraction goes to the seller) and never more than the
 * amount. The percent is held as an integer of millionths so 29 % of 100 ¢
 * is 29 ¢, not 28 ¢ from 28.999… in floating point.
 *
 * @example applicationFeeAmount(999, 10) // 99 (99.9 rounded in the seller's favour)
 */
export function applicationFeeAmount(amount: number, percent: number): number {
  if (!Number.isInteger(amount) || amount < 0)
    throw new RangeError(`amount ${amount} is not a whole number of minor units`)
  if (!(percent >= 0 && percent <= 100))
    throw new RangeError(`fee ${percent} % is not between 0 and 100`)
  const millionths = Math.round(percent * 10_000)
  return Math.min(amount, Math.floor((amount * millionths) / 1_000_000))
}

/** What the seller and the hub get of one sale of `amount` minor units. */
export interface SaleSplit {
  amount: number
  fee: number
  seller: number
}

/**
 * Splits a sale between seller and hub (before Stripe's own fees).
 *
 * @example splitSale(4900, 10) // { amount: 4900, fee: 490, seller: 4410 }
 */
export function splitSale(amount: number, percent: number): SaleSplit {
  const fee = applicationFeeAmount(amount, percent)
  return { amount, fee, seller: amount - fee }
}

/**
 * An amount in minor units as text for people: `$49.00`, `¥500`.
 *
 * @example formatMoney(4410, 'usd') // '$44.10'
 */
export function formatMoney(minor: number, currency: string): string {
  return new Intl.NumberFormat('en', {
    style: 'currency',
    currency: currency.toUpperCase(),
  }).format(minor / minorUnitsPerMajor(currency))
}

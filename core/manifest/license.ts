import spdxDeprecated from 'spdx-license-ids/deprecated.json' with { type: 'json' }
import spdxIds from 'spdx-license-ids/index.json' with { type: 'json' }
import { closest } from './schema-issues.ts'

const SPDX = new Set<string>([...spdxIds, ...spdxDeprecated])
const BY_LOWER = new Map([...SPDX].map((id) => [id.toLowerCase(), id]))

/**
 * Licences that let anyone redistribute the artifact for free, so selling
 * copies under them gives buyers the right to hand it on at no cost.
 */
export const REDISTRIBUTABLE_LICENSES: ReadonlySet<string> = new Set([
  '0BSD',
  'AFL-3.0',
  'AGPL-3.0-only',
  'AGPL-3.0-or-later',
  'Apache-2.0',
  'BSD-2-Clause',
  'BSD-3-Clause',
  'BSL-1.0',
  'CC-BY-4.0',
  'CC-BY-SA-4.0',
  'CC0-1.0',
  'GPL-2.0-only',
  'GPL-2.0-or-later',
  'GPL-3.0-only',
  'GPL-3.0-or-later',
  'ISC',
  'LGPL-2.1-only',
  'LGPL-2.1-or-later',
  'LGPL-3.0-only',
  'LGPL-3.0-or-later',
  'MIT',
  'MPL-2.0',
  'ODC-By-1.0',
  'ODbL-1.0',
  'PDDL-1.0',
  'Unlicense',
  'Zlib',
])

/**
 * True for an SPDX licence identifier (exact case).
 *
 * @example isSpdxId('Apache-2.0') // true
 */
export function isSpdxId(id: string): boolean {
  return SPDX.has(id)
}

/**
 * The SPDX id a user most likely meant: the same id in other case, else the
 * closest by edit distance.
 *
 * @example suggestSpdxId('apache-2.0') // 'Apache-2.0'
 * @example suggestSpdxId('MITT') // 'MIT'
 */
export function suggestSpdxId(id: string): string | undefined {
  return BY_LOWER.get(id.toLowerCase()) ?? closest(id, spdxIds)
}

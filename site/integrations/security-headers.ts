import { writeFile } from 'node:fs/promises'
import type { AstroIntegration } from 'astro'
import {
  headersFile,
  type SecurityPolicyOptions,
  securityHeaders,
} from '../../core/catalog/security-policy.ts'

/**
 * Writes the site's security headers (the policy the pages' meta CSP comes
 * from, plus what only a header can say) to `_headers` in the output, the
 * file Netlify and Cloudflare Pages read; `npm start` serves the same file's
 * headers.
 *
 * @example integrations: [agoraSecurityHeaders({ blobOrigins, inlineScripts: [THEME_SCRIPT] })]
 */
export function agoraSecurityHeaders(options: SecurityPolicyOptions): AstroIntegration {
  return {
    name: 'agora-security-headers',
    hooks: {
      'astro:build:done': async ({ dir, logger }) => {
        await writeFile(new URL('_headers', dir), headersFile(securityHeaders(options)))
        logger.info('wrote _headers (security headers for static hosts)')
      },
    },
  }
}

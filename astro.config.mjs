// The site's entry point: reads the hub's settings (agora.yaml) for the
// canonical URL and the Content-Security-Policy, and wires the integrations.
import { existsSync, readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import sitemap from '@astrojs/sitemap'
import { defineConfig } from 'astro/config'
import { parse } from 'yaml'
import {
  cspDirectives,
  SCRIPT_SOURCES,
  STYLE_SOURCES,
  scriptHashes,
} from './core/catalog/security-policy.ts'
import { agoraPrune } from './site/integrations/prune.ts'
import { agoraSecurityHeaders } from './site/integrations/security-headers.ts'
import { agoraValidators } from './site/integrations/validators.ts'
import { THEME_SCRIPT } from './site/lib/theme.ts'

const projectRoot = import.meta.dirname
// AGORA_ROOT points the build at another registry (benchmarks build synthetic hubs).
const registryRoot = resolve(process.env.AGORA_ROOT ?? projectRoot)
const hubFile = resolve(registryRoot, 'registry/agora.yaml')
const hub = existsSync(hubFile) ? parse(readFileSync(hubFile, 'utf8')) : {}
const site = typeof hub?.base_url === 'string' ? hub.base_url : 'http://127.0.0.1:4321'

/** Origins the browser may fetch file headers from (safetensors Range reads). */
function blobOrigins() {
  const url = hub?.storage?.public_url
  if (typeof url !== 'string') return []
  try {
    const origin = new URL(url, site).origin
    return origin === new URL(site).origin ? [] : [origin]
  } catch {
    return []
  }
}

/** One policy (core/catalog/security-policy.ts) for the meta CSP, `_headers` and `npm start`. */
const policy = { blobOrigins: blobOrigins(), inlineScripts: [THEME_SCRIPT] }

export default defineConfig({
  site,
  srcDir: './site',
  publicDir: './site/public',
  outDir: process.env.AGORA_OUT_DIR ? resolve(process.env.AGORA_OUT_DIR) : './dist',
  // A separate cache per registry, so a synthetic hub never reuses the sample hub's data store.
  cacheDir:
    registryRoot === projectRoot ? './node_modules/.astro' : resolve(registryRoot, '.astro-cache'),
  trailingSlash: 'always',
  // Pages render one at a time by default, and each waits for its file to be
  // written: with tens of thousands of files the build mostly waits on the
  // file system. Eight in flight overlap those writes (10k items: page
  // generation about 47 s down to 27 s); pages share no mutable state.
  build: { format: 'directory', inlineStylesheets: 'never', concurrency: 8 },
  compressHTML: true,
  prefetch: false,
  // READMEs are rendered by core/catalog (marked + sanitize-html); Shiki's inline styles would break the CSP.
  markdown: { syntaxHighlight: false },
  devToolbar: { enabled: false },
  // Write over the previous output rather than emptying it: removing tens of
  // thousands of files costs more than rendering them. agoraPrune deletes the
  // pages a build no longer produces.
  // Scripts stay external files (cached once) rather than inlined into every page.
  // The Parquet preview's worker is a module worker (site/scripts/preview-worker.ts).
  vite: { build: { emptyOutDir: false, assetsInlineLimit: 0 }, worker: { format: 'es' } },
  integrations: [
    sitemap({ filter: (page) => !page.includes('/api/') }),
    agoraPrune(),
    agoraValidators(),
    agoraSecurityHeaders(policy),
  ],
  experimental: { incrementalBuild: true },
  security: {
    csp: {
      algorithm: 'SHA-256',
      directives: cspDirectives(policy),
      // Pagefind compiles its WebAssembly search engine in the browser; the
      // theme script is inline, allowed by its hash.
      scriptDirective: {
        resources: [...SCRIPT_SOURCES],
        hashes: scriptHashes(policy.inlineScripts),
      },
      styleDirective: { resources: [...STYLE_SOURCES] },
    },
  },
})

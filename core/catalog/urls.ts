import { blobKey } from '#core/blobs'
import type { FileEntry, HubConfig } from '#core/manifest'
import { linkHref } from './links.ts'

/**
 * Where a browser can GET a file: the external `url` it declares (https
 * only), else the hub's public blob URL (`storage.public_url`), else, for
 * the embedded folder store, the site itself: `npm run build` serves those
 * blobs beside the pages, as the sparse index's `{base}/blobs/…` template
 * says. Private (paid) files and S3 stores without a public URL have none;
 * the licence service hands those out.
 *
 * @example fileUrl(hub, { path: 'model.safetensors', size: 10, sha256: 'ab12…' })
 * // 'https://blobs.example.org/blobs/sha256/ab/ab12…'
 */
export function fileUrl(hub: HubConfig, file: FileEntry): string | undefined {
  // An external URL comes from the manifest: https only (the hub's own store is configuration).
  if (file.url) return linkHref(file.url)
  if (file.private) return undefined
  const base = hub.storage.public_url ?? (hub.storage.type === 'fs' ? hub.base_url : undefined)
  if (!base) return undefined
  return `${base.replace(/\/+$/, '')}/${blobKey(file.sha256)}`
}

/**
 * A URL on the hub's own site as a root-relative path, so a page works on
 * whatever host serves it (`npm start` on 127.0.0.1 as well as the canonical
 * name); other URLs are returned as they are.
 *
 * @example sitePath('https://hub.example.org/blobs/sha256/ab/ab12', 'https://hub.example.org')
 * // '/blobs/sha256/ab/ab12'
 */
export function sitePath(url: string, baseUrl: string): string {
  try {
    const target = new URL(url)
    const base = new URL(baseUrl)
    if (target.origin !== base.origin) return url
    return `${target.pathname}${target.search}${target.hash}`
  } catch {
    return url
  }
}

/**
 * A raw Git URL of a registry file pinned to a commit, from agora.yaml's
 * `raw_url_template` (`{commit}`, `{path}`); the commit stays a visible
 * placeholder when the build does not know it.
 *
 * @example rawUrl(hub, 'registry/models/ac/acme/x/item.yaml', 'abc123')
 * // 'https://raw.githubusercontent.com/acme/hub/abc123/registry/models/ac/acme/x/item.yaml'
 */
export function rawUrl(
  hub: HubConfig,
  path: string,
  commit: string | undefined,
): string | undefined {
  const template =
    hub.raw_url_template ??
    (hub.repository
      ? `https://raw.githubusercontent.com/${hub.repository.owner}/${hub.repository.name}/{commit}/{path}`
      : undefined)
  if (!template) return undefined
  return template.replaceAll('{commit}', commit ?? '<commit>').replaceAll('{path}', path)
}

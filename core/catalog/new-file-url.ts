/** The part of agora.yaml `repository` a new-file link needs. */
export interface RepositoryRef {
  owner: string
  name: string
  default_branch: string
}

/**
 * GitHub's new-file page prefilled with a path and content: how the
 * Contribute form and the docs turn a manifest into a pull request without
 * any server. Free of imports so the browser bundle stays small.
 *
 * @example newFileUrl({ owner: 'acme', name: 'hub', default_branch: 'main' }, 'registry/owners/x.yaml', 'name: X\n')
 * // 'https://github.com/acme/hub/new/main?filename=registry%2Fowners%2Fx.yaml&value=name%3A+X%0A'
 */
export function newFileUrl(repository: RepositoryRef, path: string, content: string): string {
  const query = new URLSearchParams({ filename: path, value: content })
  const enc = encodeURIComponent
  return `https://github.com/${enc(repository.owner)}/${enc(repository.name)}/new/${enc(repository.default_branch)}?${query}`
}

/**
 * The catalogue of issue codes raised while loading and validating registry
 * documents. Codes are stable: tools, annotations and docs key on them, so a
 * code is never renamed or reused for a different problem. Each entry carries
 * a one-line summary and the default hint shown when a rule has nothing more
 * specific to say.
 */
export interface CodeInfo {
  summary: string
  hint: string
}

export const MANIFEST_CODES = {
  'yaml/not-utf8': {
    summary: 'the file is not valid UTF-8',
    hint: 'save the file as UTF-8 (without a byte order mark is best)',
  },
  'yaml/too-large': {
    summary: 'the file is over the size limit for its kind of document',
    hint: 'manifests hold metadata only; move long text to README.md and data to files',
  },
  'yaml/syntax': {
    summary: 'the YAML does not parse',
    hint: 'fix the YAML syntax at the position shown (check indentation and quoting)',
  },
  'yaml/multiple-documents': {
    summary: 'the file holds more than one YAML document',
    hint: 'remove the `---` separator: each manifest is a single document',
  },
  'yaml/duplicate-key': {
    summary: 'a mapping has the same key twice',
    hint: 'keep one of the two entries; YAML keys must be unique',
  },
  'yaml/alias': {
    summary: 'the file uses a YAML anchor or alias',
    hint: 'write the value out in full; anchors (&) and aliases (*) are not allowed in manifests',
  },
  'yaml/custom-tag': {
    summary: 'the file uses an explicit YAML tag',
    hint: 'remove the `!tag`; manifests use plain YAML values only',
  },
  'yaml/too-deep': {
    summary: 'values are nested deeper than allowed',
    hint: 'flatten the structure; manifests nest at most 32 levels',
  },
  'yaml/forbidden-key': {
    summary: 'a key could alter object prototypes',
    hint: 'rename the key; `__proto__`, `constructor` and `prototype` are not allowed',
  },
  'yaml/complex-key': {
    summary: 'a mapping key is not a plain string, number or boolean',
    hint: 'use a plain scalar as the key',
  },
  'manifest/empty-readme': {
    summary: 'README.md is empty or holds only whitespace',
    hint: 'write the card: what the item is, how to use it, its intended use and limits, how it was made and evaluated',
  },
  'readme/front-matter': {
    summary: 'the README front matter is not a closed YAML mapping',
    hint: 'start README.md with `---`, a YAML mapping, and a closing `---` line, or drop the front matter',
  },
  'schema/required': {
    summary: 'a required field is missing',
    hint: 'add the field; see docs/manifest.md for what it holds',
  },
  'schema/unknown-property': {
    summary: 'a field is not part of the document',
    hint: 'remove the field or fix its spelling; see docs/manifest.md',
  },
  'schema/type': {
    summary: 'a value has the wrong type',
    hint: 'write a value of the expected type',
  },
  'schema/enum': {
    summary: 'a value is not one of the allowed values',
    hint: 'use one of the allowed values',
  },
  'schema/pattern': {
    summary: 'a string does not have the expected form',
    hint: 'write the value in the form shown in docs/manifest.md',
  },
  'schema/format': {
    summary: 'a string is not a valid URI, date or e-mail',
    hint: 'write a full URL such as https://example.org/x, or a date such as 2025-01-31',
  },
  'schema/range': {
    summary: 'a number is out of range',
    hint: 'use a number within the allowed range',
  },
  'schema/length': {
    summary: 'a string or list is too short or too long',
    hint: 'shorten or lengthen the value to the allowed size',
  },
  'schema/invalid': {
    summary: 'a value does not match the schema',
    hint: 'compare the value with docs/manifest.md',
  },
  'registry/unreadable': {
    summary: 'a file or folder of the registry cannot be read',
    hint: 'check that the path exists and is readable',
  },
  'registry/symlink': {
    summary: 'a file or folder of the registry is a symbolic link',
    hint: 'replace the link with the file or folder itself; nothing reading the registry follows links',
  },
  'registry/missing-item': {
    summary: 'an item folder has no item.yaml',
    hint: 'add item.yaml to the folder or remove the folder',
  },
  'registry/missing-readme': {
    summary: 'an item has no README.md',
    hint: 'add a README.md card describing the item, its intended use and limits',
  },
  'registry/unexpected-file': {
    summary: 'a file or folder sits where the registry layout has none',
    hint: 'move it to its place in the layout (see registry/README.md) or remove it',
  },
  'registry/wrong-shard': {
    summary: 'an item or namespace folder sits under the wrong shard',
    hint: 'the shard folder is the first two characters of the namespace',
  },
  'registry/id-mismatch': {
    summary: 'the id in item.yaml does not match the folder',
    hint: 'set `id: <ns>/<name>` to the folder names, or move the folder',
  },
  'registry/kind-mismatch': {
    summary: 'the kind in item.yaml does not match the folder',
    hint: 'set `kind` to the singular of the kind folder, or move the item',
  },
  'registry/kind-disabled': {
    summary: 'the item kind is not enabled by this hub',
    hint: 'add the kind to `kinds` in registry/agora.yaml, or publish it on another hub',
  },
  'naming/invalid': {
    summary: 'a namespace or name breaks the naming rules',
    hint: 'use 2 to 64 lower-case ASCII letters and digits, with -, _ or . inside',
  },
  'naming/reserved': {
    summary: 'a namespace or name is reserved',
    hint: 'choose another name; reserved names are listed in docs/manifest.md and agora.yaml',
  },
  'naming/confusable': {
    summary: 'a name can be confused with an existing one',
    hint: 'choose a name that differs by more than look-alike characters (rn/m, 0/o, 1/l, -/_/.)',
  },
  'version/bad-semver': {
    summary: 'a version is not a semantic version',
    hint: 'use MAJOR.MINOR.PATCH such as 1.0.0 (pre-releases like 1.0.0-rc.1 are fine)',
  },
  'version/file-name-mismatch': {
    summary: 'a version file is not named after its version',
    hint: 'name the file versions/<version>.yaml',
  },
  'version/not-allowed': {
    summary: 'a collection has version files',
    hint: 'collections list other items and have no versions; remove the versions folder',
  },
  'version/latest-required': {
    summary: 'an item has versions but no `latest` dist-tag',
    hint: 'add `dist-tags: { latest: <version> }` to item.yaml',
  },
  'version/dist-tag-missing': {
    summary: 'a dist-tag points at a version that does not exist',
    hint: 'point the tag at a version in versions/, or add that version',
  },
  'version/dist-tag-yanked': {
    summary: 'a dist-tag points at a yanked version',
    hint: 'point the tag at a version that is not yanked',
  },
  'manifest/unknown-license': {
    summary: 'the license is not an SPDX identifier',
    hint: 'use an SPDX identifier such as "MIT", or `license: other` with license_name and license_link',
  },
  'manifest/license-not-allowed': {
    summary: 'the license is not allowed on this hub',
    hint: 'use one of the licenses in `licenses.allowed` of registry/agora.yaml',
  },
  'manifest/license-other-incomplete': {
    summary: '`license: other` lacks license_name or license_link, or the hub refuses it',
    hint: 'give license_name and license_link (https), or use an SPDX identifier',
  },
  'manifest/pricing-missing-price': {
    summary: 'a paid item has no price or currency',
    hint: 'add `price` (major units) and `currency` to pricing, or make the item free',
  },
  'manifest/pricing-unexpected-price': {
    summary: 'a free or enterprise item has a price',
    hint: 'remove `price` (free items cost nothing; enterprise items are quoted on request)',
  },
  'manifest/pricing-missing-interval': {
    summary: 'a subscription has no billing interval',
    hint: 'add `interval: month` or `interval: year` to pricing',
  },
  'manifest/pricing-missing-limit': {
    summary: 'per-query pricing has neither a query limit nor a price',
    hint: 'add `query_limit` or `price` to pricing',
  },
  'manifest/pricing-missing-contact': {
    summary: 'enterprise pricing gives no contact',
    hint: 'add `contact` (an https URL or a mailto: address) to pricing',
  },
  'manifest/pricing-not-sellable': {
    summary: 'a collection has a price',
    hint: 'collections only list other items; sell the items themselves and keep the collection free',
  },
  'manifest/paid-permissive-license': {
    summary: 'a paid item uses a license that lets buyers redistribute it freely',
    hint: 'choose a license that restricts redistribution (or `other`), or make the item free',
  },
  'manifest/status-reason-required': {
    summary: 'a non-active status gives no reason',
    hint: 'add `reason` to status; users always see why',
  },
  'manifest/unknown-domain': {
    summary: 'the domain is not one of the hub domains',
    hint: 'use one of `domains[].id` in registry/agora.yaml',
  },
  'manifest/owner-incomplete': {
    summary: 'an owner has no GitHub identity',
    hint: 'a user needs `github`, an org needs at least one login in `members`',
  },
  'manifest/bad-ref': {
    summary: 'a reference does not parse',
    hint: 'write references as [kind/]ns/name, e.g. datasets/acme/tox21, or hf:org/name for Hugging Face models',
  },
  'ref/dangling': {
    summary: 'a reference points at an item that does not exist',
    hint: 'fix the reference or publish the item it names first',
  },
  'ref/unknown-pool': {
    summary: 'a QA command runner names a runner pool agora.yaml does not define',
    hint: 'set its pool to cpu, gpu (qa.runners.gpu) or a qa.gpu_pools name',
  },
  'ref/unknown-owner': {
    summary: 'an owner namespace has no file in registry/owners/',
    hint: 'create it with "agora new owner <ns> --github <login>", or fix the namespace',
  },
  'ref/unknown-metric': {
    summary: 'a result scores a metric its benchmark does not define',
    hint: "use the metric names listed in the benchmark's item.yaml",
  },
  'ref/unknown-version': {
    summary: 'a result names a version the item does not have',
    hint: 'set `version` to one of the versions in versions/',
  },
  'manifest/invalid-text': {
    summary: 'a text holds bidi overrides, zero-width or control characters',
    hint: 'retype the text without invisible characters: bidi overrides and isolates (U+202A–202E, U+2066–2069), direction marks (U+200E, U+200F, U+061C), zero-width characters (U+200B–200D, U+2060–2064, U+FEFF), line separators (U+2028, U+2029) and control characters make it read differently from what it holds',
  },
  'manifest/unsafe-url': {
    summary: 'a URL is not https (or mailto: where a contact is meant)',
    hint: 'write a full https:// URL (a contact may be mailto:name@example.org); javascript:, data:, http: and relative links are refused',
  },
  'manifest/invalid-segment': {
    summary: 'a name that becomes part of a site URL is not in the id alphabet',
    hint: 'use lower-case a-z and 0-9, with -, _ or . only between them (no `.`, `..`, `/` or spaces)',
  },
  'files/unsafe-path': {
    summary: 'a file path could escape the item or is not portable',
    hint: 'use a relative POSIX path without `..`, `.git`, backslashes, control characters or Windows device names (CON, NUL, COM1, …)',
  },
  'files/duplicate-path': {
    summary: 'two files have the same path after Unicode normalisation and case folding',
    hint: 'give every file a distinct path; case-insensitive file systems merge them, and so do those that normalise Unicode (ß and ss, ﬁ and fi)',
  },
  'files/path-conflict': {
    summary: 'a path is both a file and a folder holding other files',
    hint: 'rename the file or the folder: `a` and `a/b` cannot both exist on disk',
  },
  'files/insecure-url': {
    summary: 'an external file URL is not a plain https URL',
    hint: 'serve external files over https',
  },
  'files/unknown-file': {
    summary: 'a list names a file that is not in `files`',
    hint: 'add the file to `files` or fix the path',
  },
  'change/not-a-regular-file': {
    summary: 'a registry path is a symbolic link, a submodule or an executable',
    hint: 'commit a plain file (mode 100644); the registry holds plain files only',
  },
  'change/misplaced-file': {
    summary: 'a changed file is not where a registry document can be',
    hint: 'run "agora new <kind> <namespace>/<name>" to create an item in the right place, or move the file',
  },
  'change/deleted-item': {
    summary: 'a pull request deletes an item',
    hint: 'restore it and set status: { state: deprecated, reason: … } in item.yaml; a maintainer handles take-downs',
  },
  'change/deleted-version': {
    summary: 'a pull request deletes a released version',
    hint: 'restore the file and set status: { state: yanked, reason: … } in it instead',
  },
  'change/deleted-owner': {
    summary: 'a pull request deletes an owner file',
    hint: 'restore the owner file; namespaces are never removed',
  },
  'change/released-version-modified': {
    summary: 'a released version changes more than its status',
    hint: 'publish the change as a new version instead; a released version may change only its status block',
  },
  'change/author-not-authorized': {
    summary: 'the author may not make this change',
    hint: 'change only items and namespaces you own or are a member of; list only your own namespace and your organisations as owners of a new item',
  },
  'change/author-unchecked': {
    summary: 'no author was given, so ownership was not checked',
    hint: 'pass --author <github-login> to check it as the pull-request check does',
  },
  'change/maintainer-status': {
    summary: 'a change lifts a taken-down or flagged status',
    hint: 'leave the status as it is; ask a maintainer in the pull request to review the take-down',
  },
  'change/verified-by-non-qa': {
    summary: 'someone other than the hub QA identity writes or changes a verified result',
    hint: 'remove verified: true; only the identity in `qa.identity` of registry/agora.yaml writes verified results',
  },
  'change/item-exists': {
    summary: 'a new item takes the id of an item that already exists',
    hint: 'pick another name; to change an item you own, edit its files in the registry repository, and add versions with agora publish',
  },
  'change/new-namespace': {
    summary: 'a pull request creates a namespace (a warning: a maintainer reviews it)',
    hint: 'nothing to fix; add registry/owners/<ns>.yaml describing who the namespace is',
  },
  'change/ownership-changed': {
    summary: 'who may change an item or act for a namespace changes (a warning)',
    hint: 'nothing to fix: a maintainer reviews and merges ownership changes',
  },
  'change/hub-file': {
    summary: 'a hub-wide file changes (a warning)',
    hint: 'keep hub settings and schema changes in their own pull request',
  },
  'change/outside-registry': {
    summary: 'a file outside registry/ changes (a warning)',
    hint: 'send registry changes and code changes in separate pull requests',
  },
  'change/head-not-checked-out': {
    summary: 'the work tree is not at the head commit compared (a warning)',
    hint: 'check out the head commit before validating the change',
  },
} as const satisfies Record<string, CodeInfo>

export type ManifestCode = keyof typeof MANIFEST_CODES

/**
 * The default hint of a catalogued code.
 *
 * @example hintFor('yaml/alias') // 'write the value out in full; …'
 */
export function hintFor(code: ManifestCode): string {
  return MANIFEST_CODES[code].hint
}

/** What a licence code means and the default hint shown with it. */
export interface LicenceCodeInfo {
  summary: string
  hint: string
}

/**
 * The catalogue of licence codes: checks of a licence file or a revocation
 * list, and refusals of the licence service. Codes are stable (`--json`
 * output, docs/payments.md and the service's answers key on them); a code is
 * never renamed or reused for another problem.
 */
export const LICENCE_CODES = {
  'licence/malformed': {
    summary: 'the licence file is not a licence envelope, or its payload does not parse',
    hint: 'use the file exactly as the licence service sent it (GET /licences/<id>); do not edit it',
  },
  'licence/wrong-alg': {
    summary: 'the licence names a signature algorithm other than ed25519',
    hint: 'Agora licences are Ed25519 only; a file claiming another algorithm is forged or from another system',
  },
  'licence/unknown-kid': {
    summary: 'the licence is signed by a key the hub does not pin',
    hint: 'refresh the hub index (agora pull once online) so its payments.licence_keys are known; a key removed from agora.yaml no longer signs',
  },
  'licence/tampered': {
    summary: 'the licence signature does not match its contents',
    hint: 'the file was altered after signing; fetch it again from the licence service',
  },
  'licence/expired': {
    summary: 'the licence (or its subscription period) has ended',
    hint: 'renew the subscription or buy a new licence on the item page',
  },
  'licence/future-issued': {
    summary: 'the licence says it was issued later than now (beyond the allowed clock skew)',
    hint: "check this machine's clock; a licence from the future is refused",
  },
  'licence/other-item': {
    summary: 'the licence is for another item',
    hint: 'pass the licence bought for this item, or buy one on its page',
  },
  'licence/not-covered': {
    summary: 'the licence does not cover this version or file',
    hint: 'pull a version the licence lists, or buy a licence for this version',
  },
  'licence/revoked': {
    summary: 'the licence was revoked (refund or dispute)',
    hint: 'a refunded or disputed purchase ends the licence; buy again or contact the hub operator',
  },
  'licence/bad-revocations': {
    summary: 'the revocation list is malformed or its signature does not verify',
    hint: 'fetch it again from the licence service (GET /revocations); a forged list is ignored',
  },
  'licence/no-keys': {
    summary: 'the hub pins no licence keys',
    hint: 'pass --index with the URL the item was pulled from, whose cached config.json pins the keys (pull once online first); a hub without payments.licence_keys in registry/agora.yaml sells nothing',
  },
  'licence/no-service': {
    summary: 'the hub names no licence service to fetch paid files from',
    hint: 'the hub operator sets payments.licence_service in registry/agora.yaml',
  },
  'licence/service-failed': {
    summary: 'the licence service did not answer as expected',
    hint: 'try again later; if it persists, tell the hub operator the code and message shown',
  },
  'licence/usage-exceeded': {
    summary: 'a per-query licence has used all its queries',
    hint: 'buy more queries on the item page',
  },
  'licence/rate-limited': {
    summary: 'too many requests for one licence in a short time',
    hint: 'slow down and retry after the number of seconds in Retry-After',
  },
  'licence/wrong-type': {
    summary: 'the licence is of a type this request does not accept',
    hint: 'usage is counted for per-query licences only',
  },
  'licence/bad-webhook': {
    summary: 'a webhook delivery has no valid, fresh Stripe signature',
    hint: 'check the webhook signing secret (whsec_…) and the clocks; Stripe retries genuine deliveries',
  },
  'licence/stripe-failed': {
    summary: 'a call to Stripe (transfer reversal, meter event) failed',
    hint: 'check the Stripe secret key and account; the webhook is retried and repeats the call safely',
  },
  'licence/not-found': {
    summary: 'no licence with this id and claim secret',
    hint: 'use the link from the checkout success page; the claim is the Checkout Session id',
  },
  'licence/bad-request': {
    summary: 'the request to the licence service is malformed',
    hint: 'send JSON as docs/payments.md describes',
  },
  'licence/too-large': {
    summary: 'the request body is over the 1 MiB the licence service reads',
    hint: 'send the licence file as the service sent it; a licence request is a few kB',
  },
  'licence/too-slow': {
    summary: 'the request body did not arrive in time',
    hint: 'send the whole body at once; retry on a steadier connection',
  },
  'licence/bad-url': {
    summary: 'a download URL is expired or its signature does not match',
    hint: 'ask for fresh URLs (agora pull --licence does this for you)',
  },
  'licence/store-failed': {
    summary: 'the licence service could not write its state (full disk, database down)',
    hint: 'the operator frees space or restores the database; Stripe retries the webhook meanwhile',
  },
  'licence/internal': {
    summary: 'the licence service failed in a way it did not expect',
    hint: 'the operator finds the stack in the service log; the request can be retried',
  },
  'licence/bad-signing-key': {
    summary: 'AGORA_LICENCE_SIGNING_KEY is missing or not an Ed25519 private key',
    hint: 'set AGORA_LICENCE_SIGNING_KEY to a PKCS#8 PEM or a base64 32-byte seed whose public key is in payments.licence_keys',
  },
} as const satisfies Record<string, LicenceCodeInfo>

export type LicenceCode = keyof typeof LICENCE_CODES

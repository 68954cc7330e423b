import { createHash } from 'node:crypto'
import type { Readable } from 'node:stream'
import {
  AbortMultipartUploadCommand,
  type CompletedPart,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  type S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3'
import { getSignedUrl } from '@aws-sdk/s3-request-presigner'
import {
  type BlobInfo,
  type BlobLocation,
  type BlobStore,
  blobKey,
  isNetworkError,
  isRetryableStatus,
  type RetryOptions,
  SHA256_PATTERN,
  withRetry,
} from '#core/blobs'
import { AgoraError } from '#core/errors'
import { checkDigest } from './fs-store.ts'

const MiB = 1024 * 1024
/** S3 refuses more parts than this in one upload. */
const MAX_PARTS = 10_000

/** Signs a GetObject so a client without credentials can fetch one blob for a while. */
export type Presigner = (
  client: S3Client,
  command: GetObjectCommand,
  options: { expiresIn: number },
) => Promise<string>

export interface S3StoreOptions {
  client: S3Client
  bucket: string
  /** Key prefix of paid or private blobs, e.g. `private/`. */
  privatePrefix: string
  /** Public base URL of the bucket or its CDN. */
  publicUrl?: string
  /** Bytes per multipart part; default 16 MiB (raised when a file would need over 10 000 parts). */
  partSize?: number
  /** Files of at least this size go multipart; default 16 MiB. */
  multipartThreshold?: number
  /** Parts in flight at once; default 4. Memory is about (concurrency + 1) × partSize. */
  concurrency?: number
  presign?: Presigner
  /** Back-off of retried requests; `isRetryable` is the store's own. */
  retry?: Omit<RetryOptions, 'isRetryable'>
}

/**
 * A blob store on any S3 API (AWS, R2, MinIO). A blob is written once: HEAD
 * first and skip when present; small blobs are read and hashed in memory and
 * sent with one PutObject only when they match; large ones go multipart with
 * parts in parallel and one SHA-256 pass over the stream, and the upload is
 * aborted before CompleteMultipartUpload when the hash or size differ, so a
 * wrong object never appears. Throttling (503 SlowDown, 429) and 5xx are
 * retried with exponential back-off and jitter.
 *
 * @example
 * const store = createS3Store({
 *   client: new S3Client({ region: 'auto', endpoint, forcePathStyle: true }),
 *   bucket: 'agora-blobs',
 *   privatePrefix: 'private/',
 * })
 */
export function createS3Store(options: S3StoreOptions): BlobStore {
  const { client, bucket } = options
  const trimmed = options.privatePrefix.replace(/^\/+/, '')
  const privatePrefix = trimmed === '' || trimmed.endsWith('/') ? trimmed : `${trimmed}/`
  const threshold = options.multipartThreshold ?? 16 * MiB
  const concurrency = Math.max(1, options.concurrency ?? 4)
  const presign: Presigner = options.presign ?? ((c, command, o) => getSignedUrl(c, command, o))
  const keyOf = (sha256: string, location?: BlobLocation): string => {
    if (!SHA256_PATTERN.test(sha256)) {
      throw new AgoraError('storage/bad-hash', `"${sha256}" is not a lower-case hex SHA-256`, {
        hint: 'blob hashes are 64 characters of 0-9 and a-f',
      })
    }
    return `${location?.private ? privatePrefix : ''}${blobKey(sha256)}`
  }
  const retrying = <T>(
    operation: string,
    key: string,
    fn: () => Promise<T>,
    signal?: AbortSignal,
  ) =>
    withRetry(fn, {
      ...options.retry,
      isRetryable: isRetryableS3Error,
      ...(signal ? { signal } : {}),
    }).catch((error: unknown) => {
      throw s3Error(error, operation, bucket, key)
    })

  const stat = async (sha256: string, location?: BlobLocation): Promise<BlobInfo | undefined> => {
    const key = keyOf(sha256, location)
    try {
      const head = await withRetry(
        () => client.send(new HeadObjectCommand({ Bucket: bucket, Key: key })),
        {
          ...options.retry,
          isRetryable: isRetryableS3Error,
        },
      )
      return { sha256, size: head.ContentLength ?? 0 }
    } catch (error) {
      if (statusOf(error) === 404 || nameOf(error) === 'NotFound' || nameOf(error) === 'NoSuchKey')
        return undefined
      throw s3Error(error, 'HeadObject', bucket, key)
    }
  }

  const putSingle = async (
    key: string,
    open: () => Readable,
    expected: BlobInfo,
    onProgress: ((bytes: number) => void) | undefined,
    signal: AbortSignal | undefined,
  ): Promise<void> => {
    // Below the threshold the whole blob fits in memory: hash it first and
    // send it only when it matches, so S3 never holds a wrong object.
    const hash = createHash('sha256')
    const chunks: Buffer[] = []
    let size = 0
    for await (const chunk of open() as AsyncIterable<Buffer>) {
      size += chunk.length
      if (size > expected.size) break
      hash.update(chunk)
      chunks.push(chunk)
    }
    checkDigest({ sha256: size > expected.size ? '' : hash.digest('hex'), size }, expected, key)
    const body = Buffer.concat(chunks)
    await retrying(
      'PutObject',
      key,
      () =>
        client.send(
          new PutObjectCommand({
            Bucket: bucket,
            Key: key,
            Body: body,
            ContentLength: body.length,
            ContentType: 'application/octet-stream',
          }),
          signal ? { abortSignal: signal } : {},
        ),
      signal,
    )
    onProgress?.(body.length)
  }

  const putMultipart = async (
    key: string,
    open: () => Readable,
    expected: BlobInfo,
    onProgress: ((bytes: number) => void) | undefined,
    signal: AbortSignal | undefined,
  ): Promise<void> => {
    const partSize = partSizeFor(expected.size, options.partSize ?? 16 * MiB)
    const sendOptions = signal ? { abortSignal: signal } : {}
    const created = await retrying(
      'CreateMultipartUpload',
      key,
      () =>
        client.send(
          new CreateMultipartUploadCommand({
            Bucket: bucket,
            Key: key,
            ContentType: 'application/octet-stream',
          }),
          sendOptions,
        ),
      signal,
    )
    const uploadId = created.UploadId
    if (!uploadId) {
      throw new AgoraError(
        'storage/s3-failed',
        `CreateMultipartUpload of ${key} returned no upload id`,
        {
          hint: 'the S3 endpoint does not implement multipart uploads; raise multipartThreshold',
        },
      )
    }
    const parts: CompletedPart[] = []
    const inflight = new Set<Promise<void>>()
    const hash = createHash('sha256')
    let size = 0
    let partNumber = 0
    const sendPart = async (body: Buffer): Promise<void> => {
      const number = ++partNumber
      const sent = retrying(
        'UploadPart',
        key,
        () =>
          client.send(
            new UploadPartCommand({
              Bucket: bucket,
              Key: key,
              UploadId: uploadId,
              PartNumber: number,
              Body: body,
              ContentLength: body.length,
            }),
            sendOptions,
          ),
        signal,
      ).then((answer) => {
        parts.push({ PartNumber: number, ETag: answer.ETag })
        onProgress?.(body.length)
      })
      const tracked: Promise<void> = sent.finally(() => inflight.delete(tracked))
      // Failures surface through race/all below; this only silences the copy kept in the set.
      tracked.catch(() => undefined)
      inflight.add(tracked)
      if (inflight.size >= concurrency) await Promise.race(inflight)
    }
    try {
      let buffer = Buffer.allocUnsafe(partSize)
      let filled = 0
      for await (const chunk of open() as AsyncIterable<Buffer>) {
        hash.update(chunk)
        size += chunk.length
        if (size > expected.size) break
        for (let offset = 0; offset < chunk.length; ) {
          const n = Math.min(chunk.length - offset, partSize - filled)
          chunk.copy(buffer, filled, offset, offset + n)
          filled += n
          offset += n
          if (filled === partSize) {
            await sendPart(buffer)
            buffer = Buffer.allocUnsafe(partSize)
            filled = 0
          }
        }
      }
      if (size <= expected.size && (filled > 0 || partNumber === 0))
        await sendPart(buffer.subarray(0, filled))
      await Promise.all(inflight)
      checkDigest({ sha256: size > expected.size ? '' : hash.digest('hex'), size }, expected, key)
      parts.sort((a, b) => (a.PartNumber ?? 0) - (b.PartNumber ?? 0))
      await retrying(
        'CompleteMultipartUpload',
        key,
        () =>
          client.send(
            new CompleteMultipartUploadCommand({
              Bucket: bucket,
              Key: key,
              UploadId: uploadId,
              MultipartUpload: { Parts: parts },
            }),
            sendOptions,
          ),
        signal,
      )
    } catch (error) {
      await Promise.allSettled(inflight)
      await client
        .send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId }))
        .catch(() => undefined)
      throw error
    }
  }

  return {
    type: 's3',
    stat,

    async put(open, expected, putOptions = {}) {
      const key = keyOf(expected.sha256, putOptions)
      const existing = await stat(expected.sha256, putOptions)
      if (existing) {
        if (existing.size !== expected.size) {
          throw new AgoraError(
            'storage/size-conflict',
            `s3://${bucket}/${key} exists with ${existing.size} bytes, expected ${expected.size}`,
            { hint: 'the bucket holds a damaged blob: delete the object and publish again' },
          )
        }
        return { uploaded: false, bytes: 0 }
      }
      const upload = expected.size < threshold ? putSingle : putMultipart
      await upload(key, open, expected, putOptions.onProgress, putOptions.signal)
      return { uploaded: true, bytes: expected.size }
    },

    async get(sha256, getOptions = {}) {
      const key = keyOf(sha256, getOptions)
      const range =
        getOptions.start === undefined && getOptions.end === undefined
          ? undefined
          : `bytes=${getOptions.start ?? 0}-${getOptions.end ?? ''}`
      try {
        const answer = await withRetry(
          () =>
            client.send(
              new GetObjectCommand({
                Bucket: bucket,
                Key: key,
                ...(range ? { Range: range } : {}),
              }),
            ),
          { ...options.retry, isRetryable: isRetryableS3Error },
        )
        return answer.Body as Readable
      } catch (error) {
        if (statusOf(error) === 404 || nameOf(error) === 'NoSuchKey') {
          throw new AgoraError(
            'storage/blob-missing',
            `blob ${sha256} is not in s3://${bucket}/${key}`,
            {
              hint: 'publish the file again, or check storage.bucket in registry/agora.yaml',
              cause: error,
            },
          )
        }
        throw s3Error(error, 'GetObject', bucket, key)
      }
    },

    async url(sha256, urlOptions = {}) {
      const key = keyOf(sha256, urlOptions)
      if (!urlOptions.private && options.publicUrl)
        return `${options.publicUrl.replace(/\/+$/, '')}/${key}`
      try {
        return await presign(client, new GetObjectCommand({ Bucket: bucket, Key: key }), {
          expiresIn: urlOptions.expiresIn ?? 900,
        })
      } catch (error) {
        throw s3Error(error, 'presign GetObject', bucket, key)
      }
    },
  }
}

/** The part size for a blob: the wish, raised so the upload stays within S3's part limit. */
function partSizeFor(size: number, wish: number): number {
  const least = Math.ceil(size / MAX_PARTS / MiB) * MiB
  return Math.max(wish, least, 5 * MiB)
}

function statusOf(error: unknown): number | undefined {
  return (error as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata
    ?.httpStatusCode
}

function nameOf(error: unknown): string | undefined {
  return error instanceof Error ? error.name : undefined
}

const RETRYABLE_NAMES = new Set([
  'SlowDown',
  'ThrottlingException',
  'RequestTimeout',
  'InternalError',
  'ServiceUnavailable',
])

/**
 * True for S3 answers worth retrying: throttling, 5xx and broken connections.
 *
 * @example isRetryableS3Error(Object.assign(new Error('x'), { name: 'SlowDown' })) // true
 */
export function isRetryableS3Error(error: unknown): boolean {
  if (error instanceof AgoraError) return false
  const status = statusOf(error)
  if (status !== undefined && isRetryableStatus(status)) return true
  const name = nameOf(error)
  if (name === 'AbortError') return false
  return (name !== undefined && RETRYABLE_NAMES.has(name)) || isNetworkError(error)
}

/** Wraps an SDK failure in an AgoraError saying which call, which object and what to try. */
function s3Error(error: unknown, operation: string, bucket: string, key: string): unknown {
  if (error instanceof AgoraError) return error
  const status = statusOf(error)
  const name = nameOf(error) ?? 'Error'
  const detail = error instanceof Error ? error.message : String(error)
  let hint = 'check storage.endpoint and storage.bucket in registry/agora.yaml'
  if (
    status === 403 ||
    name === 'AccessDenied' ||
    name === 'InvalidAccessKeyId' ||
    name === 'SignatureDoesNotMatch'
  ) {
    hint =
      'check the credentials: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must allow this bucket'
  } else if (name === 'NoSuchBucket') {
    hint = `create the bucket "${bucket}" or fix storage.bucket in registry/agora.yaml`
  } else if (isNetworkError(error)) {
    hint = 'the S3 endpoint is unreachable: check storage.endpoint and the network'
  } else if (status !== undefined && isRetryableStatus(status)) {
    hint = 'the S3 service kept failing after several retries; try again later'
  }
  return new AgoraError(
    'storage/s3-failed',
    `S3 ${operation} of s3://${bucket}/${key} failed: ${status ? `${status} ` : ''}${name}: ${detail}`,
    { hint, cause: error },
  )
}

import { createReadStream, createWriteStream, statSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  NoSuchKey,
  NotFound,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
  UploadPartCommand,
  UploadPartCopyCommand,
  type CreateMultipartUploadCommandInput,
} from '@aws-sdk/client-s3';
import { TransientError } from '../core/base/errors';
import { PreconditionFailed, type ObjectInfo, type ObjectStore, type WriteCondition } from '../core/lake/store';

const missing = (e: unknown) => e instanceof NoSuchKey || e instanceof NotFound || (e instanceof S3ServiceException && e.$metadata?.httpStatusCode === 404);

/**
 * A conditional write that lost: 412 (the ETag moved, or an object appeared),
 * 409 ConditionalRequestConflict (another conditional write to the key was in
 * flight) or 404 (If-Match on an object deleted meanwhile). A multipart
 * upload reaped mid-way (404 NoSuchUpload) is not one: nothing about the key
 * changed, and calling it a lost race would send the writer back to re-read.
 */
const lostRace = (e: unknown) => e instanceof S3ServiceException && [404, 409, 412].includes(e.$metadata?.httpStatusCode ?? 0) && e.name !== 'NoSuchUpload';

/** Throttling, 5xx and network faults become TransientError so the state machine retries them. */
async function call<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof S3ServiceException) {
      const status = e.$metadata?.httpStatusCode ?? 0;
      if (status >= 500 || status === 429 || e.name === 'SlowDown' || e.$retryable)
        throw new TransientError(`S3 ${what}: ${e.name}: ${e.message}`, { cause: e });
    } else if (e instanceof Error && /ECONNRESET|ETIMEDOUT|EPIPE|socket hang up|TimeoutError/i.test(`${e.name} ${e.message}`)) {
      throw new TransientError(`S3 ${what}: ${e.message}`, { cause: e });
    }
    throw e;
  }
}

/** The most PutObject and CopyObject take (5 GiB); larger objects go in parts. */
const SINGLE_MAX = 5 * 1024 ** 3;
/** Part size of a multipart upload or copy: 16 parts for the 8 GiB a file may have (S3 allows 10,000). */
const PART = 512 * 1024 ** 2;
/** Parts sent at once. */
const PARALLEL = 4;

export class S3ObjectStore implements ObjectStore {
  constructor(
    private readonly s3: S3Client = new S3Client({}),
    /** Tests lower these to take the multipart path with small objects. */
    private readonly partLimits = { single: SINGLE_MAX, part: PART },
  ) {}

  async head(bucket: string, key: string, versionId?: string): Promise<ObjectInfo | undefined> {
    try {
      const r = await call('HeadObject', () => this.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key, VersionId: versionId })));
      return {
        key,
        size: r.ContentLength ?? 0,
        lastModified: r.LastModified ?? new Date(0),
        versionId: r.VersionId,
        etag: r.ETag?.replace(/"/g, ''),
        metadata: r.Metadata,
      };
    } catch (e) {
      if (missing(e)) return undefined;
      throw e;
    }
  }

  async read(bucket: string, key: string, versionId?: string): Promise<AsyncIterable<Uint8Array>> {
    const r = await call('GetObject', () => this.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, VersionId: versionId })));
    return r.Body as Readable;
  }

  async readText(bucket: string, key: string): Promise<string | undefined> {
    return (await this.readTextTagged(bucket, key))?.text;
  }

  async readTextTagged(bucket: string, key: string): Promise<{ text: string; etag?: string } | undefined> {
    try {
      const r = await call('GetObject', () => this.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key })));
      return { text: await r.Body!.transformToString(), etag: r.ETag?.replace(/"/g, '') };
    } catch (e) {
      if (missing(e)) return undefined;
      throw e;
    }
  }

  async putText(bucket: string, key: string, body: string, contentType = 'application/json'): Promise<void> {
    await call('PutObject', () => this.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: contentType })));
  }

  async putFile(
    bucket: string,
    key: string,
    path: string,
    contentType = 'application/octet-stream',
    condition?: WriteCondition,
    metadata?: Record<string, string>,
  ): Promise<void> {
    // Known length + stream: no buffering of the whole file.
    const size = statSync(path).size;
    const cond = condition ? { IfMatch: condition.ifMatch && `"${condition.ifMatch}"`, IfNoneMatch: condition.ifNoneMatch } : {};
    try {
      if (size > this.partLimits.single) {
        // PutObject refuses a body past 5 GiB (one silver partition of a large file can pass it).
        await this.inParts({ bucket, key }, { ContentType: contentType, Metadata: metadata }, size, cond, async (UploadId, n, start, end) => {
          const r = await call('UploadPart', () =>
            this.s3.send(
              new UploadPartCommand({
                Bucket: bucket,
                Key: key,
                UploadId,
                PartNumber: n,
                Body: createReadStream(path, { start, end: end - 1 }),
                ContentLength: end - start,
              }),
            ),
          );
          return r.ETag!;
        });
        return;
      }
      await call('PutObject', () =>
        this.s3.send(
          new PutObjectCommand({
            Bucket: bucket,
            Key: key,
            Body: createReadStream(path),
            ContentLength: size,
            ContentType: contentType,
            Metadata: metadata,
            ...cond,
          }),
        ),
      );
    } catch (e) {
      if (condition && lostRace(e)) throw new PreconditionFailed(`s3://${bucket}/${key} changed since it was read (${(e as Error).name})`, { cause: e });
      throw e;
    }
  }

  async getFile(bucket: string, key: string, path: string): Promise<void> {
    const r = await call('GetObject', () => this.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key })));
    await pipeline(r.Body as Readable, createWriteStream(path));
  }

  async copy(from: { bucket: string; key: string; versionId?: string; size?: number }, to: { bucket: string; key: string }): Promise<void> {
    const source = `${from.bucket}/${encodeURIComponent(from.key).replace(/%2F/g, '/')}${from.versionId ? `?versionId=${encodeURIComponent(from.versionId)}` : ''}`;
    if (from.size === undefined || from.size <= this.partLimits.single) {
      await call('CopyObject', () => this.s3.send(new CopyObjectCommand({ Bucket: to.bucket, Key: to.key, CopySource: source })));
      return;
    }
    await this.copyInParts(from, source, to);
  }

  /**
   * CopyObject refuses sources past 5 GiB (a plain CSV may have 8 GiB): S3 copies the ranges as parts
   * of a multipart upload. What CopyObject would carry over (content type and encoding, cache and
   * disposition headers, user metadata) is read from the source and given to the upload, and every
   * part is copied only from that same content (its ETag), so an object overwritten mid-copy (an
   * unversioned bucket) fails the copy rather than mixing two.
   */
  private async copyInParts(from: { bucket: string; key: string; versionId?: string }, source: string, to: { bucket: string; key: string }): Promise<void> {
    const head = await call('HeadObject', () => this.s3.send(new HeadObjectCommand({ Bucket: from.bucket, Key: from.key, VersionId: from.versionId })));
    const headers = {
      ContentType: head.ContentType,
      ContentEncoding: head.ContentEncoding,
      ContentDisposition: head.ContentDisposition,
      ContentLanguage: head.ContentLanguage,
      CacheControl: head.CacheControl,
      Metadata: head.Metadata,
    };
    await this.inParts(to, headers, head.ContentLength ?? 0, {}, async (UploadId, n, start, end) => {
      const r = await call('UploadPartCopy', () =>
        this.s3.send(
          new UploadPartCopyCommand({
            Bucket: to.bucket,
            Key: to.key,
            UploadId,
            PartNumber: n,
            CopySource: source,
            CopySourceRange: `bytes=${start}-${end - 1}`,
            CopySourceIfMatch: head.ETag,
          }),
        ),
      );
      return r.CopyPartResult!.ETag!;
    });
  }

  /**
   * A multipart upload of `size` bytes in parts of partLimits.part: `send` sends part n (bytes
   * start..end-1) and returns its ETag. A few parts at a time; after a failure no part starts, and
   * the upload is aborted once none is in flight (an abort sent while parts run may not take; the
   * buckets' lifecycle rule reaps what an abort misses). `complete` holds the write's condition.
   */
  private async inParts(
    to: { bucket: string; key: string },
    headers: Omit<CreateMultipartUploadCommandInput, 'Bucket' | 'Key'>,
    size: number,
    complete: { IfMatch?: string; IfNoneMatch?: string },
    send: (uploadId: string, n: number, start: number, end: number) => Promise<string>,
  ): Promise<void> {
    const { UploadId } = await call('CreateMultipartUpload', () =>
      this.s3.send(new CreateMultipartUploadCommand({ Bucket: to.bucket, Key: to.key, ...headers })),
    );
    const part = this.partLimits.part;
    const count = Math.ceil(size / part);
    const parts: { ETag: string; PartNumber: number }[] = [];
    let failure: { error: unknown } | undefined;
    let next = 0;
    const worker = async () => {
      while (!failure && next < count) {
        const n = ++next;
        try {
          parts[n - 1] = { ETag: await send(UploadId!, n, (n - 1) * part, Math.min(size, n * part)), PartNumber: n };
        } catch (error) {
          failure ??= { error };
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(PARALLEL, count) }, worker));
    try {
      if (failure) throw failure.error;
      await call('CompleteMultipartUpload', () =>
        this.s3.send(new CompleteMultipartUploadCommand({ Bucket: to.bucket, Key: to.key, UploadId, MultipartUpload: { Parts: parts }, ...complete })),
      );
    } catch (e) {
      try {
        await this.s3.send(new AbortMultipartUploadCommand({ Bucket: to.bucket, Key: to.key, UploadId }));
      } catch {
        // The upload's own error is the one to report; the lifecycle rule reaps an upload left open.
      }
      throw e;
    }
  }

  async list(bucket: string, prefix: string): Promise<ObjectInfo[]> {
    const out: ObjectInfo[] = [];
    let token: string | undefined;
    do {
      const r = await call('ListObjectsV2', () => this.s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token })));
      for (const o of r.Contents ?? [])
        out.push({ key: o.Key!, size: o.Size ?? 0, lastModified: o.LastModified ?? new Date(0), etag: o.ETag?.replace(/"/g, '') });
      token = r.IsTruncated ? r.NextContinuationToken : undefined;
    } while (token);
    return out;
  }

  async delete(bucket: string, key: string): Promise<void> {
    await call('DeleteObject', () => this.s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key })));
  }
}

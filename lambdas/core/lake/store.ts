/**
 * The one door to storage. S3 in Lambda, a directory laid out like the buckets
 * when run locally; stage logic never knows which.
 */

export interface ObjectInfo {
  key: string;
  size: number;
  lastModified: Date;
  versionId?: string;
  etag?: string;
  /** User metadata (S3 `x-amz-meta-*`, names lower-case), from head only: listings do not carry it. */
  metadata?: Record<string, string>;
}

/**
 * A conditional write, as S3 does it: `ifMatch` succeeds only while the object
 * still has that ETag, `ifNoneMatch: '*'` only while there is no object. A
 * write whose condition no longer holds throws PreconditionFailed and changes
 * nothing.
 */
export interface WriteCondition {
  ifMatch?: string;
  ifNoneMatch?: '*';
}

/** The object changed (or appeared, or vanished) since its ETag was read: re-read and try again. */
export class PreconditionFailed extends Error {
  override readonly name = 'PreconditionFailed';
}

export interface ObjectStore {
  head(bucket: string, key: string, versionId?: string): Promise<ObjectInfo | undefined>;
  /** Streamed body: files can be larger than memory. */
  read(bucket: string, key: string, versionId?: string): Promise<AsyncIterable<Uint8Array>>;
  readText(bucket: string, key: string): Promise<string | undefined>;
  /** readText with the ETag of the very content returned (S3 GetObject's), where the store can tell it. */
  readTextTagged(bucket: string, key: string): Promise<{ text: string; etag?: string } | undefined>;
  putText(bucket: string, key: string, body: string, contentType?: string): Promise<void>;
  /** `metadata` is stored with the object and returned by head (small: S3 allows 2 KB in all). */
  putFile(bucket: string, key: string, path: string, contentType?: string, condition?: WriteCondition, metadata?: Record<string, string>): Promise<void>;
  /** Download to a local path (Parquet reads need random access). */
  getFile(bucket: string, key: string, path: string): Promise<void>;
  /** `size`, when known, lets a store copy objects too large for one request (S3: 5 GiB) in parts. */
  copy(from: { bucket: string; key: string; versionId?: string; size?: number }, to: { bucket: string; key: string }): Promise<void>;
  list(bucket: string, prefix: string): Promise<ObjectInfo[]>;
  delete(bucket: string, key: string): Promise<void>;
}

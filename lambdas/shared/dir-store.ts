import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync } from 'node:fs';
import { copyFile, mkdir, open, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { PreconditionFailed, type ObjectInfo, type ObjectStore, type WriteCondition } from '../core/lake/store';

/** A lock file older than this belongs to a process that died holding it. */
const STALE_LOCK_MS = 30_000;

/**
 * A local directory laid out exactly like the buckets: <root>/<bucket>/<key>.
 * Versions are not kept; the version id is the content hash, which is what a
 * versioned bucket guarantees: a new upload is a new version (run locally,
 * the same bytes again are the same version).
 *
 * Faithful to S3 where concurrent runs depend on it: a write lands whole
 * (written aside, then renamed over the key), so a reader never sees half an
 * object; and a conditional write checks the ETag and replaces the object as
 * one step, under a lock file created with O_EXCL, so it holds across
 * processes sharing the directory as well as within one.
 */
export class DirectoryObjectStore implements ObjectStore {
  constructor(readonly root: string) {}

  /**
   * The ETag: which write produced the file (inode, size, nanosecond mtime).
   * Every write here is a new file renamed into place, so every write changes
   * it, even with identical bytes (S3's MD5 ETag would not: stricter, never
   * looser). Cheap, so listings carry it too, as S3's do.
   */
  private async etagOf(p: string): Promise<string | undefined> {
    const s = await stat(p, { bigint: true }).catch(() => undefined);
    return s && `${s.ino.toString(16)}-${s.size}-${s.mtimeNs}`;
  }

  private async md5(p: string): Promise<string | undefined> {
    const hash = createHash('md5');
    try {
      await pipeline(createReadStream(p), hash);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
    return hash.digest('hex');
  }

  /**
   * Write `fill`'s output beside the store, then rename it over the key: readers see the old or the new object.
   * User metadata goes to a sidecar under `.meta/` written first, naming the ETag the new file will have
   * (a rename keeps inode and mtime): head returns it only while the object has that ETag, so a reader
   * never sees one write's metadata with another write's object.
   */
  private async replace(p: string, fill: (tmp: string) => Promise<void>, meta?: { path: string; metadata: Record<string, string> }): Promise<void> {
    const tmpDir = join(this.root, '.tmp');
    await mkdir(tmpDir, { recursive: true });
    await mkdir(dirname(p), { recursive: true });
    const tmp = join(tmpDir, randomUUID());
    try {
      await fill(tmp);
      if (meta) {
        await mkdir(dirname(meta.path), { recursive: true });
        const side = JSON.stringify({ etag: await this.etagOf(tmp), metadata: meta.metadata });
        await this.replace(meta.path, (t) => writeFile(t, side));
      }
      await rename(tmp, p);
    } finally {
      await rm(tmp, { force: true });
    }
  }

  /** Where an object's user metadata is kept: outside every bucket's directory, so listings never see it. */
  private metaPath(bucket: string, key: string): string {
    this.path(bucket, key);
    return join(this.root, '.meta', bucket, `${key}.json`);
  }

  private async metadataOf(bucket: string, key: string, etag: string): Promise<Record<string, string> | undefined> {
    const text = await readFile(this.metaPath(bucket, key), 'utf8').catch(() => undefined);
    const side = text ? (JSON.parse(text) as { etag?: string; metadata?: Record<string, string> }) : undefined;
    return side?.etag === etag ? side.metadata : undefined;
  }

  private async locked<T>(p: string, fn: () => Promise<T>): Promise<T> {
    const dir = join(this.root, '.locks');
    await mkdir(dir, { recursive: true });
    const lock = join(dir, createHash('sha256').update(p).digest('hex'));
    for (let i = 0; ; i++) {
      try {
        await (await open(lock, 'wx')).close();
        break;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
        if (!(await this.breakIfStale(lock))) await sleep(Math.min(1 + i, 20));
      }
    }
    try {
      return await fn();
    } finally {
      await rm(lock, { force: true });
    }
  }

  /**
   * Remove a lock whose writer died holding it. Judging it stale and removing it must be one
   * step: otherwise two waiters both judge the dead writer's lock stale, the first removes it and
   * takes the lock, and the second removes the first's lock and takes it too (both then write, and
   * a conditional write loses its meaning). So only the holder of the lock's breaker file (O_EXCL
   * as well) removes a lock, after judging it stale again while holding the breaker.
   */
  private async breakIfStale(lock: string): Promise<boolean> {
    const age = (f: string) =>
      stat(f).then(
        (s) => Date.now() - s.mtimeMs,
        () => 0,
      );
    if ((await age(lock)) <= STALE_LOCK_MS) return false;
    const breaker = `${lock}.break`;
    try {
      await (await open(breaker, 'wx')).close();
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      // Left by a waiter that died within the few lines below.
      if ((await age(breaker)) > STALE_LOCK_MS) await rm(breaker, { force: true });
      return false;
    }
    try {
      if ((await age(lock)) > STALE_LOCK_MS) await rm(lock, { force: true });
    } finally {
      await rm(breaker, { force: true });
    }
    return true;
  }

  path(bucket: string, key: string): string {
    const p = join(this.root, bucket, key);
    if (!p.startsWith(join(this.root, bucket) + sep)) throw new Error(`key escapes the bucket directory: ${key}`);
    return p;
  }

  async head(bucket: string, key: string): Promise<ObjectInfo | undefined> {
    const p = this.path(bucket, key);
    const s = await stat(p).catch(() => undefined);
    const [etag, versionId] = s ? await Promise.all([this.etagOf(p), this.md5(p)]) : [];
    if (!s || !etag || !versionId) return undefined;
    const metadata = await this.metadataOf(bucket, key, etag);
    return { key, size: s.size, lastModified: s.mtime, versionId, etag, ...(metadata && { metadata }) };
  }

  async read(bucket: string, key: string): Promise<AsyncIterable<Uint8Array>> {
    const p = this.path(bucket, key);
    if (!existsSync(p)) throw new Error(`no such object s3://${bucket}/${key} (local store ${this.root})`);
    return createReadStream(p, { highWaterMark: 256 << 10 });
  }

  async readText(bucket: string, key: string): Promise<string | undefined> {
    const p = this.path(bucket, key);
    return readFile(p, 'utf8').catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') return undefined;
      throw e;
    });
  }

  /** The ETag only when the file was the same write before and after the read (a rename in between: none). */
  async readTextTagged(bucket: string, key: string): Promise<{ text: string; etag?: string } | undefined> {
    const p = this.path(bucket, key);
    const before = await this.etagOf(p);
    const text = await this.readText(bucket, key);
    if (text === undefined) return undefined;
    const after = await this.etagOf(p);
    return { text, etag: before !== undefined && before === after ? before : undefined };
  }

  async putText(bucket: string, key: string, body: string): Promise<void> {
    await this.replace(this.path(bucket, key), (tmp) => writeFile(tmp, body));
  }

  async putFile(
    bucket: string,
    key: string,
    path: string,
    _contentType?: string,
    condition?: WriteCondition,
    metadata?: Record<string, string>,
  ): Promise<void> {
    const p = this.path(bucket, key);
    const meta = metadata && { path: this.metaPath(bucket, key), metadata };
    if (!condition) return this.replace(p, (tmp) => copyFile(path, tmp), meta);
    await this.locked(p, async () => {
      const current = await this.etagOf(p);
      const holds = condition.ifNoneMatch === '*' ? current === undefined : current !== undefined && current === condition.ifMatch;
      if (!holds) throw new PreconditionFailed(`${bucket}/${key} changed since it was read (local store ${this.root})`);
      await this.replace(p, (tmp) => copyFile(path, tmp), meta);
    });
  }

  async getFile(bucket: string, key: string, path: string): Promise<void> {
    await mkdir(dirname(path), { recursive: true });
    await pipeline(createReadStream(this.path(bucket, key)), createWriteStream(path));
  }

  async copy(from: { bucket: string; key: string }, to: { bucket: string; key: string }): Promise<void> {
    await this.putFile(to.bucket, to.key, this.path(from.bucket, from.key));
  }

  async list(bucket: string, prefix: string): Promise<ObjectInfo[]> {
    const base = join(this.root, bucket);
    const start = join(base, prefix.includes('/') ? prefix.slice(0, prefix.lastIndexOf('/')) : '');
    if (!existsSync(start)) return [];
    const out: ObjectInfo[] = [];
    for (const e of await readdir(start, { recursive: true, withFileTypes: true })) {
      if (!e.isFile()) continue;
      const full = join(e.parentPath, e.name);
      const key = relative(base, full).split(sep).join('/');
      if (!key.startsWith(prefix)) continue;
      // Deleted between the directory read and now: S3 would not list it either.
      const s = await stat(full).catch(() => undefined);
      if (s) out.push({ key, size: s.size, lastModified: s.mtime, etag: await this.etagOf(full) });
    }
    return out.sort((a, b) => a.key.localeCompare(b.key));
  }

  async delete(bucket: string, key: string): Promise<void> {
    await rm(this.path(bucket, key), { force: true });
    await rm(this.metaPath(bucket, key), { force: true });
  }
}

import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync } from 'node:fs';
import { copyFile, mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { ObjectInfo, ObjectStore } from '../core/store';

/**
 * A local directory laid out exactly like the buckets: <root>/<bucket>/<key>.
 * Versions are not kept; the version id is the content hash, which is what a
 * versioned bucket guarantees: a new upload is a new version.
 */
export class DirectoryObjectStore implements ObjectStore {
  constructor(readonly root: string) {}

  path(bucket: string, key: string): string {
    const p = join(this.root, bucket, key);
    if (!p.startsWith(join(this.root, bucket) + sep)) throw new Error(`key escapes the bucket directory: ${key}`);
    return p;
  }

  async head(bucket: string, key: string): Promise<ObjectInfo | undefined> {
    const p = this.path(bucket, key);
    if (!existsSync(p)) return undefined;
    const s = await stat(p);
    const hash = createHash('md5');
    await pipeline(createReadStream(p), hash);
    const etag = hash.digest('hex');
    return { key, size: s.size, lastModified: s.mtime, versionId: etag, etag };
  }

  async read(bucket: string, key: string): Promise<AsyncIterable<Uint8Array>> {
    const p = this.path(bucket, key);
    if (!existsSync(p)) throw new Error(`no such object s3://${bucket}/${key} (local store ${this.root})`);
    return createReadStream(p, { highWaterMark: 256 << 10 });
  }

  async readText(bucket: string, key: string): Promise<string | undefined> {
    const p = this.path(bucket, key);
    return existsSync(p) ? readFile(p, 'utf8') : undefined;
  }

  async putText(bucket: string, key: string, body: string): Promise<void> {
    const p = this.path(bucket, key);
    await mkdir(dirname(p), { recursive: true });
    await writeFile(p, body);
  }

  async putFile(bucket: string, key: string, path: string): Promise<void> {
    const p = this.path(bucket, key);
    await mkdir(dirname(p), { recursive: true });
    await copyFile(path, p);
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
      const s = await stat(full);
      out.push({ key, size: s.size, lastModified: s.mtime });
    }
    return out.sort((a, b) => a.key.localeCompare(b.key));
  }

  async delete(bucket: string, key: string): Promise<void> {
    await rm(this.path(bucket, key), { force: true });
  }
}

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PreconditionFailed } from '../../lambdas/core/lake/store';
import { DirectoryObjectStore } from '../../lambdas/shared/dir-store';

/** The local store's conditional writes must mean what S3's do, or the local runner proves nothing about gold. */
describe('DirectoryObjectStore conditional writes', () => {
  const scratch = () => mkdtempSync(join(tmpdir(), 'dir-store-'));

  it('If-None-Match: * creates once; If-Match succeeds only on the current ETag; every write changes the ETag', async () => {
    const root = scratch();
    const store = new DirectoryObjectStore(root);
    const body = join(root, 'body');
    writeFileSync(body, 'x');
    await store.putFile('b', 'k', body, undefined, { ifNoneMatch: '*' });
    await expect(store.putFile('b', 'k', body, undefined, { ifNoneMatch: '*' })).rejects.toBeInstanceOf(PreconditionFailed);
    const e1 = (await store.head('b', 'k'))!.etag!;
    await store.putFile('b', 'k', body, undefined, { ifMatch: e1 });
    const e2 = (await store.head('b', 'k'))!.etag!;
    expect(e2).not.toBe(e1);
    await expect(store.putFile('b', 'k', body, undefined, { ifMatch: e1 })).rejects.toBeInstanceOf(PreconditionFailed);
    await expect(store.putFile('b', 'missing', body, undefined, { ifMatch: e1 })).rejects.toBeInstanceOf(PreconditionFailed);
    expect((await store.list('b', 'k'))[0].etag).toBe(e2);
  });

  it("user metadata: head returns what the current object was written with, never an earlier write's", async () => {
    const root = scratch();
    const store = new DirectoryObjectStore(root);
    const body = join(root, 'body');
    writeFileSync(body, 'x');
    await store.putFile('b', 'k', body, undefined, { ifNoneMatch: '*' }, { 'partials-sha256': 'one' });
    const h1 = (await store.head('b', 'k'))!;
    expect(h1.metadata).toEqual({ 'partials-sha256': 'one' });
    await store.putFile('b', 'k', body, undefined, { ifMatch: h1.etag! }, { 'partials-sha256': 'two' });
    expect((await store.head('b', 'k'))!.metadata).toEqual({ 'partials-sha256': 'two' });
    // A losing write changes neither the object nor its metadata.
    await expect(store.putFile('b', 'k', body, undefined, { ifMatch: h1.etag! }, { 'partials-sha256': 'three' })).rejects.toBeInstanceOf(PreconditionFailed);
    expect((await store.head('b', 'k'))!.metadata).toEqual({ 'partials-sha256': 'two' });
    // A write without metadata leaves the object without it (the sidecar names another ETag).
    await store.putFile('b', 'k', body);
    expect((await store.head('b', 'k'))!.metadata).toBeUndefined();
    // Listings never show the sidecars; a delete takes the metadata with the object.
    await store.putFile('b', 'k', body, undefined, undefined, { a: '1' });
    expect((await store.list('b', '')).map((o) => o.key)).toEqual(['k']);
    await store.delete('b', 'k');
    expect(await store.head('b', 'k')).toBeUndefined();
    await store.putFile('b', 'k', body);
    expect((await store.head('b', 'k'))!.metadata).toBeUndefined();
  });

  it('read-modify-write with If-Match loses no update among 40 concurrent writers (two store objects, as two processes would)', async () => {
    const root = scratch();
    const stores = [new DirectoryObjectStore(root), new DirectoryObjectStore(root)];
    await stores[0].putText('b', 'counter', '0');
    let conflicts = 0;
    await Promise.all(
      Array.from({ length: 40 }, async (_, i) => {
        const store = stores[i % 2];
        const tmp = join(root, `w${i}`);
        for (;;) {
          const etag = (await store.head('b', 'counter'))!.etag!;
          const n = Number(await store.readText('b', 'counter'));
          writeFileSync(tmp, String(n + 1));
          try {
            await store.putFile('b', 'counter', tmp, undefined, { ifMatch: etag });
            return;
          } catch (e) {
            if (!(e instanceof PreconditionFailed)) throw e;
            conflicts++;
          }
        }
      }),
    );
    expect(await stores[0].readText('b', 'counter')).toBe('40');
    expect(conflicts).toBeGreaterThan(0);
  });
});

describe('DirectoryObjectStore lock left by a crashed writer', () => {
  it('a stale lock is broken by one waiter only: of many writers racing on one ETag, exactly one lands (repeated)', async () => {
    const { createHash } = await import('node:crypto');
    const { mkdirSync, utimesSync } = await import('node:fs');
    for (let round = 0; round < 10; round++) {
      const root = mkdtempSync(join(tmpdir(), 'dirstore-stale-'));
      const src = join(root, 'src.bin');
      writeFileSync(src, 'x');
      // Writers in "two processes": separate store objects on one directory.
      const stores = [new DirectoryObjectStore(root), new DirectoryObjectStore(root)];
      await stores[0].putFile('b', 'k', src, undefined, { ifNoneMatch: '*' });
      const etag = (await stores[0].head('b', 'k'))!.etag!;
      // The lock a writer that died mid-write left behind, a minute old.
      const lock = join(root, '.locks', createHash('sha256').update(stores[0].path('b', 'k')).digest('hex'));
      mkdirSync(join(root, '.locks'), { recursive: true });
      writeFileSync(lock, '');
      const old = new Date(Date.now() - 60_000);
      utimesSync(lock, old, old);
      const results = await Promise.allSettled(Array.from({ length: 24 }, (_, i) => stores[i % 2].putFile('b', 'k', src, undefined, { ifMatch: etag })));
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      for (const r of results) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(PreconditionFailed);
    }
  });
});

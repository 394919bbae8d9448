import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { registryOf } from '../../lambdas/core/contract/contract';
import { layout } from '../../lambdas/core/lake/layout';
import type { ObjectInfo, ObjectStore } from '../../lambdas/core/lake/store';
import { COVERAGE, coverageOf, rebuildGold } from '../../lambdas/handlers/rebuild-gold';
import type { StageDeps } from '../../lambdas/shared/deps';
import { DirectoryObjectStore } from '../../lambdas/shared/dir-store';
import { createTelemetry } from '../../lambdas/shared/telemetry';
import { loadConfig } from '../../lib/config';
import { LOCAL_BUCKETS, runLocal } from '../../src/cli/local-run';

const obj = (key: string, etag?: string): ObjectInfo => ({ key, size: 1, lastModified: new Date(0), etag });

/** The digest a gold write records of the partials it was built from: equal only for the same keys with the same ETags. */
describe('coverageOf', () => {
  it('depends on the set of keys and ETags, not on listing order', () => {
    const a = obj('_partials/gold/d/dt=1/a.json', 'e1');
    const b = obj('_partials/gold/d/dt=1/b.json', 'e2');
    expect(coverageOf([a, b])).toBe(coverageOf([b, a]));
    expect(coverageOf([a, b])).toMatch(/^[0-9a-f]{64}$/);
    expect(coverageOf([a, b])).not.toBe(coverageOf([a]));
    expect(coverageOf([a, b])).not.toBe(coverageOf([a, { ...b, etag: 'e3' }]));
    expect(coverageOf([a, b])).not.toBe(coverageOf([a, { ...b, key: '_partials/gold/d/dt=1/c.json' }]));
    // Key and ETag cannot trade characters and collide.
    expect(coverageOf([obj('k#1', '2')])).not.toBe(coverageOf([obj('k', '1#2')]));
    expect(coverageOf([])).toMatch(/^[0-9a-f]{64}$/);
    // The gold definition is part of it: the same partials under another aggregate or contract are not covered.
    expect(coverageOf([a, b], 'v1')).not.toBe(coverageOf([a, b], 'v2'));
  });

  it('is undefined when a listed partial has no ETag: such a listing never counts as covered', () => {
    expect(coverageOf([obj('a', 'e1'), obj('b')])).toBeUndefined();
  });
});

describe('rebuildGold and coverage', () => {
  const cfg = loadConfig('config/pipeline.json', 'dev');
  const sales = cfg.datasets.find((d) => d.name === 'sales')!.contract;
  const DT = '2026-11-20';

  async function lakeWithTwoFiles() {
    const root = mkdtempSync(join(tmpdir(), 'coverage-'));
    const dir = join(root, 'in', 'sales');
    mkdirSync(dir, { recursive: true });
    for (const f of [1, 2]) {
      const path = join(dir, `sales_${f}.csv`);
      writeFileSync(path, `order_id,customer_id,amount,quantity,status,order_ts,region\nO${f},C000001,1${f}.00,1,paid,${DT}T10:00:00Z,EU\n`);
      expect((await runLocal(path, 'sales', { config: cfg, storeRoot: root, retryWaitMs: 1 })).status).toBe('succeeded');
    }
    return root;
  }

  const depsOf = (root: string, store: ObjectStore): StageDeps => ({
    ...createTelemetry({ silent: true }),
    store,
    contracts: registryOf(cfg.datasets.map((d) => d.contract)),
    lakeBucket: LOCAL_BUCKETS.lake,
    workRoot: join(root, '.work'),
    now: () => new Date(),
    faultInjection: false,
  });
  const goldKeys = () => sales.gold.map((g) => layout.gold('sales', g.name, DT));

  it('a rebuild that finds gold built from the listed partials writes nothing; one under another definition rebuilds', async () => {
    const root = await lakeWithTwoFiles();
    const store = new DirectoryObjectStore(root);
    const before = await Promise.all(goldKeys().map((k) => store.head(LOCAL_BUCKETS.lake, k)));
    expect(before.every((h) => h?.metadata?.[COVERAGE])).toBe(true);
    await rebuildGold(depsOf(root, store), sales, 'sales', [DT], join(root, 'w'));
    const same = await Promise.all(goldKeys().map((k) => store.head(LOCAL_BUCKETS.lake, k)));
    expect(same.map((h) => h?.etag)).toEqual(before.map((h) => h?.etag));
    // A new contract version (same partials) is not the gold that is there.
    await rebuildGold(depsOf(root, store), { ...sales, version: sales.version + 1 }, 'sales', [DT], join(root, 'w'));
    const next = await Promise.all(goldKeys().map((k) => store.head(LOCAL_BUCKETS.lake, k)));
    next.forEach((h, i) => expect(h?.etag).not.toBe(before[i]?.etag));
  });

  it('a partial rewritten or deleted between the listing and its read: the write records no coverage, so the next rebuild writes again', async () => {
    for (const change of ['rewrite', 'delete'] as const) {
      const root = await lakeWithTwoFiles();
      const base = new DirectoryObjectStore(root);
      let changed = false;
      const store: ObjectStore = new Proxy(base, {
        get(target, prop, receiver) {
          const v = Reflect.get(target, prop, receiver);
          if (prop !== 'readTextTagged') return typeof v === 'function' ? v.bind(target) : v;
          return async (bucket: string, key: string) => {
            if (!changed && key.startsWith('_partials/gold/')) {
              changed = true;
              // Another run of that key, after this rebuild listed the partition.
              const text = (await target.readText(bucket, key))!;
              if (change === 'rewrite') await target.putText(bucket, key, text);
              else await target.delete(bucket, key);
            }
            return target.readTextTagged(bucket, key);
          };
        },
      });
      // Force a rebuild: gold is not current under another definition.
      const newer = { ...sales, version: sales.version + 1 };
      await rebuildGold(depsOf(root, store), newer, 'sales', [DT], join(root, 'w'));
      expect(changed).toBe(true);
      const written = await Promise.all(goldKeys().map((k) => base.head(LOCAL_BUCKETS.lake, k)));
      for (const h of written) expect(h?.metadata?.[COVERAGE], change).toBeUndefined();
      await rebuildGold(depsOf(root, base), newer, 'sales', [DT], join(root, 'w'));
      const again = await Promise.all(goldKeys().map((k) => base.head(LOCAL_BUCKETS.lake, k)));
      again.forEach((h, i) => {
        expect(h?.etag, change).not.toBe(written[i]?.etag);
        expect(h?.metadata?.[COVERAGE], change).toMatch(/^[0-9a-f]{64}$/);
      });
    }
  });
});

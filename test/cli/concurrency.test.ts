import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { asyncBufferFromFile, parquetMetadataAsync } from 'hyparquet';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../lib/config';
import { STATES } from '../../lib/states';
import type { ObjectStore } from '../../lambdas/core/lake/store';
import { DirectoryObjectStore } from '../../lambdas/shared/dir-store';
import { LOCAL_BUCKETS, runConcurrently, runLocal } from '../../src/cli/local-run';
import { goldByPartition, referenceGold, silverByPartition } from './lake-reference';
import { COVERAGE } from '../../lambdas/handlers/rebuild-gold';

/**
 * Real concurrency: files run side by side through the local state machine
 * and handlers, every storage call and every step between handlers delayed
 * by a random few milliseconds so their reads, lists and writes interleave
 * differently each time. Gold must equal an aggregate computed from silver.
 */

const cfg = loadConfig('config/pipeline.json', 'dev');
const sales = cfg.datasets.find((d) => d.name === 'sales')!.contract;

const STORE_CALLS = new Set<string | symbol>(['head', 'read', 'readText', 'putText', 'putFile', 'getFile', 'copy', 'list', 'delete']);

/**
 * A random pause: usually a few milliseconds, now and then (1 in 20) a stall
 * of 50-150 ms, as a slow S3 call or a cold start would be. Stalls are what
 * let one rebuild's list-to-write window span another file's whole Publish.
 */
const pause = () => sleep(Math.random() < 0.05 ? 50 + Math.random() * 100 : Math.random() * 4);

/** Every call of the store is paused before it starts and after it ends. */
function jittery(store: ObjectStore): ObjectStore {
  return new Proxy(store, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver);
      if (typeof v !== 'function' || !STORE_CALLS.has(prop)) return v;
      return async (...args: unknown[]) => {
        await pause();
        const r = await v.apply(target, args);
        await pause();
        return r;
      };
    },
  });
}

function salesFiles(dir: string, n: number): string[] {
  mkdirSync(dir, { recursive: true });
  const regions = ['EU', 'US', 'APAC'];
  const statuses = ['paid', 'new', 'shipped'];
  return Array.from({ length: n }, (_, f) => {
    const rows = Array.from({ length: 1 + (f % 4) }, (_, r) => {
      const amount = ((f * 7 + r * 13) % 50) + r / 4;
      return `F${f}-${r},C${String(100000 + ((f + r) % 9)).padStart(6, '0')},${amount.toFixed(2)},${1 + r},${statuses[(f + r) % 3]},2026-11-20T${String(8 + (r % 10)).padStart(2, '0')}:00:00Z,${regions[f % 3]}`;
    });
    const path = join(dir, `sales_part_${f}.csv`);
    writeFileSync(path, `order_id,customer_id,amount,quantity,status,order_ts,region\n${rows.join('\n')}\n`);
    return path;
  });
}

/** How many files' partials the gold file was built from (its `source_files` metadata). */
async function sourceFiles(path: string): Promise<number> {
  const meta = await parquetMetadataAsync(await asyncBufferFromFile(path));
  return Number(meta.key_value_metadata?.find((kv) => kv.key === 'source_files')?.value ?? 0);
}

describe('concurrent files into one partition (local runner, real concurrency)', () => {
  it('50 files, 8 at a time, random delays between every step: gold equals the aggregate of silver, every time', { timeout: 240_000 }, async () => {
    for (let round = 0; round < 3; round++) {
      const root = mkdtempSync(join(tmpdir(), 'pipeline-conc-'));
      const files = salesFiles(join(root, 'in', 'sales'), 50);
      const store = jittery(new DirectoryObjectStore(root));
      const gold = join(root, LOCAL_BUCKETS.lake, 'gold/sales/daily_sales_by_region/dt=2026-11-20/part-0.parquet');
      let done = 0;
      const shortfalls: string[] = [];
      const results = await runConcurrently(
        files.map((file) => ({ file, dataset: 'sales' })),
        8,
        async ({ file, dataset }) => {
          const r = await runLocal(file, dataset, {
            config: cfg,
            storeRoot: root,
            store,
            retryWaitMs: 1,
            wrap: (_state, fn) => async (input) => {
              await pause();
              return fn(input);
            },
          });
          // A finished file's rows are in gold from then on: every file finished so far is.
          const finished = ++done;
          const merged = await sourceFiles(gold);
          if (merged < finished) shortfalls.push(`${finished} files finished, gold merged ${merged}`);
          return r;
        },
      );
      expect(shortfalls, `round ${round}`).toEqual([]);
      expect(results.map((r) => r.status)).toEqual(files.map(() => 'succeeded'));
      const lake = join(root, LOCAL_BUCKETS.lake);
      const silver = await silverByPartition(lake, sales);
      expect(Object.keys(silver)).toEqual(['2026-11-20']);
      expect(silver['2026-11-20']).toHaveLength(files.reduce((n, _, f) => n + 1 + (f % 4), 0));
      expect(await goldByPartition(lake, sales), `round ${round}`).toEqual(await referenceGold(lake, sales));
    }
  });

  it('a burst: 30 Publishes that start once every partial is written land one gold write between them, not one each', { timeout: 120_000 }, async () => {
    const root = mkdtempSync(join(tmpdir(), 'pipeline-burst-'));
    const n = 30;
    const files = salesFiles(join(root, 'in', 'sales'), n);
    const landed = new Map<string, number>();
    const base = new DirectoryObjectStore(root);
    const counting: ObjectStore = new Proxy(base, {
      get(target, prop, receiver) {
        const v = Reflect.get(target, prop, receiver);
        if (prop !== 'putFile') return typeof v === 'function' ? v.bind(target) : v;
        return async (...args: Parameters<ObjectStore['putFile']>) => {
          await target.putFile(...args);
          if (args[1].startsWith('gold/')) landed.set(args[1], (landed.get(args[1]) ?? 0) + 1);
        };
      },
    });
    const store = jittery(counting);
    // Every Publish waits for the last Transform: all partials are in place before the first rebuild.
    let arrived = 0;
    let release = () => {};
    const allTransformed = new Promise<void>((r) => (release = r));
    const results = await runConcurrently(
      files.map((file) => ({ file, dataset: 'sales' })),
      n,
      ({ file, dataset }) =>
        runLocal(file, dataset, {
          config: cfg,
          storeRoot: root,
          store,
          retryWaitMs: 1,
          wrap: (state, fn) =>
            state === STATES.publish
              ? async (input) => {
                  if (++arrived === n) release();
                  await allTransformed;
                  return fn(input);
                }
              : fn,
        }),
    );
    expect(results.map((r) => r.status)).toEqual(files.map(() => 'succeeded'));
    const lake = join(root, LOCAL_BUCKETS.lake);
    expect(await goldByPartition(lake, sales)).toEqual(await referenceGold(lake, sales));
    // One landed write per gold object (each Publish used to land its own: 30), built from all 30 partials.
    expect([...landed.values()]).toEqual(sales.gold.map(() => 1));
    for (const key of landed.keys()) {
      expect(await sourceFiles(join(lake, key))).toBe(n);
      expect((await base.head(LOCAL_BUCKETS.lake, key))?.metadata?.[COVERAGE]).toMatch(/^[0-9a-f]{64}$/);
    }
  });
});

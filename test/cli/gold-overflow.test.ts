import { existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TransientError } from '../../lambdas/core/base/errors';
import { parseContract } from '../../lambdas/core/contract/load';
import { DirectoryObjectStore } from '../../lambdas/shared/dir-store';
import { loadConfig, type PipelineConfig } from '../../lib/config';
import { LOCAL_BUCKETS, runLocal } from '../../src/cli/local-run';
import { asyncBufferFromFile, parquetMetadataAsync } from 'hyparquet';
import { readParquetObjects } from '../parquet-read';

/**
 * Gold over integers at the INT64 edges, through the whole local pipeline:
 * exact extremes and group keys (partials store them as digits), and a sum
 * that overflows only once a file joins a partition's other files: that file
 * is quarantined and taken out again, and the partition keeps taking files.
 */

const MAX = 2n ** 63n - 1n;
const MIN = -(2n ** 63n);

const base = loadConfig('config/pipeline.json', 'dev');
const contract = parseContract({
  dataset: 'big',
  version: 1,
  format: { type: 'csv', delimiter: ',', quote: '"', header: true, encoding: 'utf-8' },
  columns: [
    { name: 'id', type: 'string', nullable: false },
    { name: 'n', type: 'integer' },
    { name: 'g', type: 'string' },
  ],
  keys: ['id'],
  gold: [
    {
      name: 'totals',
      groupBy: [],
      measures: [
        { fn: 'sum', column: 'n', as: 'total' },
        { fn: 'min', column: 'n', as: 'lo' },
        { fn: 'max', column: 'n', as: 'hi' },
      ],
    },
    {
      name: 'by_g',
      groupBy: ['g'],
      measures: [
        { fn: 'min', column: 'n', as: 'lo' },
        { fn: 'max', column: 'n', as: 'hi' },
      ],
    },
    { name: 'by_n', groupBy: ['n'], measures: [{ fn: 'count', as: 'rows' }] },
  ],
});
const config: PipelineConfig = { ...base, datasets: [{ ...base.datasets[0], name: 'big', suffixes: ['.csv'], contract, contractFile: 'test' }] };

async function lakeRows(lake: string, layer: string): Promise<Record<string, unknown>[]> {
  const dir = join(lake, layer);
  const out: Record<string, unknown>[] = [];
  for (const dt of readdirSync(dir)) for (const f of readdirSync(join(dir, dt)).sort()) out.push(...(await readParquetObjects(join(dir, dt, f))));
  return out;
}

/** An INT64 as hyparquet reads it (a bigint), or null. */
const int = (v: unknown) => (v === null || v === undefined ? null : BigInt(v as bigint));

function land(root: string, name: string, rows: string[]): string {
  const dir = join(root, 'in', 'big');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, name);
  writeFileSync(file, `id,n,g\n${rows.join('\n')}\n`);
  return file;
}

describe('gold over integers at the INT64 edges (local pipeline)', () => {
  it('min, max and group keys past 2^53 are exact in gold, its statistics and across files', { timeout: 60_000 }, async () => {
    const root = mkdtempSync(join(tmpdir(), 'gold-int64-'));
    const lake = join(root, LOCAL_BUCKETS.lake);
    const run = async (name: string, rows: string[]) => (await runLocal(land(root, name, rows), 'big', { config, storeRoot: root, retryWaitMs: 1 })).status;
    expect(await run('a.csv', [`a,${MAX},x`, 'b,1,y', `c,${MIN},x`])).toBe('succeeded');
    expect(await run('b.csv', ['d,9007199254740993,z', 'e,10000000000000000,z', 'f,9007199254740993,y'])).toBe('succeeded');
    const byG = Object.fromEntries((await lakeRows(lake, 'gold/big/by_g')).map((r) => [r.g, [int(r.lo), int(r.hi)]]));
    expect(byG).toEqual({ x: [MIN, MAX], y: [1n, 9007199254740993n], z: [9007199254740993n, 10000000000000000n] });
    const byN = Object.fromEntries((await lakeRows(lake, 'gold/big/by_n')).map((r) => [String(r.n), Number(r.rows)]));
    expect(byN).toEqual({ [String(MAX)]: 1, '1': 1, [String(MIN)]: 1, '9007199254740993': 2, '10000000000000000': 1 });
    const [t] = await lakeRows(lake, 'gold/big/totals');
    expect([int(t.lo), int(t.hi)]).toEqual([MIN, MAX]);
    // The footer's statistics bound the stored values (a reader skips row groups by them).
    const dir = join(lake, 'gold/big/by_g');
    const file = join(dir, readdirSync(dir)[0], readdirSync(join(dir, readdirSync(dir)[0]))[0]);
    const meta = await parquetMetadataAsync(await asyncBufferFromFile(file));
    const stats = (name: string) => meta.row_groups[0].columns.find((c) => c.meta_data?.path_in_schema[0] === name)!.meta_data!.statistics!;
    expect([int(stats('lo').min_value), int(stats('hi').max_value)]).toEqual([MIN, MAX]);
    // The one-file sums stay exact too: MAX + 1 + MIN + 9007199254740993 + 10^16 + 9007199254740993.
    expect(int(t.total)).toBe(MAX + 1n + MIN + 2n * 9007199254740993n + 10000000000000000n);
  });

  it("a file that overflows a sum only with the partition's other files is quarantined (gold.overflow), leaves silver and gold as they were, and later files still load", {
    timeout: 60_000,
  }, async () => {
    const root = mkdtempSync(join(tmpdir(), 'gold-overflow-'));
    const lake = join(root, LOCAL_BUCKETS.lake);
    const run = (name: string, rows: string[]) => runLocal(land(root, name, rows), 'big', { config, storeRoot: root, retryWaitMs: 1 });
    const ids = async () => (await lakeRows(lake, 'silver/big')).map((r) => r.id).sort();
    const totals = async () => {
      const [t] = await lakeRows(lake, 'gold/big/totals');
      return [int(t.total), int(t.lo), int(t.hi)];
    };

    expect((await run('f1.csv', [`a,${MAX},x`])).status).toBe('succeeded');
    const f2 = await run('f2.csv', ['b,10000000000000000,x']);
    expect(f2.status).toBe('quarantined');
    expect(f2.manifest?.failure?.reason).toBe('gold.overflow');
    expect(f2.manifest?.failure?.message).toMatch(/sum\(n\).*does not fit a 64-bit integer.*dt=/);
    expect(f2.manifest?.outputs.silver).toEqual([]);
    expect(await ids()).toEqual(['a']);
    expect(await totals()).toEqual([MAX, MAX, MAX]);

    // The partition is not blocked: a file that fits loads, and gold covers exactly silver's rows.
    expect((await run('f3.csv', ['c,-5,y'])).status).toBe('succeeded');
    expect(await ids()).toEqual(['a', 'c']);
    expect(await totals()).toEqual([MAX - 5n, -5n, MAX]);

    // A file whose own sum overflows is bad data too (quarantined, not a pipeline fault).
    const f4 = await run('f4.csv', [`d,${MAX},x`, 'e,1,x']);
    expect(f4.status).toBe('quarantined');
    expect(f4.manifest?.failure?.reason).toBe('gold.overflow');
    expect(await ids()).toEqual(['a', 'c']);
  });
});

/** A local store that can fail a chosen operation, and which stage is running (for faults inside one stage). */
class FaultyStore extends DirectoryObjectStore {
  fault: (op: string, key: string) => void = () => {};
  override async delete(b: string, k: string) {
    this.fault('delete', k);
    return super.delete(b, k);
  }
  override async putText(...args: Parameters<DirectoryObjectStore['putText']>) {
    this.fault('putText', args[1]);
    return super.putText(...args);
  }
}

describe('taking an overflowing file out again, with faults and other files (local pipeline)', () => {
  function setup() {
    const root = mkdtempSync(join(tmpdir(), 'gold-withdraw-'));
    const lake = join(root, LOCAL_BUCKETS.lake);
    const store = new FaultyStore(root);
    let stage = '';
    const run = (name: string, rows: string[]) =>
      runLocal(land(root, name, rows), 'big', {
        config,
        storeRoot: root,
        retryWaitMs: 1,
        store,
        wrap: (state, fn) => async (input) => {
          stage = state;
          try {
            return await fn(input);
          } finally {
            stage = '';
          }
        },
      });
    const ids = async () => (existsSync(join(lake, 'silver/big')) ? (await lakeRows(lake, 'silver/big')).map((r) => r.id).sort() : []);
    const total = async () => int((await lakeRows(lake, 'gold/big/totals'))[0]?.total);
    return { store, run, ids, total, stage: () => stage };
  }

  for (const [name, when] of [
    ['a silver delete', (op: string, k: string) => op === 'delete' && k.startsWith('silver/')],
    // (Gold needs no write there: it was built from the partials left, so the rebuild skips it.)
    ['the outputs record written after the deletes', (op: string, k: string) => op === 'putText' && k.startsWith('_partials/outputs/')],
  ] as const) {
    it(`a transient fault at ${name} while Publish takes the rows out: the retry finishes it, never reports success`, { timeout: 60_000 }, async () => {
      const s = setup();
      expect((await s.run('f1.csv', [`a,${MAX},x`])).status).toBe('succeeded');
      let armed = false;
      let fired = false;
      s.store.fault = (op, k) => {
        if (s.stage() !== 'Publish') return;
        if (op === 'delete' && k.startsWith('_partials/gold/')) armed = true;
        if (!fired && (armed || name === 'a silver delete') && when(op, k)) {
          fired = true;
          throw new TransientError(`simulated S3 fault (${op} ${k})`);
        }
      };
      const f2 = await s.run('f2.csv', ['b,10,x']);
      s.store.fault = () => {};
      expect(fired).toBe(true);
      expect([f2.status, f2.manifest?.failure?.reason]).toEqual(['quarantined', 'gold.overflow']);
      expect(await s.ids()).toEqual(['a']);
      expect(await s.total()).toBe(MAX);
      expect((await s.run('f3.csv', ['c,-5,y'])).status).toBe('succeeded');
      expect(await s.ids()).toEqual(['a', 'c']);
      expect(await s.total()).toBe(MAX - 5n);
    });
  }

  it('a file that fits is not taken out while another file overflows the partition: it fails (retry later), and the one to blame is quarantined when replayed', {
    timeout: 120_000,
  }, async () => {
    const s = setup();
    expect((await s.run('f1.csv', [`a,${MAX},x`])).status).toBe('succeeded');
    // X's Transform writes its rows and partial, then keeps failing: a pipeline fault, X stays in silver.
    s.store.fault = (op, k) => {
      if (s.stage() === 'Transform' && op === 'delete' && k.includes('quarantine')) throw new TransientError('simulated S3 fault after the partials');
    };
    expect((await s.run('x.csv', ['x,10,x'])).status).toBe('failed');
    s.store.fault = () => {};
    const z = await s.run('z.csv', ['z,-5,y']);
    expect(z.status).toBe('failed');
    expect(z.manifest?.failure?.message).toMatch(/overflows without this file's rows too/);
    expect(await s.ids()).toEqual(['a', 'x', 'z']);
    // Replaying X: its rows tip the sum over, so X is taken out; Z's rows are in gold from then on.
    const x = await s.run('x.csv', ['x,10,x']);
    expect([x.status, x.manifest?.failure?.reason]).toEqual(['quarantined', 'gold.overflow']);
    expect(await s.ids()).toEqual(['a', 'z']);
    expect(await s.total()).toBe(MAX - 5n);
  });
});

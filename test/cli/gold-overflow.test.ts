import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { describe, expect, it, vi } from 'vitest';
import { TransientError } from '../../lambdas/core/base/errors';
import { parseContract } from '../../lambdas/core/contract/load';
import { DirectoryObjectStore } from '../../lambdas/shared/dir-store';
import { loadConfig, type PipelineConfig } from '../../lib/config';
import { LOCAL_BUCKETS, runLocal } from '../../src/cli/local-run';
import { asyncBufferFromFile, parquetMetadataAsync } from 'hyparquet';
import { readParquetObjects } from '../parquet-read';

/**
 * Gold over integers at the INT64 edges, through the whole local pipeline:
 * exact extremes and group keys (partials store them as digits), and sums
 * past their type: a file's own quarantines it; one reached only over several
 * files is null in gold (no one file is to blame) and said in the manifest.
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

/** A local store whose first manifest write fails (after Publish wrote gold): Publish is retried. */
class ManifestFaultOnce extends DirectoryObjectStore {
  failed = false;
  override async putText(...args: Parameters<DirectoryObjectStore['putText']>) {
    if (!this.failed && args[1].startsWith('manifests/')) {
      this.failed = true;
      throw new TransientError('simulated S3 fault on the manifest write');
    }
    return super.putText(...args);
  }
}

/** The first manifest write fails for good (not retried): Publish ends in the Catch, after its gold write landed. */
class ManifestFailsOnce extends DirectoryObjectStore {
  failed = false;
  override async putText(...args: Parameters<DirectoryObjectStore['putText']>) {
    if (!this.failed && args[1].startsWith('manifests/')) {
      this.failed = true;
      throw new Error('simulated permanent fault on the manifest write');
    }
    return super.putText(...args);
  }
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

  it("a sum that overflows only over several files is null in gold and said in the manifest's warnings; nothing is taken out or blocked", {
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
    const WARNING = 'gold.overflow(totals.total)';
    // Each Publish's GoldNullSums metric (what the <d>-gold-sums-null alarm watches), in run order.
    const added = vi.spyOn(Metrics.prototype, 'addMetric');
    const nullSums = () => added.mock.calls.filter((c) => c[0] === 'GoldNullSums').map((c) => c[2]);

    const f1 = await run('f1.csv', [`a,${MAX},x`]);
    expect(f1.status).toBe('succeeded');
    expect(f1.manifest?.warnings[WARNING]).toBeUndefined();
    const f2 = await run('f2.csv', ['b,10,x']);
    expect(f2.status).toBe('succeeded');
    expect(f2.manifest?.warnings[WARNING]).toBe(1);
    expect(await ids()).toEqual(['a', 'b']);
    expect(await totals()).toEqual([null, 10n, MAX]);
    // Later files into the partition load as usual; the sum stays null while it is past its type.
    const f3 = await run('f3.csv', ['c,-5,y']);
    expect(f3.status).toBe('succeeded');
    expect(f3.manifest?.warnings[WARNING]).toBe(1);
    expect(await totals()).toEqual([null, -5n, MAX]);
    // A corrected re-upload of f2 brings it back within range: exact again, no warning.
    const again = await run('f2.csv', ['b,-20,x']);
    expect(again.manifest?.warnings[WARNING]).toBeUndefined();
    expect(await ids()).toEqual(['a', 'b', 'c']);
    expect(await totals()).toEqual([MAX - 25n, -20n, MAX]);
    expect(nullSums()).toEqual([0, 1, 1, 0]);
    added.mockRestore();

    // A Publish retried after its gold write landed finds gold current and still says so.
    const store = new ManifestFaultOnce(root);
    const retried = await runLocal(land(root, 'f5.csv', ['f,3,z']), 'big', { config, storeRoot: root, retryWaitMs: 1, store });
    expect(store.failed).toBe(true);
    expect([retried.status, retried.manifest?.warnings[WARNING]]).toEqual(['succeeded', undefined]);
    const up = await runLocal(land(root, 'f6.csv', [`g,${MAX},z`]), 'big', { config, storeRoot: root, retryWaitMs: 1 });
    expect(up.manifest?.warnings[WARNING]).toBe(1);
    const store2 = new ManifestFaultOnce(root);
    const again2 = await runLocal(land(root, 'f7.csv', ['h,1,z']), 'big', { config, storeRoot: root, retryWaitMs: 1, store: store2 });
    expect(store2.failed).toBe(true);
    expect([again2.status, again2.manifest?.warnings[WARNING]]).toEqual(['succeeded', 1]);

    // A file whose own sum overflows is bad data: quarantined (not a pipeline fault), nothing loaded.
    const f4 = await run('f4.csv', [`d,${MAX},x`, 'e,1,x']);
    expect(f4.status).toBe('quarantined');
    expect(f4.manifest?.failure?.reason).toBe('gold.overflow');
    expect(await ids()).toEqual(['a', 'b', 'c', 'f', 'g', 'h']);
  });

  it('a file that fails after its silver landed: Quarantine brings gold up to date, and a sum it leaves null is counted and said as in Publish', {
    timeout: 60_000,
  }, async () => {
    const root = mkdtempSync(join(tmpdir(), 'gold-catch-up-'));
    const lake = join(root, LOCAL_BUCKETS.lake);
    const added = vi.spyOn(Metrics.prototype, 'addMetric');
    const nullSums = () => added.mock.calls.filter((c) => c[0] === 'GoldNullSums').map((c) => c[2]);
    try {
      expect((await runLocal(land(root, 'f1.csv', [`a,${MAX},x`]), 'big', { config, storeRoot: root, retryWaitMs: 1 })).status).toBe('succeeded');
      const store = new ManifestFailsOnce(root);
      const f2 = await runLocal(land(root, 'f2.csv', ['b,10,x']), 'big', { config, storeRoot: root, retryWaitMs: 1, store });
      expect(store.failed).toBe(true);
      expect(f2.status).toBe('failed');
      expect(f2.manifest?.warnings['gold.overflow(totals.total)']).toBe(1);
      const [t] = await lakeRows(lake, 'gold/big/totals');
      expect([t.total, int(t.hi)]).toEqual([null, MAX]);
      // f1's Publish said 0; f2's Publish failed before its metrics, so Quarantine's catch-up says 1.
      expect(nullSums()).toEqual([0, 1]);
    } finally {
      added.mockRestore();
    }
  });
});

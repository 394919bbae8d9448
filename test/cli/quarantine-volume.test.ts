import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseContract } from '../../lambdas/core/contract/load';
import { loadConfig, type PipelineConfig } from '../../lib/config';
import { LOCAL_BUCKETS, runLocal } from '../../src/cli/local-run';

/**
 * A file whose quarantine rows pass limits.maxQuarantineBytes, through the
 * real handlers: quarantined as quality.reject_volume (data, never a pipeline
 * fault), with the rows written so far in the lake when there are any, and no
 * row file named when there are none.
 */

const base = loadConfig('config/pipeline.json', 'dev');
const contract = parseContract({
  dataset: 'vol',
  version: 1,
  format: { type: 'csv' },
  columns: [
    { name: 'id', type: 'string', nullable: false },
    { name: 'n', type: 'integer' },
  ],
  keys: ['id'],
  keepDuplicates: true,
  fileRules: { minRows: 0, maxRejectRatio: 1 },
  limits: { maxQuarantineBytes: 20_000 },
});
const config: PipelineConfig = { ...base, datasets: [{ ...base.datasets[0], name: 'vol', suffixes: ['.csv'], contract, contractFile: 'test' }] };

async function load(name: string, body: string, root = mkdtempSync(join(tmpdir(), 'qvol-'))) {
  mkdirSync(join(root, 'in'), { recursive: true });
  const file = join(root, 'in', name);
  writeFileSync(file, `id,n\n${body}\n`);
  const r = await runLocal(file, 'vol', { config, storeRoot: root, retryWaitMs: 1 });
  const rowsKey = r.manifest?.outputs.quarantineRows;
  const rows = rowsKey
    ? readFileSync(join(root, LOCAL_BUCKETS.lake, rowsKey), 'utf8')
        .trim()
        .split('\n')
    : undefined;
  return { status: r.status, reason: r.manifest?.failure?.reason, rows, counts: r.manifest?.counts };
}

const copies = (n: number) => Array.from({ length: n }, () => 'k1,5').join('\n');

describe('quarantine rows past limits.maxQuarantineBytes (local pipeline)', () => {
  it('rejected rows in the buffer when kept duplicates pass the budget: quarantined with those rows', { timeout: 60_000 }, async () => {
    const r = await load('dups.csv', `k0,bad\n${copies(3000)}`);
    expect([r.status, r.reason]).toEqual(['quarantined', 'quality.reject_volume']);
    expect(r.rows?.map((l) => JSON.parse(l)._rule)).toEqual(['type(n)']);
  });

  it("no rejected row at all: quarantined, no row file named, and an earlier run's row file for the key removed", { timeout: 60_000 }, async () => {
    const root = mkdtempSync(join(tmpdir(), 'qvol-'));
    const rowsDir = join(root, LOCAL_BUCKETS.lake, 'quarantine', 'vol', 'rows');
    const files = () => (existsSync(rowsDir) ? readdirSync(rowsDir, { recursive: true }).filter((f) => String(f).endsWith('.jsonl')) : []);
    expect((await load('k.csv', `k0,bad\n${copies(3000)}`, root)).rows).toHaveLength(1);
    expect(files()).toHaveLength(1);
    const r = await load('k.csv', copies(3000), root);
    expect([r.status, r.reason, r.rows]).toEqual(['quarantined', 'quality.reject_volume', undefined]);
    expect(r.counts?.rowsQuarantined).toBe(0);
    expect(files()).toEqual([]);
  });

  it('a budget smaller than one write block: the rows that fit, whole lines', { timeout: 60_000 }, async () => {
    const r = await load('bad.csv', Array.from({ length: 2000 }, (_, i) => `k${i},x`).join('\n'));
    expect([r.status, r.reason]).toEqual(['quarantined', 'quality.reject_volume']);
    expect(r.rows!.length).toBeGreaterThan(50);
    expect(r.rows!.join('\n').length).toBeLessThanOrEqual(20_000);
    expect(r.rows!.every((l) => JSON.parse(l)._rule === 'type(n)')).toBe(true);
  });
});

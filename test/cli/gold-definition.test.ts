import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ContractInput } from '../../lambdas/core/contract/contract';
import { parseContract } from '../../lambdas/core/contract/load';
import { loadConfig, type PipelineConfig } from '../../lib/config';
import { LOCAL_BUCKETS, runLocal } from '../../src/cli/local-run';
import { readParquetObjects } from '../parquet-read';

/**
 * A contract whose gold changes between files of one partition: a partial is
 * read by position, so one written under the old definition (a measure since
 * inserted before another, a decimal column's scale since changed) must not be
 * merged as if it were the new one. It is left out and said; replaying the
 * old files aggregates them again under the new definition.
 */

const base = loadConfig('config/pipeline.json', 'dev');

function config(version: number, amount: string, measures: NonNullable<ContractInput['gold']>[number]['measures']): PipelineConfig {
  const contract = parseContract({
    dataset: 'g',
    version,
    format: { type: 'csv', delimiter: ',', quote: '"', header: true, encoding: 'utf-8' },
    columns: [
      { name: 'id', type: 'string', nullable: false },
      { name: 'amt', type: amount },
    ],
    keys: ['id'],
    gold: [{ name: 'totals', groupBy: [], measures }],
  });
  return { ...base, datasets: [{ ...base.datasets[0], name: 'g', suffixes: ['.csv'], contract, contractFile: 'test' }] };
}

function land(root: string, name: string, rows: string[]): string {
  const dir = join(root, 'in', 'g');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, name);
  writeFileSync(file, `id,amt\n${rows.join('\n')}\n`);
  return file;
}

async function gold(root: string): Promise<Record<string, unknown>> {
  const dir = join(root, LOCAL_BUCKETS.lake, 'gold/g/totals');
  const [dt] = readdirSync(dir);
  const [file] = readdirSync(join(dir, dt));
  const [row] = await readParquetObjects(join(dir, dt, file));
  const { _updated_at, ...rest } = row;
  return rest;
}

describe('gold across a change of its definition (local pipeline)', () => {
  it('partials of another definition are left out and said, never read by position; a replay brings them back', { timeout: 60_000 }, async () => {
    const root = mkdtempSync(join(tmpdir(), 'gold-definition-'));
    const run = (cfg: PipelineConfig, file: string) => runLocal(file, 'g', { config: cfg, storeRoot: root, retryWaitMs: 1 });
    const v1 = config(1, 'decimal(10,2)', [
      { fn: 'count', as: 'c' },
      { fn: 'sum', column: 'amt', as: 'total' },
    ]);
    // v2 inserts a measure before the sum and widens the scale: v1's partial read by position would
    // give min = v1's sum and total = nothing, and 1.50 would read as 0.150.
    const v2 = config(2, 'decimal(12,3)', [
      { fn: 'count', as: 'c' },
      { fn: 'min', column: 'amt', as: 'lo' },
      { fn: 'sum', column: 'amt', as: 'total' },
    ]);
    const a = land(root, 'a.csv', ['a1,1.50', 'a2,2.00']);
    expect((await run(v1, a)).status).toBe('succeeded');
    expect(await gold(root)).toEqual({ c: 2n, total: 3.5 });

    const b = await run(v2, land(root, 'b.csv', ['b1,0.250']));
    expect(b.status).toBe('succeeded');
    // Gold holds b alone (a is left out, not misread), and b's manifest says so.
    expect(await gold(root)).toEqual({ c: 1n, lo: 0.25, total: 0.25 });
    expect(b.manifest?.warnings['gold.definition_changed(totals)']).toBe(1);

    // Replaying a under v2 aggregates it again: gold is the aggregate of silver, no warning.
    const again = await run(v2, a);
    expect(again.status).toBe('succeeded');
    expect(again.manifest?.warnings['gold.definition_changed(totals)']).toBeUndefined();
    expect(await gold(root)).toEqual({ c: 3n, lo: 0.25, total: 3.75 });
  });
});

describe("an aggregate's shape (what its partials mean)", () => {
  it('follows the contract text of that aggregate alone: not its position among others, and every filter, column and type', async () => {
    const { goldView } = await import('../../lambdas/core/gold/view');
    const { Aggregator } = await import('../../lambdas/core/gold/gold');
    const columns: ContractInput['columns'] = [
      { name: 'a', type: 'integer' },
      { name: 'b', type: 'integer' },
      { name: 'x', type: 'integer' },
      { name: 'd', type: 'date' },
    ];
    const t = { name: 't', groupBy: ['year(d)'], measures: [{ fn: 'sum' as const, column: 'a', where: 'x > 0', as: 's' }] };
    const shape = (gold: NonNullable<ContractInput['gold']>, cols = columns) => {
      const c = goldView(parseContract({ dataset: 'g', version: 1, columns: cols, gold })).contract;
      return new Aggregator(c.gold.find((g) => g.name === 't')!, c).shape;
    };
    const base = shape([t]);
    expect(shape([{ name: 'u', measures: [{ fn: 'count', as: 'n', where: 'x > 5' }] }, t])).toBe(base);
    expect(shape([{ ...t, measures: [{ ...t.measures[0], where: 'x > 100' }] }])).not.toBe(base);
    expect(shape([{ ...t, measures: [{ ...t.measures[0], column: 'b' }] }])).not.toBe(base);
    expect(shape([{ ...t, groupBy: ['month(d)'] }])).not.toBe(base);
    expect(shape([t], [{ ...columns[0], type: 'decimal(18,0)' }, ...columns.slice(1)])).not.toBe(base);
  });
});

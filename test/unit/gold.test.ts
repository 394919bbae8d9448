import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readParquetObjects } from '../parquet-read';
import { describe, expect, it } from 'vitest';
import { parseContract } from '../../lambdas/core/contract/load';
import { Aggregator } from '../../lambdas/core/gold/gold';
import { writeParquetFile } from '../../lambdas/core/parquet/writer';
import type { Typed } from '../../lambdas/core/typing/values';
import { main } from '../../src/cli/main';

const contract = parseContract({
  dataset: 'g',
  version: 1,
  columns: [
    { name: 'region', type: 'string' },
    { name: 'amount', type: 'decimal(10,2)' },
    { name: 'qty', type: 'integer' },
    { name: 'customer', type: 'string' },
  ],
  gold: [
    {
      name: 'by_region',
      groupBy: ['region'],
      measures: [
        { fn: 'count', as: 'n' },
        { fn: 'count', column: 'amount', as: 'n_amount' },
        { fn: 'sum', column: 'amount', as: 'revenue' },
        { fn: 'avg', column: 'amount', as: 'avg_amount' },
        { fn: 'min', column: 'qty', as: 'min_qty' },
        { fn: 'max', column: 'amount', as: 'max_amount' },
        { fn: 'count_distinct', column: 'customer', as: 'customers' },
      ],
    },
  ],
});

const rowsA: Typed[][] = [
  ['EU', 1000n, 2, 'c1'],
  ['EU', 250n, 1, 'c2'],
  ['US', null, 5, 'c1'],
];
const rowsB: Typed[][] = [
  ['EU', 5n, 7, 'c1'],
  [null, 100n, 1, 'c9'],
];

describe('gold aggregates', () => {
  it('computes count, sum (exact decimals), avg, min, max and count_distinct per group', () => {
    const a = new Aggregator(contract.gold[0], contract);
    [...rowsA, ...rowsB].forEach((r) => a.addRow(r));
    expect(a.rows()).toEqual(
      [
        ['EU', 3, 3, 1255, 1255 / 100 / 3, 1, 1000, 2, null],
        ['US', 1, 0, null, null, 5, null, 1, null],
        [null, 1, 1, 100, 1, 1, 100, 1, null],
      ].sort((x, y) => (JSON.stringify([x[0]]) < JSON.stringify([y[0]]) ? -1 : 1)),
    );
    expect(a.columns.map((c) => `${c.name}:${c.type}`)).toEqual([
      'region:string',
      'n:integer',
      'n_amount:integer',
      'revenue:decimal(38,2)',
      'avg_amount:double',
      'min_qty:integer',
      'max_amount:decimal(10,2)',
      'customers:integer',
      '_updated_at:timestamp',
    ]);
  });

  it('merging per-file partials (through JSON) equals aggregating all rows at once', () => {
    const whole = new Aggregator(contract.gold[0], contract);
    [...rowsA, ...rowsB].forEach((r) => whole.addRow(r));
    const pa = new Aggregator(contract.gold[0], contract);
    rowsA.forEach((r) => pa.addRow(r));
    const pb = new Aggregator(contract.gold[0], contract);
    rowsB.forEach((r) => pb.addRow(r));
    const merged = new Aggregator(contract.gold[0], contract);
    merged.merge(JSON.parse(JSON.stringify(pb.toPartial())));
    merged.merge(JSON.parse(JSON.stringify(pa.toPartial())));
    expect(merged.rows()).toEqual(whole.rows());
  });

  it('decimal sums stay exact past 2^53, and the row array may be reused by the caller', () => {
    const a = new Aggregator(contract.gold[0], contract);
    const row: Typed[] = ['EU', 0n, 1, 'c'];
    const big = 2n ** 52n + 1n;
    for (const v of [big, big, big, 3n]) {
      row[1] = v;
      a.addRow(row);
      row[0] = 'clobbered';
      row[0] = 'EU';
    }
    row[1] = -5n;
    row[0] = 'US';
    a.addRow(row);
    const eu = a.rows().find((r) => r[0] === 'EU')!;
    expect(eu[3]).toBe(3n * big + 3n);
    const merged = new Aggregator(contract.gold[0], contract);
    merged.merge(JSON.parse(JSON.stringify(a.toPartial())));
    merged.merge(JSON.parse(JSON.stringify(a.toPartial())));
    expect(merged.rows().find((r) => r[0] === 'EU')![3]).toBe(6n * big + 6n);
    expect(a.rows().map((r) => r[0])).toEqual(['EU', 'US']);
  });

  it('writes a readable Parquet file', async () => {
    const a = new Aggregator(contract.gold[0], contract);
    rowsA.forEach((r) => a.addRow(r));
    const path = join(mkdtempSync(join(tmpdir(), 'gold-')), 'g.parquet');
    writeParquetFile(path, a.columns, a.rows());
    const back = await readParquetObjects(path);
    expect(back.map((r) => [r.region, r.n, Number(r.revenue)])).toEqual([
      ['EU', 2n, 12.5],
      ['US', 1n, 0],
    ]);
  });

  it('the pipeline builds gold per partition from every file in it (sales sample)', async () => {
    const root = mkdtempSync(join(tmpdir(), 'gold-e2e-'));
    const logs: string[] = [];
    expect(await main(['run', 'samples/sales/sales_bad_rows.csv', '--store', root], { log: (s) => logs.push(s), err: () => {} })).toBe(0);
    const day = join(root, 'lake-bucket/gold/sales/daily_sales_by_region/dt=2026-11-21/part-0.parquet');
    const rows = await readParquetObjects(day);
    expect(rows.map((r) => [r.region, r.status, r.lines, Number(r.revenue), r.customers])).toEqual([
      ['APAC', 'shipped', 1n, 12.25, 1n],
      ['EU', 'new', 1n, 3.75, 1n],
    ]);
    // A second file in the same partition is merged in, the first is not counted twice.
    const { writeFileSync, mkdirSync } = await import('node:fs');
    mkdirSync(join(root, 'in/sales'), { recursive: true });
    writeFileSync(join(root, 'in/sales/more.csv'), readFileSync('samples/sales/sales_bad_rows.csv', 'utf8').replace(/S-/g, 'T-'));
    expect(await main(['run', join(root, 'in/sales/more.csv'), '--store', root], { log: () => {}, err: () => {} })).toBe(0);
    expect(await main(['run', 'samples/sales/sales_bad_rows.csv', '--store', root], { log: () => {}, err: () => {} })).toBe(0);
    const again = await readParquetObjects(day);
    expect(again.map((r) => [r.region, r.status, r.lines, Number(r.revenue)])).toEqual([
      ['APAC', 'shipped', 2n, 24.5],
      ['EU', 'new', 2n, 7.5],
    ]);
  });
});

import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readParquetObjects } from '../parquet-read';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseContract } from '../../lambdas/core/contract/load';
import { runStage } from '../../lambdas/core/engine/stage';
import type { StageResult } from '../../lambdas/core/engine/stage-io';

// The disk-backed pre-pass and the in-memory table must keep exactly the same rows.
const base = {
  dataset: 'd',
  version: 1,
  columns: [
    { name: 'id', type: 'integer' },
    { name: 'region', type: 'string' },
    { name: 'amount', type: 'decimal(8,2)' },
  ],
  keys: ['id', 'region'],
  rules: [{ rule: 'min', column: 'amount', value: 0 }],
  fileRules: { minRows: 0, maxRejectRatio: 1 },
};
const contract = parseContract(base, 'c.json');

async function* chunks(bytes: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.slice(i, i + size);
}

async function run(csv: string, prepass: boolean, c = contract): Promise<{ r: StageResult; rows: unknown[] }> {
  const bytes = new TextEncoder().encode(csv);
  const workDir = mkdtempSync(join(tmpdir(), 'dedupe-'));
  const r = await runStage({
    contract: c,
    source: chunks(bytes, 13),
    reopen: async () => chunks(bytes, 29),
    sizeBytes: bytes.length,
    inMemoryDedupeRows: prepass ? 0 : Infinity,
    dataset: 'd',
    key: 'landing/d/f.csv',
    ingestDate: '2026-11-22',
    workDir,
    fileId: 'f',
  });
  const rows: unknown[] = [];
  for (const f of r.silver) rows.push(...(await readParquetObjects(f.path)));
  return { r, rows };
}

describe('dedupe', () => {
  it('pre-pass: the first valid row of a key wins, typed keys compare by value, rejects do not claim a key', async () => {
    const csv = [
      'id,region,amount',
      '7,EU,1.00',
      '007,EU,2.00',
      '8,EU,-1.00',
      '8,EU,3.00',
      '8,US,4.00',
      ',EU,5.00',
      ',EU,6.00',
      '9,EU',
      '9,EU,7.00',
      '7,EU,8.00',
    ].join('\n');
    const { r, rows } = await run(csv, true);
    expect(r.counts).toMatchObject({ rowsIn: 10, rowsQuarantined: 2, rowsDeduplicated: 3, rowsOut: 5 });
    expect(rows.map((x) => (x as { amount: number }).amount)).toEqual([1, 3, 4, 5, 7]);
    expect(readFileSync(r.quarantinePath!, 'utf8')).toContain('"_rule":"min(amount)"');
  });

  it('pre-pass: finds a key column under its old name (evolution renames) and in files without a header', async () => {
    const renamed = parseContract({ ...base, evolution: { renames: { legacy_id: 'id' } } }, 'c.json');
    const old = await run('legacy_id,region,amount\n1,EU,1.00\n1,EU,2.00\n2,EU,3.00', true, renamed);
    expect(old.r.counts).toMatchObject({ rowsOut: 2, rowsDeduplicated: 1 });
    const headerless = parseContract({ ...base, format: { type: 'csv', header: false } }, 'c.json');
    const bare = await run('1,EU,1.00\n1,EU,2.00\n1,US,3.00', true, headerless);
    expect(bare.r.counts).toMatchObject({ rowsIn: 3, rowsOut: 2, rowsDeduplicated: 1 });
  });

  it('pre-pass and in-memory agree on random files (property)', async () => {
    const line = fc.tuple(fc.integer({ min: 0, max: 30 }), fc.constantFrom('EU', 'US', ''), fc.integer({ min: -5, max: 50 }), fc.boolean());
    await fc.assert(
      fc.asyncProperty(fc.array(line, { maxLength: 80 }), async (lines) => {
        const csv = ['id,region,amount', ...lines.map(([id, reg, amt, pad]) => `${pad ? '0' : ''}${id},${reg},${amt}.00`)].join('\n');
        const a = await run(csv, true);
        const b = await run(csv, false);
        expect(a.r.counts).toEqual(b.r.counts);
        expect(a.rows).toEqual(b.rows);
      }),
      { numRuns: 40 },
    );
  });

  it('in memory, rows are deduplicated in batches (of 512): repeats within and across batches, rejects between, the last partial batch, all as one row at a time would', async () => {
    // A reference: the first valid row of each (id, region) wins, in file order.
    const lines: string[] = [];
    const want: number[] = [];
    const seen = new Set<string>();
    let x = 0;
    for (let i = 0; i < 5000; i++) {
      const id = i % 3 === 0 ? i % 700 : i; // repeats a few rows apart and thousands of rows apart
      const region = i % 5 === 0 ? 'US' : 'EU';
      const amount = i % 11 === 0 ? -1 : (x = (x + 7) % 1000); // rejected rows claim no key
      lines.push(`${id},${region},${amount}.00`);
      if (amount >= 0 && !seen.has(`${id}|${region}`)) {
        seen.add(`${id}|${region}`);
        want.push(amount);
      }
    }
    const { r, rows } = await run(['id,region,amount', ...lines].join('\n'), false);
    expect(r.counts).toMatchObject({
      rowsIn: 5000,
      rowsQuarantined: Math.ceil(5000 / 11),
      rowsOut: want.length,
      rowsDeduplicated: 5000 - Math.ceil(5000 / 11) - want.length,
    });
    expect(rows.map((o) => (o as { amount: number }).amount)).toEqual(want);
    const pre = await run(['id,region,amount', ...lines].join('\n'), true);
    expect(pre.rows).toEqual(rows);
  });

  it('batched rows reach every partition in file order: 400 days in random order, each file as a reference computes it, in-memory and pre-pass alike', async () => {
    const byDay = parseContract(
      {
        ...base,
        columns: [...base.columns, { name: 'day', type: 'date' }],
        partitionBy: 'day',
        gold: [
          {
            name: 'per_region',
            groupBy: ['region'],
            measures: [
              { fn: 'count', as: 'n' },
              { fn: 'sum', column: 'amount', as: 'total' },
            ],
          },
        ],
      },
      'c.json',
    );
    let x = 12345;
    const rnd = () => (x = (Math.imul(x, 1103515245) + 12345) >>> 0) / 4294967296;
    const lines = ['id,region,amount,day'];
    // The reference: per day, the amounts of the rows kept (first of each key), in file order.
    const want = new Map<string, number[]>();
    const keys = new Set<string>();
    for (let i = 0; i < 6000; i++) {
      const day = new Date(Date.UTC(2025, 0, 1) + Math.floor(rnd() * 400) * 86400000).toISOString().slice(0, 10);
      const [id, region, amount] = [i % 10 === 0 ? i - 7 : i, rnd() < 0.5 ? 'EU' : 'US', Math.floor(rnd() * 100)];
      lines.push(`${id},${region},${amount}.00,${day}`);
      if (!keys.has(`${id}|${region}`)) {
        keys.add(`${id}|${region}`);
        want.set(day, [...(want.get(day) ?? []), amount]);
      }
    }
    const csv = lines.join('\n');
    const batched = await run(csv, false, byDay);
    const rowByRow = await run(csv, true, byDay);
    expect(batched.r.counts).toEqual(rowByRow.r.counts);
    expect(batched.r.silver.map((f) => [f.partition, f.rows])).toEqual(rowByRow.r.silver.map((f) => [f.partition, f.rows]));
    expect(batched.r.silver.length).toBeGreaterThan(390);
    for (let i = 0; i < batched.r.silver.length; i++) {
      const a = await readParquetObjects(batched.r.silver[i].path);
      expect(a.map((o) => (o as { amount: number }).amount)).toEqual(want.get(batched.r.silver[i].partition));
      const b = await readParquetObjects(rowByRow.r.silver[i].path);
      expect(a).toEqual(b);
    }
    expect(JSON.stringify([...batched.r.partials])).toBe(JSON.stringify([...rowByRow.r.partials]));
  });
});

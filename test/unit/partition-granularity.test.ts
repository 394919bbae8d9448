import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseContract } from '../../lambdas/core/contract/load';
import { runStage } from '../../lambdas/core/engine/stage';

async function* once(text: string): AsyncGenerator<Uint8Array> {
  yield new TextEncoder().encode(text);
}

async function partitions(
  granularity: 'hour' | 'day' | 'month' | 'year',
  type: 'date' | 'timestamp',
  values: string[],
  format?: string,
  maxPartitions?: number,
) {
  const contract = parseContract({
    dataset: 'd',
    version: 1,
    columns: [
      { name: 'at', type, format },
      { name: 'n', type: 'integer' },
    ],
    partitionBy: 'at',
    partitionGranularity: granularity,
    limits: maxPartitions === undefined ? {} : { maxPartitions },
    fileRules: { minRows: 0, maxRejectRatio: 1 },
    gold: [{ name: 'g', measures: [{ fn: 'count', as: 'rows' }] }],
  });
  const text = `at,n\n${values.map((v, i) => `${v},${i}`).join('\n')}\n`;
  const r = await runStage({
    contract,
    source: once(text),
    dataset: 'd',
    key: 'landing/d/f.csv',
    ingestDate: '2026-11-22',
    workDir: mkdtempSync(join(tmpdir(), 'gran-')),
    fileId: 'f',
  });
  const rows = Object.fromEntries(r.silver.map((s) => [s.partition, s.rows]));
  return { rows, gold: [...r.partials.keys()].sort(), reasons: r.reasons };
}

describe('partitionGranularity', () => {
  it('names partitions by hour, day, month or year; a null value goes to the ingest date at that size', async () => {
    const ts = ['2026-11-20T10:15:00Z', '2026-11-20T10:59:59Z', '2026-11-20T11:00:00Z', '2026-12-31T23:00:00Z', ''];
    expect((await partitions('hour', 'timestamp', ts)).rows).toEqual({ '2026-11-20T10': 2, '2026-11-20T11': 1, '2026-12-31T23': 1, '2026-11-22T00': 1 });
    expect((await partitions('month', 'timestamp', ts)).rows).toEqual({ '2026-11': 4, '2026-12': 1 });
    const { rows, gold } = await partitions('year', 'date', ['1998-06-12', '1998-01-01', '2000-02-29', '1969-12-31']);
    expect(rows).toEqual({ 1998: 2, 2000: 1, 1969: 1 });
    expect(gold).toEqual(['1969', '1998', '2000']);
    // limits.maxPartitions counts partitions: 40 days of one month, 400 days of one year, are one.
    const days = (n: number, from: string) => Array.from({ length: n }, (_, i) => new Date(Date.parse(from) + i * 86400000).toISOString().slice(0, 10));
    expect((await partitions('year', 'date', days(360, '2024-01-01'), undefined, 1)).rows).toEqual({ 2024: 360 });
    expect((await partitions('month', 'date', days(31, '2024-01-01'), undefined, 1)).rows).toEqual({ '2024-01': 31 });
    await expect(partitions('month', 'date', days(32, '2024-01-01'), undefined, 1)).rejects.toThrow(/more than 1 at partitions/);
  });

  it('every row lands in the partition whose name is the prefix of its ISO value (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: Date.UTC(1900, 0, 1), max: Date.UTC(2100, 0, 1) }), { minLength: 1, maxLength: 30 }),
        fc.constantFrom('hour' as const, 'day' as const, 'month' as const, 'year' as const),
        async (ms, g) => {
          const iso = ms.map((m) => new Date(Math.floor(m / 1000) * 1000).toISOString().replace('.000', ''));
          const len = { hour: 13, day: 10, month: 7, year: 4 }[g];
          const want: Record<string, number> = {};
          for (const s of iso) want[s.slice(0, len)] = (want[s.slice(0, len)] ?? 0) + 1;
          expect((await partitions(g, 'timestamp', iso)).rows).toEqual(want);
          // limits.maxPartitions counts partitions (dt= names), not the days in them.
          const n = Object.keys(want).length;
          expect(Object.keys((await partitions(g, 'timestamp', iso, undefined, n)).rows)).toHaveLength(n);
          if (n > 1) await expect(partitions(g, 'timestamp', iso, undefined, n - 1)).rejects.toThrow(/more than \d+ at partitions/);
        },
      ),
      { numRuns: 25 },
    );
  });

  it('a partition value outside the years 0000-9999 is a row reject (partition_range), not a dt=+010000 partition (property, the whole Date range)', async () => {
    const lo = Date.parse('0000-01-01T00:00:00Z');
    const hi = Date.parse('9999-12-31T23:59:59.999Z');
    const edge = fc.constantFrom(lo, lo - 1, hi, hi + 1, 253402300800000, -8.64e15, 8.64e15);
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.oneof(edge, fc.integer({ min: -8.64e15, max: 8.64e15 })), { minLength: 1, maxLength: 20 }),
        fc.constantFrom('hour' as const, 'day' as const, 'month' as const, 'year' as const),
        async (ms, g) => {
          const len = { hour: 13, day: 10, month: 7, year: 4 }[g];
          const want: Record<string, number> = {};
          let out = 0;
          for (const m of ms) {
            if (m < lo || m > hi) out++;
            else {
              const name = new Date(m).toISOString().slice(0, len);
              want[name] = (want[name] ?? 0) + 1;
            }
          }
          const r = await partitions(g, 'timestamp', ms.map(String), 'epoch_ms');
          expect(r.rows).toEqual(want);
          expect(r.reasons['partition_range(at)'] ?? 0).toBe(out);
          for (const name of Object.keys(r.rows)) expect(name).toMatch(/^\d{4}(-\d\d(-\d\d(T\d\d)?)?)?$/);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('hour partitions need a timestamp column', () => {
    expect(() => parseContract({ dataset: 'd', version: 1, columns: [{ name: 'd', type: 'date' }], partitionBy: 'd', partitionGranularity: 'hour' })).toThrow(
      /partitionGranularity: d is a date: hour partitions need a timestamp column/,
    );
  });
});

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { asyncBufferFromFile, parquetMetadataAsync } from 'hyparquet';
import { readParquetObjects } from '../parquet-read';
import { describe, expect, it } from 'vitest';
import { EVERY_TYPE } from '../parquet-columns';
import { PartitionedParquetWriter, writeParquetFile, type OutColumn } from '../../lambdas/core/parquet/writer';
import { ParquetFileWriter } from '../../lambdas/core/parquet/encoder';
import { formatDecimal } from '../../lambdas/core/typing/decimal';
import type { Typed } from '../../lambdas/core/typing/values';

/**
 * The writers callers use (parquet/writer.ts: partitioned silver, gold tables) read
 * back by hyparquet and DuckDB: values, nulls, row groups under a byte budget,
 * schema, statistics and key/value metadata. parquet-encoder.test.ts covers
 * the single-file encoder's round trip and dictionary fallback.
 */

const columns: OutColumn[] = EVERY_TYPE;

const tmp = (name: string) => join(mkdtempSync(join(tmpdir(), 'pqw-')), name);

async function duck(sql: string): Promise<unknown[][]> {
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const db = await DuckDBInstance.create(':memory:');
  const con = await db.connect();
  const r = await con.runAndReadAll(sql);
  // BIGINT and friends come back as bigint: compare as strings.
  return r.getRows().map((row) => row.map((v) => (typeof v === 'bigint' ? String(v) : v)));
}

/** Every column cast to VARCHAR by DuckDB, doubles as numbers. */
const duckSelect = (path: string) =>
  `SELECT s, i::VARCHAR, d, b::VARCHAR, day::VARCHAR, epoch_ms(ts)::VARCHAR, amt::VARCHAR, big::VARCHAR FROM read_parquet('${path}')`;

function duckExpected(r: readonly Typed[]): unknown[] {
  const [s, i, d, b, day, ts, amt, big] = r;
  return [
    s,
    String(i),
    d,
    b === null ? null : String(b),
    day === null ? null : new Date((day as number) * 86400000).toISOString().slice(0, 10),
    ts === null ? null : String(ts),
    amt === null ? null : formatDecimal(amt as bigint, 2),
    big === null ? null : formatDecimal(big as bigint, 6),
  ];
}

/** hyparquet's view: INT64 as bigint, DATE/TIMESTAMP as Date, DECIMAL as Number(unscaled) * 10^-scale. */
function hyparquetExpected(r: readonly Typed[]): unknown[] {
  const [s, i, d, b, day, ts, amt, big] = r;
  return [
    s,
    BigInt(i as number),
    d,
    b,
    day === null ? null : new Date((day as number) * 86400000),
    ts === null ? null : new Date(ts as number),
    amt === null ? null : Number(amt) * 10 ** -2,
    big === null ? null : Number(big) * 10 ** -6,
  ];
}

async function hyparquetRows(path: string): Promise<unknown[][]> {
  const objs = await readParquetObjects(path);
  return objs.map((o) => columns.map((c) => o[c.name]));
}

const fixedRows: Typed[][] = [
  ['EU', 0, 1.5, true, 0, 0, 0n, 0n],
  ['Zoë 東京 🚀', -(2 ** 53) + 1, -0.25, false, -719162, -62135596800000, -99999999999n, -(10n ** 38n) + 1n],
  ['', 2 ** 53 - 1, 1e300, null, 2932896, 253402300799999, 99999999999n, 10n ** 38n - 1n],
  [null, -1, null, true, null, null, null, null],
  ['US', 42, 2.5, false, 20779, 1795337895000, -1n, -1234567n],
];

describe('Parquet writers (parquet/writer.ts)', () => {
  it('writeParquetFile: every type, extremes, unicode and empty strings, nulls, schema and key/value metadata', async () => {
    const path = tmp('gold.parquet');
    writeParquetFile(path, columns, fixedRows, { dataset: 'sales', aggregate: 'by_region' });

    expect(await hyparquetRows(path)).toEqual(fixedRows.map(hyparquetExpected));
    expect(await duck(duckSelect(path))).toEqual(fixedRows.map(duckExpected));

    const schema = await duck(
      `SELECT name, type, converted_type, repetition_type, scale::VARCHAR, precision::VARCHAR, type_length::VARCHAR, logical_type FROM parquet_schema('${path}') WHERE name <> 'root'`,
    );
    expect(schema).toEqual([
      ['s', 'BYTE_ARRAY', 'UTF8', 'OPTIONAL', null, null, null, 'StringType()'],
      ['i', 'INT64', 'INT_64', 'REQUIRED', null, null, null, 'IntType(bitWidth=@, isSigned=1)'],
      ['d', 'DOUBLE', null, 'OPTIONAL', null, null, null, null],
      ['b', 'BOOLEAN', null, 'OPTIONAL', null, null, null, null],
      ['day', 'INT32', 'DATE', 'OPTIONAL', null, null, null, 'DateType()'],
      [
        'ts',
        'INT64',
        'TIMESTAMP_MILLIS',
        'OPTIONAL',
        null,
        null,
        null,
        'TimestampType(isAdjustedToUTC=1, unit=TimeUnit(MILLIS=MilliSeconds(), MICROS=<null>, NANOS=<null>))',
      ],
      ['amt', 'INT64', 'DECIMAL', 'OPTIONAL', '2', '12', null, 'DecimalType(scale=2, precision=12)'],
      ['big', 'FIXED_LEN_BYTE_ARRAY', 'DECIMAL', 'OPTIONAL', '6', '38', '16', 'DecimalType(scale=6, precision=38)'],
    ]);
    const described = await duck(`SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM read_parquet('${path}'))`);
    expect(described.map((r) => r[1])).toEqual([
      'VARCHAR',
      'BIGINT',
      'DOUBLE',
      'BOOLEAN',
      'DATE',
      'TIMESTAMP WITH TIME ZONE',
      'DECIMAL(12,2)',
      'DECIMAL(38,6)',
    ]);
    const codecs = await duck(`SELECT DISTINCT compression FROM parquet_metadata('${path}')`);
    expect(codecs).toEqual([['ZSTD']]);
    const kv = await duck(`SELECT decode(key), decode(value) FROM parquet_kv_metadata('${path}') ORDER BY 1`);
    expect(kv).toEqual([
      ['aggregate', 'by_region'],
      ['dataset', 'sales'],
    ]);
    const meta = await parquetMetadataAsync(await asyncBufferFromFile(path));
    expect([meta.num_rows, meta.row_groups.length]).toEqual([5n, 1]);
    expect(meta.created_by).toMatch(/^landing-to-lake version \d+\.\d+\.\d+ \(build [\w.-]+\)$/);
  });

  it('writes statistics per row group: null counts, min/max of every type (strings by byte order, booleans, wide decimals)', async () => {
    const path = tmp('stats.parquet');
    const w = new ParquetFileWriter(path, columns, { rowGroupRows: 3 });
    for (const r of fixedRows) w.appendRow(r);
    w.finish();
    const stats = await duck(
      `SELECT row_group_id::VARCHAR, path_in_schema, stats_null_count::VARCHAR, stats_min_value, stats_max_value FROM parquet_metadata('${path}') ORDER BY row_group_id, column_id`,
    );
    expect(stats).toEqual([
      ['0', 's', '0', '', 'Zoë 東京 🚀'],
      ['0', 'i', '0', '-9007199254740991', '9007199254740991'],
      ['0', 'd', '0', '-0.25', '1e+300'],
      ['0', 'b', '1', 'false', 'true'],
      ['0', 'day', '0', '0001-01-01', '9999-12-31'],
      ['0', 'ts', '0', '0001-01-01 00:00:00+00', '9999-12-31 23:59:59.999+00'],
      ['0', 'amt', '0', '-999999999.99', '999999999.99'],
      ['0', 'big', '0', '-99999999999999999999999999999999.999999', '99999999999999999999999999999999.999999'],
      ['1', 's', '1', 'US', 'US'],
      ['1', 'i', '0', '-1', '42'],
      ['1', 'd', '1', '2.5', '2.5'],
      ['1', 'b', '0', 'false', 'true'],
      ['1', 'day', '1', '2026-11-22', '2026-11-22'],
      ['1', 'ts', '1', '2026-11-22 08:58:15+00', '2026-11-22 08:58:15+00'],
      ['1', 'amt', '1', '-0.01', '-0.01'],
      ['1', 'big', '1', '-1.234567', '-1.234567'],
    ]);
  });

  it('PartitionedParquetWriter: one file per partition, rows in order, row groups cut by the shared byte budget', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pqw-part-'));
    const budget = 256 << 10;
    const w = new PartitionedParquetWriter(columns, (p) => join(dir, `dt=${p}`, 'part-0.parquet'), 1_000_000, { dataset: 'sales' }, budget);
    const want = new Map<string, Typed[][]>();
    const row: Typed[] = new Array(columns.length);
    for (let n = 0; n < 60_000; n++) {
      // Mostly one partition (so its buffers pass the budget), a few rows in two others.
      const p = n % 50 === 0 ? '2026-11-21' : n % 77 === 0 ? '2026-11-20' : '2026-11-22';
      const r: Typed[] = [
        n % 3 ? `c${n % 5}` : null,
        n - 30_000,
        n / 7,
        n % 2 === 0,
        20779 + (n % 3),
        1795337895000 + n,
        BigInt(n * 101 - 3_000_000),
        n % 11 ? BigInt(n) * 10n ** 20n : null,
      ];
      if (!want.has(p)) want.set(p, []);
      want.get(p)!.push(r);
      // One array for every row, as the stage does: the writer must copy values out.
      for (let c = 0; c < r.length; c++) row[c] = r[c];
      w.append(p, row);
      row.fill('garbage');
    }
    const files = w.finish();
    expect(files.map((f) => [f.partition, f.rows])).toEqual([...want].map(([p, rows]) => [p, rows.length]).sort());

    for (const f of files) {
      expect(f.path).toBe(join(dir, `dt=${f.partition}`, 'part-0.parquet'));
      const rows = want.get(f.partition)!;
      expect(await hyparquetRows(f.path)).toEqual(rows.map(hyparquetExpected));
      expect(await duck(duckSelect(f.path))).toEqual(rows.map(duckExpected));
      const [[kv]] = await duck(`SELECT decode(value) FROM parquet_kv_metadata('${f.path}') WHERE decode(key) = 'dataset'`);
      expect(kv).toBe('sales');
    }

    // The big partition was cut into several row groups, none much over the budget
    // (the budget is checked every 4096 rows; its rows are under 64 bytes buffered).
    const big = files.find((f) => f.partition === '2026-11-22')!;
    const meta = await parquetMetadataAsync(await asyncBufferFromFile(big.path));
    expect(meta.row_groups.length).toBeGreaterThan(5);
    expect(meta.row_groups.reduce((n, g) => n + Number(g.num_rows), 0)).toBe(big.rows);
    for (const g of meta.row_groups) expect(Number(g.total_byte_size)).toBeLessThan(budget + 4096 * 64);
  });

  it('PartitionedParquetWriter: the budget is shared, so interleaved partitions write smaller row groups than one file alone', async () => {
    const budget = 1 << 20;
    const rowGroupRows = async (partitions: number) => {
      const dir = mkdtempSync(join(tmpdir(), 'pqw-budget-'));
      const w = new PartitionedParquetWriter(columns, (p) => join(dir, p, 'x.parquet'), 1_000_000, {}, budget);
      const row: Typed[] = ['EU', 1, 1.5, true, 1, 1, 1n, 1n];
      for (let n = 0; n < 90_000; n++) w.append(`p${n % partitions}`, row);
      const sizes: number[] = [];
      for (const f of w.finish()) {
        const meta = await parquetMetadataAsync(await asyncBufferFromFile(f.path));
        // The last row group of a file holds what was left at finish().
        sizes.push(...meta.row_groups.slice(0, -1).map((g) => Number(g.num_rows)));
      }
      return sizes;
    };
    const alone = await rowGroupRows(1);
    const shared = await rowGroupRows(3);
    expect(alone.length).toBeGreaterThan(2);
    expect(shared.length).toBeGreaterThan(2);
    // Three files share one budget: each is cut well before it could fill the budget alone.
    expect(Math.max(...shared)).toBeLessThan((2 / 3) * Math.min(...alone));
  });

  it('strings past the dictionary limit (PLAIN) keep unicode, empty strings and nulls', async () => {
    const path = tmp('plain.parquet');
    const cols: OutColumn[] = [{ name: 's', type: 'string', nullable: true }];
    const values = Array.from({ length: 10_000 }, (_, n) => (n % 97 === 0 ? null : n % 89 === 0 ? '' : n % 2 ? `Zoë-${n}-東京` : `v${n}`));
    writeParquetFile(
      path,
      cols,
      values.map((v) => [v]),
    );
    const meta = await parquetMetadataAsync(await asyncBufferFromFile(path));
    expect(meta.row_groups[0].columns[0].meta_data!.encodings).not.toContain('RLE_DICTIONARY');
    const back = await readParquetObjects(path);
    expect(back.map((o) => o.s)).toEqual(values);
    const got = await duck(`SELECT s FROM read_parquet('${path}')`);
    expect(got.map((r) => r[0])).toEqual(values);
  });

  it('a single file cuts row groups by rowGroupBytes', async () => {
    const path = tmp('bytes.parquet');
    const w = new ParquetFileWriter(path, columns, { rowGroupBytes: 100_000 });
    const row: Typed[] = ['EU', 1, 1.5, true, 1, 1, 1n, 1n];
    for (let n = 0; n < 20_000; n++) w.appendRow(row);
    w.finish();
    expect(w.rows).toBe(20_000);
    const meta = await parquetMetadataAsync(await asyncBufferFromFile(path));
    expect(meta.row_groups.length).toBeGreaterThan(3);
    expect(meta.row_groups.reduce((n, g) => n + Number(g.num_rows), 0)).toBe(20_000);
    const [[count, sum]] = await duck(`SELECT count(*)::VARCHAR, sum(big)::VARCHAR FROM read_parquet('${path}')`);
    expect([count, sum]).toEqual(['20000', '0.020000']);
  });

  it('refuses a null in a required column through the partitioned writer', () => {
    const w = new PartitionedParquetWriter(columns, (p) => join(mkdtempSync(join(tmpdir(), 'pqw-null-')), p, 'x.parquet'));
    expect(() => w.append('a', ['x', null, null, null, null, null, null, null])).toThrow(/null in required Parquet column i/);
  });

  const anyRow = fc.tuple(
    fc.option(fc.oneof(fc.string({ maxLength: 10, unit: 'grapheme' }), fc.constantFrom('', 'EU', 'Zoë')), { nil: null }),
    fc.maxSafeInteger(),
    fc.option(fc.double({ noNaN: true }), { nil: null }),
    fc.option(fc.boolean(), { nil: null }),
    fc.option(fc.integer({ min: -719162, max: 2932896 }), { nil: null }),
    fc.option(fc.integer({ min: -62135596800000, max: 253402300799999 }), { nil: null }),
    fc.option(fc.bigInt({ min: -(10n ** 12n) + 1n, max: 10n ** 12n - 1n }), { nil: null }),
    fc.option(fc.bigInt({ min: -(10n ** 38n) + 1n, max: 10n ** 38n - 1n }), { nil: null }),
  );

  it('random rows in random partitions round-trip through hyparquet (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.constantFrom('a', 'b', 'c'), anyRow), { minLength: 1, maxLength: 80 }),
        fc.integer({ min: 1, max: 20 }),
        async (input, groupRows) => {
          const dir = mkdtempSync(join(tmpdir(), 'pqw-prop-'));
          const w = new PartitionedParquetWriter(columns, (p) => join(dir, p, 'x.parquet'), groupRows);
          const row: Typed[] = new Array(columns.length);
          for (const [p, r] of input) {
            for (let c = 0; c < r.length; c++) row[c] = r[c];
            w.append(p, row);
          }
          for (const f of w.finish()) {
            const rows = input.filter(([p]) => p === f.partition).map(([, r]) => r as Typed[]);
            expect(f.rows).toBe(rows.length);
            expect(await hyparquetRows(f.path)).toEqual(rows.map(hyparquetExpected));
          }
        },
      ),
      { numRuns: 40 },
    );
  }, 60_000);
});

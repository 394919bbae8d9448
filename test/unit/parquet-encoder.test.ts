import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { asyncBufferFromFile, parquetMetadataAsync } from 'hyparquet';
import { readParquetObjects } from '../parquet-read';
import { describe, expect, it } from 'vitest';
import { EVERY_TYPE } from '../parquet-columns';
import { ParquetFileWriter, type ParquetFileWriterOptions } from '../../lambdas/core/parquet/encoder';
import { formatDecimal } from '../../lambdas/core/typing/decimal';
import type { Typed } from '../../lambdas/core/typing/values';

const columns = EVERY_TYPE;

const row = fc.tuple(
  fc.option(fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('EU', 'US', 'Zoë', '東京', '')), { nil: null }),
  fc.integer({ min: -(2 ** 53) + 1, max: 2 ** 53 - 1 }),
  fc.option(fc.double({ noNaN: true, noDefaultInfinity: true }), { nil: null }),
  fc.option(fc.boolean(), { nil: null }),
  fc.option(fc.integer({ min: -100000, max: 100000 }), { nil: null }),
  fc.option(fc.integer({ min: -1e13, max: 1e13 }), { nil: null }),
  fc.option(fc.bigInt({ min: -(10n ** 12n) + 1n, max: 10n ** 12n - 1n }), { nil: null }),
  fc.option(fc.bigInt({ min: -(10n ** 38n) + 1n, max: 10n ** 38n - 1n }), { nil: null }),
);

function write(rows: Typed[][], opts: ParquetFileWriterOptions & { batched?: boolean } = {}): string {
  const path = join(mkdtempSync(join(tmpdir(), 'pq-')), 'x.parquet');
  const w = new ParquetFileWriter(path, columns, { kv: { dataset: 't' }, ...opts });
  const scratch: Typed[] = new Array(columns.length);
  if ('batched' in opts) {
    // The stage's path: batches of rows, column by column (appendRows), in runs of mixed lengths.
    const order = Int32Array.from(rows.keys());
    for (let k = 0; k < rows.length; ) {
      const n = Math.min(rows.length - k, 1 + ((k * 7) % 13));
      let done = 0;
      while (done < n) done += w.appendRows(rows, order, k + done, n - done);
      k += n;
    }
    w.finish();
    return path;
  }
  for (const r of rows) {
    // One reused array, as the stage does: the writer must copy values out.
    for (let c = 0; c < r.length; c++) scratch[c] = r[c];
    w.appendRow(scratch);
    scratch.fill('garbage');
  }
  w.finish();
  return path;
}

async function duck(sql: string): Promise<unknown[][]> {
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const db = await DuckDBInstance.create(':memory:');
  const con = await db.connect();
  const r = await con.runAndReadAll(sql);
  return r.getRows() as unknown[][];
}

/** What DuckDB prints for each column cast to VARCHAR. */
function expected(r: Typed[]): (string | null)[] {
  const [s, i, d, b, day, ts, amt, big] = r;
  return [
    s as string | null,
    String(i),
    d === null ? null : String(d),
    b === null ? null : String(b),
    day === null ? null : new Date((day as number) * 86400000).toISOString().slice(0, 10),
    ts === null ? null : String(ts),
    amt === null ? null : formatDecimal(amt as bigint, 2),
    big === null ? null : formatDecimal(big as bigint, 6),
  ];
}

describe('Parquet encoder', () => {
  it('round-trips every type and null through hyparquet and DuckDB, across row groups, pages and codecs (property)', async () => {
    // Batched or row by row; runs of one value (run mode) broken by another value or a null.
    const runs = fc
      .array(fc.tuple(row, fc.integer({ min: 1, max: 30 })), { minLength: 1, maxLength: 8 })
      .map((rs) => rs.flatMap(([r, n]) => Array.from({ length: n }, () => r)));
    await fc.assert(
      // Every codec, and pages small enough that a chunk has several (split between nulls and values).
      fc.asyncProperty(
        fc.oneof(fc.array(row, { minLength: 1, maxLength: 60 }), runs),
        fc.integer({ min: 1, max: 25 }),
        fc.constantFrom('zstd', 'snappy', 'none'),
        fc.integer({ min: 1, max: 400 }),
        fc.boolean(),
        async (rows, groupRows, compression, pageBytes, batched) => {
          const path = write(rows as Typed[][], { rowGroupRows: groupRows, compression, pageBytes, ...(batched ? { batched } : {}) });
          const back = await readParquetObjects(path);
          expect(back.map((o) => [o.s, o.i, o.b, o.ts === null ? null : (o.ts as Date).getTime()])).toEqual(rows.map((r) => [r[0], BigInt(r[1]), r[3], r[5]]));
          const got = await duck(
            `SELECT s, i::VARCHAR, d::VARCHAR, b::VARCHAR, day::VARCHAR, epoch_ms(ts)::VARCHAR, amt::VARCHAR, big::VARCHAR FROM read_parquet('${path}')`,
          );
          const want = rows.map((r) => expected(r as Typed[]));
          // DuckDB prints doubles its own way: compare those as numbers (-0 as 0).
          expect(got.map((g) => [...g.slice(0, 2), g[2] === null ? null : Number(g[2]) + 0, ...g.slice(3)])).toEqual(
            want.map((w) => [...w.slice(0, 2), w[2] === null ? null : Number(w[2]) + 0, ...w.slice(3)]),
          );
        },
      ),
      { numRuns: 40 },
    );
  }, 90_000);

  it('dictionary-encodes few distinct strings, falls back to PLAIN past the limit, and writes statistics and metadata', async () => {
    const rows: Typed[][] = Array.from({ length: 10000 }, (_, n) => [n < 5000 ? ['EU', 'US'][n % 2] : `v${n}`, n, null, null, null, 1000 * n, BigInt(n), null]);
    const path = write(rows, { rowGroupRows: 5000 });
    const meta = await parquetMetadataAsync(await asyncBufferFromFile(path));
    expect(meta.row_groups.map((g) => g.columns[0].meta_data!.encodings)).toEqual([
      ['PLAIN', 'RLE', 'RLE_DICTIONARY'],
      ['PLAIN', 'RLE'],
    ]);
    // A fresh dictionary per chunk: after a chunk that fell back to PLAIN, a chunk of few values is dictionary-encoded again.
    const again = await parquetMetadataAsync(await asyncBufferFromFile(write([...rows.slice(5000), ...rows.slice(0, 5000)], { rowGroupRows: 5000 })));
    expect(again.row_groups.map((g) => g.columns[0].meta_data!.encodings)).toEqual([
      ['PLAIN', 'RLE'],
      ['PLAIN', 'RLE', 'RLE_DICTIONARY'],
    ]);
    const ts = meta.row_groups[1].columns[5].meta_data!.statistics!;
    expect([ts.null_count, ts.min_value, ts.max_value].map(String)).toEqual(['0', String(new Date(5000000)), String(new Date(9999000))]);
    expect(meta.key_value_metadata).toEqual([{ key: 'dataset', value: 't' }]);
    const [[n, distinct, sum]] = await duck(`SELECT count(*)::VARCHAR, count(DISTINCT s)::VARCHAR, sum(amt)::VARCHAR FROM read_parquet('${path}')`);
    expect([n, distinct, sum]).toEqual(['10000', '5002', '499950.00']);
  });

  it('writes mostly-distinct strings PLAIN column by column: ASCII, multi-byte and empty values, and nulls, read back as written', async () => {
    const text = (n: number): string | null => (n % 7 === 3 ? null : n % 5 === 0 ? `Zoë-東京-${n}` : n % 11 === 0 ? '' : `id${n}`);
    const rows: Typed[][] = Array.from({ length: 6000 }, (_, n) => [text(n), n, null, null, null, null, null, null]);
    const path = write(rows, { rowGroupRows: 3000, batched: true });
    const meta = await parquetMetadataAsync(await asyncBufferFromFile(path));
    expect(meta.row_groups.map((g) => g.columns[0].meta_data!.encodings)).toEqual([
      ['PLAIN', 'RLE'],
      ['PLAIN', 'RLE'],
    ]);
    expect((await readParquetObjects(path)).map((o) => o.s)).toEqual(rows.map((r) => r[0]));
    const [[min, max]] = await duck(`SELECT min(s), max(s) FROM read_parquet('${path}')`);
    expect([min, max]).toEqual(['', 'id999']);
  });

  it('dictionary-encodes integer chunks of few distinct values (extremes included) and reads back the same', async () => {
    const ints = [0, -1, 1, 2 ** 53 - 1, -(2 ** 53) + 1, 4294967295, -4294967296, 7];
    const rows: Typed[][] = Array.from({ length: 3000 }, (_, n) => [
      null,
      ints[(n * 7) % ints.length],
      null,
      null,
      n % 9 === 0 ? null : -719162 + (n % 5),
      null,
      null,
      null,
    ]);
    // A second chunk with too many distinct values stays PLAIN.
    for (let n = 0; n < 3000; n++) rows.push([null, n * 1000, null, null, n, null, null, null]);
    const path = write(rows, { rowGroupRows: 3000 });
    const meta = await parquetMetadataAsync(await asyncBufferFromFile(path));
    expect(meta.row_groups.map((g) => [g.columns[1].meta_data!.encodings, g.columns[4].meta_data!.encodings])).toEqual([
      [
        ['PLAIN', 'RLE', 'RLE_DICTIONARY'],
        ['PLAIN', 'RLE', 'RLE_DICTIONARY'],
      ],
      [
        ['PLAIN', 'RLE'],
        ['PLAIN', 'RLE'],
      ],
    ]);
    const back = await readParquetObjects(path);
    expect(back.map((o) => [o.i, o.day === null ? null : Math.round((o.day as Date).getTime() / 86400000)])).toEqual(
      rows.map((r) => [BigInt(r[1] as number), r[4]]),
    );
    const got = await duck(`SELECT i::VARCHAR, day::VARCHAR FROM read_parquet('${path}')`);
    expect(got).toEqual(rows.map((r) => [String(r[1]), r[4] === null ? null : new Date((r[4] as number) * 86400000).toISOString().slice(0, 10)]));
  });

  it('refuses a null in a required column, naming it', () => {
    expect(() => write([[null, null, null, null, null, null, null, null]])).toThrow(/null in required Parquet column i/);
  });
});

describe('page sizes', () => {
  it('PLAIN strings of skewed sizes (a run of nulls, then long values) are cut by bytes: no page far past PAGE_BYTES (property)', async () => {
    const { ColumnBuffer } = await import('../../lambdas/core/parquet/column');
    const { chunkPages, PAGE_BYTES } = await import('../../lambdas/core/parquet/pages');
    const { Phys } = await import('../../lambdas/core/parquet/schema');
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 200_000 }),
        fc.integer({ min: 1, max: 20_000 }),
        fc.integer({ min: 1, max: 600 }),
        fc.boolean(),
        (nulls, values, size, nullsFirst) => {
          const b = new ColumnBuffer({ name: 's', type: 'string', nullable: true }, Phys.BYTE_ARRAY, 0);
          const long = (i: number) => `${i}:`.padEnd(size, 'x');
          const add = (k: 'n' | 'v') =>
            k === 'n' ? Array.from({ length: nulls }, () => b.append(null)) : Array.from({ length: values }, (_, i) => b.append(long(i)));
          add(nullsFirst ? 'n' : 'v');
          add(nullsFirst ? 'v' : 'n');
          const { pages } = chunkPages(b);
          expect(pages.reduce((n, p) => n + p.rows, 0)).toBe(nulls + values);
          // A page holds at most PAGE_BYTES of values plus one value, and its levels (a bit a row, capped).
          for (const p of pages) expect(p.size).toBeLessThanOrEqual(PAGE_BYTES + size + 4 + (1 << 17) + 64);
        },
      ),
      { numRuns: 25 },
    );
  });
});

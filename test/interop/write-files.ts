/**
 * Interop tier, step 1: writes the files other engines must read right, and
 * what they must find in them (expected.json). Run by test/interop/run.sh.
 *
 *  - zstd.parquet: every silver type, nulls, 11 row groups, string columns
 *    dictionary-encoded in some chunks and PLAIN in others, several pages per
 *    chunk, ZSTD.
 *  - snappy.parquet, none.parquet: the same rows under the other codecs.
 *  - skip.parquet: rows sorted by n and by a string key, 10 row groups, then
 *    every chunk of row groups 1..9 overwritten with garbage: a reader that
 *    answers `n < 1000` or `k < 'k0001000'` without an error used the
 *    statistics to skip those row groups (reading them would fail).
 *  - edges.parquet: values whose statistics are easy to get wrong (test/interop/edges.ts);
 *    empty.parquet: the same schema and no rows.
 *  - big/stage/silver/: the stage's silver for 600,000 generated rows, several row groups a
 *    file, with the aggregates it must hold (test/interop/big-silver.ts).
 *  - kept/stage/silver/: two files with different kept extra columns (onAddedColumns: keep),
 *    to be read as one table the way README says (test/interop/kept-columns.ts).
 *  - stage/silver/: the stage's own output for a sales sample (audit columns),
 *    and gold.parquet: its gold aggregate as Publish writes it (_updated_at).
 */
import { mkdirSync, openSync, readFileSync, rmSync, writeFileSync, writeSync, closeSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { asyncBufferFromFile, parquetMetadataAsync } from 'hyparquet';
import { loadConfig } from '../../lib/config';
import { Aggregator } from '../../lambdas/core/gold/gold';
import { writeParquetFile, type OutColumn } from '../../lambdas/core/parquet/writer';
import { ParquetFileWriter } from '../../lambdas/core/parquet/encoder';
import { runStage } from '../../lambdas/core/engine/stage';
import { formatDecimal } from '../../lambdas/core/typing/decimal';
import type { Typed } from '../../lambdas/core/typing/values';
import { writeBigSilver } from './big-silver';
import { writeKeptColumns } from './kept-columns';
import { EDGE_COLUMNS, EDGE_GROUPS, edgeRows, edgeText, writeEdges, writeEmpty } from './edges';

// Absolute, so expected.json's paths hold from any working directory.
const dir = resolve(process.argv[2] ?? '.interop/files');

export const COLUMNS: OutColumn[] = [
  { name: 's', type: 'string', nullable: true },
  { name: 'lowcard', type: 'string', nullable: false },
  { name: 'i', type: 'integer', nullable: false },
  { name: 'd', type: 'double', nullable: true },
  { name: 'b', type: 'boolean', nullable: true },
  { name: 'day', type: 'date', nullable: true },
  { name: 'ts', type: 'timestamp', nullable: true },
  { name: 'amt', type: 'decimal(12,2)', nullable: true },
  { name: 'big', type: 'decimal(38,6)', nullable: true },
];

/** Row n: deterministic, with nulls, unicode, extremes and (from row 4000) high-cardinality strings. */
function row(n: number): Typed[] {
  const s = n % 11 === 0 ? null : n < 4000 ? ['EU', 'Zoë', '東京', '😀', ''][n % 5] : `v${n}-${'é'.repeat(n % 4)}`;
  return [
    s,
    ['a', 'b', 'c'][n % 3],
    n % 997 === 0 ? -(2 ** 53) + 1 + n : n * 7919 - 40000,
    n % 7 === 0 ? null : n / 8 - 300,
    n % 5 === 0 ? null : n % 2 === 0,
    n % 13 === 0 ? null : -719162 + n * 97,
    n % 17 === 0 ? null : Date.UTC(2026, 0, 1) + n * 3_600_123,
    n % 3 === 0 ? null : n * 101 - 50000,
    n % 4 === 0 ? null : (BigInt(n) - 3000n) * 10n ** 31n + BigInt(n),
  ];
}

/** What a reader should print per column (JSON-safe text forms). */
function textOf(r: Typed[]): (string | null)[] {
  const [s, low, i, d, b, day, ts, amt, big] = r;
  return [
    s as string | null,
    low as string,
    String(i),
    d === null ? null : String(d),
    b === null ? null : String(b),
    day === null ? null : new Date((day as number) * 86400000).toISOString().slice(0, 10),
    ts === null ? null : String(ts),
    amt === null ? null : formatDecimal(BigInt(amt as number), 2),
    big === null ? null : formatDecimal(big as bigint, 6),
  ];
}

function writeTypes(path: string, compression: 'zstd' | 'snappy' | 'none', rows: Typed[][]): void {
  // Row groups of 500 rows, but rows 4000..8999 in one of 5000: its s chunk passes the
  // dictionary limit (PLAIN) while the others are dictionary-encoded. 11 row groups.
  const w = new ParquetFileWriter(path, COLUMNS, { rowGroupRows: 5000, compression, pageBytes: 1500, kv: { contract_version: '1' } });
  rows.forEach((r, n) => {
    w.appendRow(r);
    if ((n < 4000 || n >= 9000) && n % 500 === 499) w.flushRowGroup();
  });
  w.finish();
}

/** Overwrites every column chunk of the given row groups with 0xFF (page headers included). */
async function corrupt(path: string, groups: number[]): Promise<void> {
  const meta = await parquetMetadataAsync(await asyncBufferFromFile(path));
  const fd = openSync(path, 'r+');
  for (const g of groups) {
    for (const c of meta.row_groups[g].columns) {
      const m = c.meta_data!;
      const start = Number(m.dictionary_page_offset ?? m.data_page_offset);
      writeSync(fd, Buffer.alloc(Number(m.total_compressed_size), 0xff), 0, Number(m.total_compressed_size), start);
    }
  }
  closeSync(fd);
}

async function main() {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const rows = Array.from({ length: 10_000 }, (_, n) => row(n));
  for (const codec of ['zstd', 'snappy', 'none'] as const) writeTypes(join(dir, `${codec}.parquet`), codec, rows);

  const skip = join(dir, 'skip.parquet');
  const w = new ParquetFileWriter(
    skip,
    [
      { name: 'n', type: 'integer', nullable: false },
      { name: 'k', type: 'string', nullable: false },
    ],
    { rowGroupRows: 1000 },
  );
  for (let n = 0; n < 10_000; n++) w.appendRow([n, `k${String(n).padStart(7, '0')}`]);
  w.finish();
  await corrupt(skip, [1, 2, 3, 4, 5, 6, 7, 8, 9]);
  writeEdges(join(dir, 'edges.parquet'));
  writeEmpty(join(dir, 'empty.parquet'));

  const sales = loadConfig('config/pipeline.json', 'dev').datasets.find((d) => d.name === 'sales')!.contract;
  const sample = 'samples/sales/sales_bad_rows.csv';
  const r = await runStage({
    contract: sales,
    source: (async function* () {
      yield readFileSync(sample);
    })(),
    dataset: 'sales',
    key: `landing/sales/${sample.split('/').pop()}`,
    ingestDate: '2026-11-22',
    workDir: join(dir, 'stage'),
    fileId: 'interop',
    sourceVersion: 'v1',
    ingestedAt: Date.UTC(2026, 10, 22, 9, 0, 0),
  });
  const bigSilver = await writeBigSilver(join(dir, 'big'), sales);
  const kept = await writeKeptColumns(join(dir, 'kept'), sales);
  const agg = new Aggregator(sales.gold[0], sales);
  for (const docs of r.partials.values()) for (const doc of docs) agg.merge(JSON.parse(JSON.stringify(doc)));
  const gold = join(dir, 'gold.parquet');
  writeParquetFile(gold, agg.columns, agg.rows(), { contract_version: String(sales.version) }, sales.compression);
  writeFileSync(
    join(dir, 'expected.json'),
    JSON.stringify(
      {
        columns: COLUMNS,
        rows: rows.map(textOf),
        rowGroups: 11,
        silver: r.silver.map((f) => ({ path: f.path, rows: f.rows })),
        silverColumns: r.columns,
        gold: { path: gold, rows: agg.rows().length, columns: agg.columns },
        bigSilver,
        kept,
        edges: { columns: EDGE_COLUMNS, rowGroups: EDGE_GROUPS, rows: edgeRows().map(edgeText) },
      },
      null,
      1,
    ),
  );
  console.log(`interop files in ${dir}: 3 codecs x ${rows.length} rows, skip.parquet, ${r.silver.length} silver files`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});

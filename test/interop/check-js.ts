/**
 * Interop tier, step 2: DuckDB and hyparquet read the files of write-files.ts.
 * Values, types (TIMESTAMP WITH TIME ZONE, DECIMAL, DATE), statistics,
 * ZSTD on every chunk, and a predicate that only succeeds if DuckDB skips the
 * corrupted row groups of skip.parquet by their statistics. Exits 1 on a mismatch.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { DuckDBInstance } from '@duckdb/node-api';
import { asyncBufferFromFile, parquetMetadataAsync } from 'hyparquet';
import { readParquetObjects } from '../parquet-read';

const dir = process.argv[2] ?? '.interop/files';
const expected = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')) as {
  rows: (string | null)[][];
  rowGroups: number;
  silver: { path: string; rows: number }[];
  silverColumns: { name: string }[];
};
let failures = 0;
function check(what: string, got: unknown, want: unknown): void {
  const ok = isDeepStrictEqual(got, want);
  if (!ok) failures++;
  console.log(
    `${ok ? 'ok  ' : 'FAIL'} ${what}${ok ? '' : `\n     got:  ${JSON.stringify(got, (_, v) => (typeof v === 'bigint' ? String(v) : v)).slice(0, 400)}\n     want: ${JSON.stringify(want).slice(0, 400)}`}`,
  );
}

async function main() {
  const db = await DuckDBInstance.create(':memory:', { threads: '1' });
  const con = await db.connect();
  const q = async (sql: string) => (await con.runAndReadAll(sql)).getRows().map((r) => r.map((v) => (typeof v === 'bigint' ? String(v) : v)));

  for (const codec of ['zstd', 'snappy', 'none']) {
    const f = join(dir, `${codec}.parquet`);
    const rows = await q(
      `SELECT s, lowcard, i::VARCHAR, d::VARCHAR, b::VARCHAR, day::VARCHAR, epoch_ms(ts)::VARCHAR, amt::VARCHAR, big::VARCHAR FROM read_parquet('${f}')`,
    );
    // DuckDB prints doubles its own way: compare them as numbers.
    const norm = (r: unknown[]) => [...r.slice(0, 3), r[3] === null ? null : Number(r[3]), ...r.slice(4)];
    check(`duckdb ${codec}: every value of 10,000 rows`, rows.map(norm), expected.rows.map(norm));
    const codecs = await q(`SELECT DISTINCT compression FROM parquet_metadata('${f}')`);
    check(`duckdb ${codec}: compression of every chunk`, codecs, [[codec === 'none' ? 'UNCOMPRESSED' : codec.toUpperCase()]]);
  }
  const f = join(dir, 'zstd.parquet');
  const types = await q(`SELECT column_type FROM (DESCRIBE SELECT * FROM read_parquet('${f}'))`);
  check('duckdb: column types', types.flat(), [
    'VARCHAR',
    'VARCHAR',
    'BIGINT',
    'DOUBLE',
    'BOOLEAN',
    'DATE',
    'TIMESTAMP WITH TIME ZONE',
    'DECIMAL(12,2)',
    'DECIMAL(38,6)',
  ]);
  const meta = await q(
    `SELECT count(DISTINCT row_group_id), count(*) FILTER (stats_min_value IS NULL AND stats_null_count < row_group_num_rows), string_agg(DISTINCT encodings, ' / ' ORDER BY encodings) FILTER (path_in_schema = 's') FROM parquet_metadata('${f}')`,
  );
  check('duckdb: 11 row groups, min/max on every chunk with a value, s both dictionary and PLAIN', meta, [
    [String(expected.rowGroups), '0', 'PLAIN, RLE / PLAIN, RLE, RLE_DICTIONARY'],
  ]);
  const created = await q(`SELECT created_by FROM parquet_file_metadata('${f}')`);
  check(
    'duckdb: created_by in the <app> version <x> (build <h>) form',
    /^landing-to-lake version \d+\.\d+\.\d+ \(build [\w.-]+\)$/.test(String(created[0][0])),
    true,
  );

  const skip = join(dir, 'skip.parquet');
  check(
    'duckdb: n < 1000 reads only row group 0 (the others are garbage)',
    await q(`SELECT count(*)::VARCHAR, max(n)::VARCHAR FROM read_parquet('${skip}') WHERE n < 1000`),
    [['1000', '999']],
  );
  check('duckdb: a string predicate skips too', await q(`SELECT count(*)::VARCHAR FROM read_parquet('${skip}') WHERE k < 'k0000500'`), [['500']]);
  let failed = false;
  try {
    await q(`SELECT sum(n) FROM read_parquet('${skip}')`);
  } catch {
    failed = true;
  }
  check('duckdb: reading everything fails (so the skips above were real)', failed, true);

  for (const s of expected.silver) {
    const got = await q(
      `SELECT count(*)::VARCHAR, count(DISTINCT _source_key)::VARCHAR, min(_source_line)::VARCHAR > '0', typeof(any_value(_ingested_at)) FROM read_parquet('${s.path}')`,
    );
    check(`duckdb: silver ${s.path.split('/').slice(-2).join('/')}`, got, [[String(s.rows), '1', true, 'TIMESTAMP WITH TIME ZONE']]);
  }

  const g = (expected as unknown as { gold: { path: string; rows: number } }).gold;
  check('duckdb: gold file', await q(`SELECT count(*)::VARCHAR, typeof(any_value(revenue)), typeof(any_value(_updated_at)) FROM read_parquet('${g.path}')`), [
    [String(g.rows), 'DECIMAL(38,2)', 'TIMESTAMP WITH TIME ZONE'],
  ]);

  // hyparquet: values of the ZSTD file, and statistics with column orders set.
  const back = await readParquetObjects(f);
  // hyparquet hands decimals back as doubles: compare as such.
  check(
    'hyparquet: every string and timestamp',
    [back.map((r) => r.s), back.map((r) => (r.ts === null ? null : String((r.ts as Date).getTime())))],
    [expected.rows.map((r) => r[0]), expected.rows.map((r) => r[6])],
  );
  const near = (a: unknown, b: string | null) => (b === null ? a === null : Math.abs(Number(a) - Number(b)) <= 1e-12 * Math.abs(Number(b)) + 1e-9);
  check(
    'hyparquet: every wide decimal, to double precision',
    back.every((r, n) => near(r.big, expected.rows[n][8])),
    true,
  );
  const hm = await parquetMetadataAsync(await asyncBufferFromFile(f));
  check(
    'hyparquet: string min/max of row group 0',
    [hm.row_groups[0].columns[0].meta_data!.statistics!.min_value, hm.row_groups[0].columns[0].meta_data!.statistics!.max_value],
    ['', '😀'],
  );

  console.log(failures ? `${failures} interop check(s) failed` : 'all DuckDB and hyparquet interop checks passed');
  process.exit(failures ? 1 : 0);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});

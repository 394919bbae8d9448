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

type Row = (string | null)[];
type Q = (sql: string) => Promise<unknown[][]>;
type Con = Awaited<ReturnType<Awaited<ReturnType<typeof DuckDBInstance.create>>['connect']>>;

/**
 * edges.parquet (test/interop/edges.ts): values bit for bit, and predicates on every row
 * group's real min and max of k (DuckDB prunes on a string min's leading bytes, so a wrong cut
 * min makes it skip a row group it needs; it does not prune on a cut max) and on the extremes
 * of d and i, against counts computed here from the values
 * (strings in UTF-8 byte order). test/interop/interop_common.py does the same for the Python engines.
 */
async function checkEdges(q: Q, con: Con): Promise<void> {
  const f = join(dir, 'edges.parquet');
  const { rows, rowGroups } = (expected as unknown as { edges: { rows: Row[]; rowGroups: number } }).edges;
  const got = await q(
    `SELECT hex(encode(k)), CASE WHEN d IS NULL THEN NULL WHEN d = 0 AND sign(1 / d) < 0 THEN '-0' ELSE d::VARCHAR END, i::VARCHAR, e FROM read_parquet('${f}')`,
  );
  // k as the hex of its UTF-8 bytes: DuckDB's Node client drops a string's leading U+FEFF, which k may have.
  const hex = (s: unknown) =>
    s === null
      ? null
      : Buffer.from(s as string, 'utf8')
          .toString('hex')
          .toUpperCase();
  // Doubles compared as numbers (SameValue: NaN equals NaN, -0 is not 0); DuckDB prints inf and nan.
  const num = (x: unknown) =>
    x === null
      ? null
      : x === '-0'
        ? -0
        : Number(
            String(x)
              .replace(/^(-?)inf$/, '$1Infinity')
              .replace(/^nan$/, 'NaN'),
          );
  const asNum = (r: unknown[]) => [r[0], num(r[1]), r[2], r[3]];
  check(
    'duckdb edges: every value (doubles as numbers, -0 kept)',
    got.map(asNum),
    rows.map((r) => asNum([hex(r[0]), ...r.slice(1)])),
  );

  const utf8 = (s: string) => Buffer.from(s, 'utf8');
  type Pred = [string, string, string | number | bigint | null];
  const preds: Pred[] = [];
  const group = rows.length / rowGroups;
  for (let g = 0; g < rowGroups; g++) {
    const ks = rows
      .slice(g * group, (g + 1) * group)
      .map((r) => r[0])
      .filter((v): v is string => v !== null);
    if (!ks.length) continue;
    ks.sort((a, b) => Buffer.compare(utf8(a), utf8(b)));
    const [lo, hi] = [ks[0], ks[ks.length - 1]];
    preds.push(['k', '=', lo], ['k', '<=', lo], ['k', '>', lo], ['k', '=', hi], ['k', '>=', hi], ['k', '<', hi]);
  }
  preds.push(['k', 'null', null], ['e', '=', ''], ['e', 'null', null]);
  preds.push(['d', '=', 0], ['d', '=', -1.5], ['d', '<', -1e308], ['d', '<=', -Number.MAX_VALUE], ['d', '=', Infinity]);
  preds.push(['i', '=', 2n ** 63n - 1n], ['i', '=', -(2n ** 63n)], ['i', '<', -(2n ** 63n) + 1n], ['i', '>', 2n ** 63n - 2n], ['i', '=', 0n], ['i', '<', 0n]);
  const col = { k: 0, d: 1, i: 2, e: 3 } as Record<string, number>;
  const cmp = (c: string, x: string, v: string | number | bigint): number => {
    if (c === 'k' || c === 'e') return Buffer.compare(utf8(x), utf8(v as string));
    if (c === 'i') return BigInt(x) < (v as bigint) ? -1 : BigInt(x) > (v as bigint) ? 1 : 0;
    const n = x === '-0' ? -0 : Number(x);
    return n < (v as number) ? -1 : n > (v as number) ? 1 : 0;
  };
  const holds: Record<string, (r: number) => boolean> = { '=': (r) => r === 0, '<': (r) => r < 0, '<=': (r) => r <= 0, '>': (r) => r > 0, '>=': (r) => r >= 0 };
  const wrong: string[] = [];
  for (const [c, op, v] of preds) {
    const want = rows.filter((r) => {
      const x = r[col[c]];
      if (op === 'null') return x === null;
      return x !== null && x !== 'NaN' && holds[op](cmp(c, x, v!));
    }).length;
    // Strings bound as parameters; numbers written out (the binding types an integral double as BIGINT).
    const operand = c === 'i' ? `'${v}'::BIGINT` : c === 'd' ? `'${v}'::DOUBLE` : '$1';
    const where = op === 'null' ? `${c} IS NULL` : `${c} ${op} ${operand}${c === 'd' ? ' AND NOT isnan(d)' : ''}`;
    const sql = `SELECT count(*)::VARCHAR FROM read_parquet('${f}') WHERE ${where}`;
    const res = operand === '$1' && op !== 'null' ? await con.runAndReadAll(sql, [v as string]) : await con.runAndReadAll(sql);
    const n = Number(res.getRows()[0][0]);
    if (n !== want) wrong.push(`${c} ${op} ${String(v).slice(0, 40)}: ${n} rows, want ${want}`);
  }
  check(`duckdb edges: ${preds.length} predicates on every row group's min and max return every row`, wrong, []);
  check('duckdb: the empty file', await q(`SELECT count(*)::VARCHAR FROM read_parquet('${join(dir, 'empty.parquet')}')`), [['0']]);
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

  await checkEdges(q, con);

  // README: one table over files with different kept columns (union_by_name).
  const k = (expected as unknown as { kept: { dir: string; rows: number; columns: string[] } }).kept;
  const kept = `read_parquet('${join(k.dir, '*', '*.parquet')}', hive_partitioning = true, union_by_name = true)`;
  check(
    'duckdb: one table over files with different kept columns (columns, rows, region_code and note set)',
    [
      (await q(`SELECT column_name FROM (DESCRIBE SELECT * FROM ${kept})`)).flat().sort(),
      await q(`SELECT count(*)::VARCHAR, count(region_code)::VARCHAR, count(note)::VARCHAR FROM ${kept}`),
    ],
    [[...k.columns, 'dt'].sort(), [[String(k.rows), '30', '20']]],
  );

  const b = (expected as unknown as { bigSilver: Record<string, string | number> }).bigSilver;
  const big = await q(
    `SELECT count(*)::VARCHAR, sum(amount)::VARCHAR, count(DISTINCT order_id)::VARCHAR, epoch_ms(min(order_ts))::VARCHAR, epoch_ms(max(order_ts))::VARCHAR,
       count(*) FILTER (region IS NULL)::VARCHAR, sum(quantity)::VARCHAR, sum(_source_line)::VARCHAR
     FROM read_parquet('${join(String(b.dir), '*', '*.parquet')}', hive_partitioning = true)`,
  );
  check(`duckdb: the stage's silver for ${b.rows} generated rows (${b.files} files) sums as generated`, big, [
    [b.rows, b.sumAmount, b.distinctIds, b.minTs, b.maxTs, b.nullRegions, b.sumQuantity, b.sumSourceLine].map(String),
  ]);

  console.log(failures ? `${failures} interop check(s) failed` : 'all DuckDB and hyparquet interop checks passed');
  process.exit(failures ? 1 : 0);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});

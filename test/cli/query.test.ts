import { AthenaClient, GetQueryExecutionCommand, GetQueryResultsCommand, StartQueryExecutionCommand } from '@aws-sdk/client-athena';
import { mockClient } from 'aws-sdk-client-mock';
import { build } from 'esbuild';
import fc from 'fast-check';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type PipelineConfig } from '../../lib/config';
import { lakeTables, type LakeTable } from '../../lib/lake-tables';
import type { Column } from '../../lambdas/core/contract/contract';
import type { Manifest } from '../../lambdas/core/lake/manifest';
import { writeParquetFile } from '../../lambdas/core/parquet/writer';
import { INVALID, type Typed } from '../../lambdas/core/typing/values';
import { parserFor } from '../../lambdas/core/typing/parse';
import { main } from '../../src/cli/main';
import { athenaQuery } from '../../src/cli/query-athena';
import { localQuery } from '../../src/cli/query-local';
import { timestampCell, type Cell } from '../../src/cli/query-result';

async function cli(args: string[]) {
  const lines: string[] = [];
  const errs: string[] = [];
  const code = await main(args, { log: (s) => lines.push(s), err: (s) => errs.push(s) });
  return { code, out: lines.join('\n'), err: errs.join('\n') };
}
const tmp = (p: string) => mkdtempSync(join(tmpdir(), p));

/** Every manifest the local store holds for a dataset. */
function manifests(store: string, dataset: string): Manifest[] {
  const dir = join(store, 'lake-bucket', 'manifests', dataset);
  return readdirSync(dir).map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as Manifest);
}

describe('pipeline query over the local store', () => {
  const store = tmp('query-store-');
  beforeAll(async () => {
    for (const f of ['samples/orders', 'samples/sales/sales_bad_rows.csv', 'samples/events/events.jsonl'])
      expect((await cli(['run', f, '--store', store])).code).toBe(0);
  }, 120_000);

  it('count(*) of every silver table is the sum of its manifests rowsOut (the README check)', async () => {
    for (const dataset of ['orders', 'sales', 'events']) {
      const r = await cli(['query', `select count(*) as n from ${dataset}`, '--json', '--store', store]);
      expect(r.code, r.err).toBe(0);
      const expected = manifests(store, dataset).reduce((n, m) => n + m.counts.rowsOut, 0);
      expect(expected).toBeGreaterThan(0);
      expect(JSON.parse(r.out)).toEqual([{ n: expected }]);
    }
  });

  it('gold agrees with silver per partition: counts and exact decimal sums', async () => {
    const silver = await cli(['query', 'select dt, count(*) as n, sum(total) as s from orders group by dt order by dt', '--json', '--store', store]);
    const gold = await cli([
      'query',
      'select dt, sum(orders) as n, sum(total_amount) as s from orders_orders_by_status group by dt order by dt',
      '--json',
      '--store',
      store,
    ]);
    expect(JSON.parse(gold.out)).toEqual(JSON.parse(silver.out));
    expect(JSON.parse(silver.out)[0].s).toBe('324.33');
  });

  it('v1 rows read NULL for region (added in v2, no default) and the default for currency (added in v3)', async () => {
    const r = await cli(['query', "select order_id, region, currency from orders where order_id like 'O-1%' order by 1", '--json', '--store', store]);
    expect(JSON.parse(r.out)).toEqual([
      { order_id: 'O-1001', region: null, currency: 'unknown' },
      { order_id: 'O-1002', region: null, currency: 'unknown' },
      { order_id: 'O-1003', region: null, currency: 'unknown' },
    ]);
  });

  it('columns are typed as the catalog types them', async () => {
    const r = await cli([
      'query',
      'select typeof(order_ts) as ts, typeof(amount) as amount, typeof(quantity) as q, typeof(dt) as dt from sales limit 1',
      '--json',
      '--store',
      store,
    ]);
    expect(JSON.parse(r.out)).toEqual([{ ts: 'TIMESTAMP', amount: 'DECIMAL(12,2)', q: 'BIGINT', dt: 'DATE' }]);
    const t = await cli(['query', "select order_ts, amount from sales where order_id = 'S-1'", '--json', '--store', store]);
    expect(JSON.parse(t.out)).toEqual([{ order_ts: '2026-11-20 10:00:00.000', amount: '10.00' }]);
  });

  it('prints a readable table', async () => {
    const r = await cli(['query', 'select status, count(*) as n from orders group by 1 order by 1', '--store', store]);
    expect(r.out.split('\n')).toEqual([
      'status     n',
      '---------  -',
      'cancelled  1',
      'new        2',
      'paid       4',
      'refunded   1',
      'shipped    1',
      '(5 rows, duckdb)',
    ]);
  });

  it('unknown table or column: exit 2 and the known tables or columns', async () => {
    const t = await cli(['query', 'select * from ordrs', '--store', store]);
    expect(t.code).toBe(2);
    expect(t.err).toContain(
      `unknown table 'ordrs' (known tables: ${lakeTables(loadConfig('config/pipeline.json'))
        .map((x) => x.name)
        .join(', ')})`,
    );
    expect(t.err).toContain('(known tables: orders, orders_orders_by_status, sales, sales_daily_sales_by_region, events, events_events_by_type');
    const c = await cli(['query', 'select amount from orders', '--store', store]);
    expect(c.code).toBe(2);
    expect(c.err).toContain("unknown column 'amount'");
    expect(c.err).toContain(
      'orders(order_id, total, status, region, currency, _source_key, _source_version, _ingested_at, _source_line, _contract_version, dt)',
    );
    expect(c.err).not.toContain('sales(');
    const s = await cli(['query', 'selec 1', '--store', store]);
    expect(s.code).toBe(2);
    expect(s.err).toMatch(/SQL error: Parser Error/);
  });

  it('usage errors and a missing store exit 2', async () => {
    expect((await cli(['query', '--store', store])).code).toBe(2);
    expect((await cli(['query', 'select', '1', '--store', store])).err).toContain('quote the whole statement');
    const none = await cli(['query', 'select 1', '--store', join(store, 'nowhere')]);
    expect(none.code).toBe(2);
    expect(none.err).toContain("run 'pipeline run <file>' first");
    expect((await cli(['query', '--tables'])).out).toMatch(/orders_orders_by_status[\s\S]*total_amount\s+decimal\(38,2\)/);
    expect((await cli(['help', 'query'])).out).toContain('pipeline query "<SQL>"');
  });
});

describe('files of older contract versions and partitions', () => {
  /** The catalog test's contract: every column type. */
  const dir = tmp('query-cfg-');
  const columns: Column[] = [
    { name: 'visit_id', type: 'string', nullable: true },
    { name: 'Pages', type: 'integer', nullable: true },
    { name: 'score', type: 'double', nullable: true },
    { name: 'bounced', type: 'boolean', nullable: true },
    { name: 'visit_date', type: 'date', nullable: true },
    { name: 'started_at', type: 'timestamp', nullable: true },
    { name: 'spend', type: 'decimal(10,3)', nullable: true },
    { name: 'big', type: 'decimal(38,0)', nullable: true },
  ];
  writeFileSync(join(dir, 'web.json'), JSON.stringify({ dataset: 'web-visits', version: 2, columns }));
  writeFileSync(join(dir, 'pipeline.json'), JSON.stringify({ datasets: [{ name: 'web-visits', freshnessSlaMinutes: 60, contract: 'web.json' }] }));
  const config: PipelineConfig = loadConfig(join(dir, 'pipeline.json'));
  const table: LakeTable = lakeTables(config)[0];
  const range = { from: '2000-01-01', to: '2030-01-01' };

  /** A raw value per column type with the cell the query must return for it. */
  const value: Record<string, fc.Arbitrary<[string, Cell]>> = {
    string: fc.string({ maxLength: 12 }).map((s) => [s, s]),
    integer: fc.maxSafeInteger().map((n) => [String(n), n]),
    double: fc
      .integer({ min: -1e9, max: 1e9 })
      .filter((n) => n !== 0)
      .map((n) => [String(n / 64), n / 64]),
    boolean: fc.boolean().map((b) => [String(b), b]),
    date: fc.integer({ min: 0, max: 40000 }).map((d) => {
      const s = new Date(d * 86400000).toISOString().slice(0, 10);
      return [s, s];
    }),
    timestamp: fc.integer({ min: 0, max: 4e12 }).map((ms) => {
      const iso = new Date(ms).toISOString();
      return [iso, timestampCell(iso)];
    }),
    'decimal(10,3)': fc.integer({ min: -9_999_999_999, max: 9_999_999_999 }).map((n) => {
      const a = Math.abs(n);
      const s = `${n < 0 ? '-' : ''}${Math.floor(a / 1000)}.${String(a % 1000).padStart(3, '0')}`;
      return [s, s];
    }),
    'decimal(38,0)': fc.bigInt({ min: -(10n ** 37n), max: 10n ** 37n }).map((b) => [String(b), String(b)]),
  };
  const parsers = columns.map(parserFor);

  it('union by name: each file has any subset of the columns (in any order); absent columns read NULL, present ones exact', async () => {
    const file = fc.record({
      cols: fc.shuffledSubarray(
        columns.map((_, i) => i),
        { minLength: 1 },
      ),
      rows: fc.array(fc.tuple(...columns.map((c) => fc.option(value[c.type], { freq: 4 }))), { maxLength: 4 }),
      day: fc.integer({ min: 1, max: 3 }),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(file, { minLength: 1, maxLength: 4 }), async (files) => {
        const root = tmp('query-union-');
        const expected: Cell[][] = [];
        files.forEach((f, n) => {
          const path = join(root, `dt=2026-11-0${f.day}`, `f${n}.parquet`);
          mkdirSync(join(root, `dt=2026-11-0${f.day}`), { recursive: true });
          const rows: Typed[][] = f.rows.map((r) => f.cols.map((i) => (r[i] ? (parsers[i](r[i]![0]) as Typed) : null)));
          expect(rows.flat().includes(INVALID as never)).toBe(false);
          writeParquetFile(
            path,
            f.cols.map((i) => columns[i]),
            rows,
          );
          // The table also has silver's audit columns, which these hand-written files lack: NULL.
          const audit = table.columns.length - columns.length;
          for (const r of f.rows)
            expected.push([...columns.map((_, i) => (f.cols.includes(i) && r[i] ? r[i]![1] : null)), ...Array(audit).fill(null), `2026-11-0${f.day}`]);
        });
        const r = await localQuery('select * from web_visits', [{ table, dir: root }], range);
        expect(r.columns.map((c) => c.name)).toEqual([...table.columns.map((c) => c.name), 'dt']);
        const key = (row: Cell[]) => JSON.stringify(row);
        expect(r.rows.map(key).sort()).toEqual(expected.map(key).sort());
      }),
      { numRuns: 25 },
    );
  }, 120_000);

  it('a table with no files yet, or a column no file has, still answers (typed NULLs, no error)', async () => {
    const root = tmp('query-empty-');
    const r = await localQuery('select count(*) as n, max(big) as b from web_visits', [{ table, dir: root }], range);
    expect(r.rows).toEqual([[0, null]]);
    expect(r.columns[1].type).toBe('decimal(38,0)');
    mkdirSync(join(root, 'dt=2026-11-01'));
    writeParquetFile(join(root, 'dt=2026-11-01', 'a.parquet'), [columns[0]], [['v1']]);
    const one = await localQuery('select visit_id, big, typeof(big) as t from web_visits', [{ table, dir: root }], range);
    expect(one.rows).toEqual([['v1', null, 'DECIMAL(38,0)']]);
  });

  it('a damaged file names the table and where it lies (exit 2 from the CLI)', async () => {
    const root = tmp('query-bad-');
    mkdirSync(join(root, 'dt=2026-11-01'));
    writeFileSync(join(root, 'dt=2026-11-01', 'x.parquet'), 'not parquet');
    await expect(localQuery('select 1', [{ table, dir: root }], range)).rejects.toThrow(/cannot read table web_visits from .*query-bad-/);
  });

  it('reads only dt folders inside the projection range, and skips _ and . files as Athena does', async () => {
    const root = tmp('query-range-');
    for (const [folder, file] of [
      ['dt=1999-12-31', 'old.parquet'],
      ['dt=2026-11-01', 'in.parquet'],
      ['dt=2026-11-01', '_partial.parquet'],
      ['dt=2026-11-01', '.tmp.parquet'],
      ['dt=2031-01-01', 'future.parquet'],
      ['not-a-partition', 'x.parquet'],
    ]) {
      mkdirSync(join(root, folder), { recursive: true });
      writeParquetFile(join(root, folder, file), [columns[0]], [[file]]);
    }
    const r = await localQuery('select visit_id from web_visits', [{ table, dir: root }], range);
    expect(r.rows).toEqual([['in.parquet']]);
  });
});

describe('pipeline query --remote (Athena)', () => {
  const tables = lakeTables(loadConfig('config/pipeline.json'));
  const target = { workGroup: 'wg', database: 'db' };

  it('runs in the workgroup and database, skips the header row, follows pages, types the values', async () => {
    const athena = mockClient(AthenaClient);
    athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: 'q1' });
    athena
      .on(GetQueryExecutionCommand)
      .resolvesOnce({ QueryExecution: { Status: { State: 'RUNNING' }, StatementType: 'DML' } })
      .resolves({ QueryExecution: { Status: { State: 'SUCCEEDED' }, StatementType: 'DML' } });
    const info = [
      { Name: 'n', Type: 'bigint' },
      { Name: 's', Type: 'decimal', Precision: 38, Scale: 2 },
      { Name: 'ts', Type: 'timestamp' },
      { Name: 'ok', Type: 'boolean' },
    ];
    athena.on(GetQueryResultsCommand, { QueryExecutionId: 'q1', NextToken: undefined }).resolves({
      ResultSet: {
        ResultSetMetadata: { ColumnInfo: info },
        Rows: [
          { Data: info.map((c) => ({ VarCharValue: c.Name })) },
          { Data: [{ VarCharValue: '9' }, { VarCharValue: '344.33' }, { VarCharValue: '2026-11-20 10:00:00' }, { VarCharValue: 'true' }] },
        ],
      },
      NextToken: 't2',
    });
    athena.on(GetQueryResultsCommand, { QueryExecutionId: 'q1', NextToken: 't2' }).resolves({
      ResultSet: {
        ResultSetMetadata: { ColumnInfo: info },
        Rows: [{ Data: [{ VarCharValue: '9007199254740993' }, {}, { VarCharValue: '2026-11-20 10:00:00.5' }, { VarCharValue: 'false' }] }],
      },
    });
    const r = await athenaQuery('select 1', target, tables, new AthenaClient({ region: 'us-east-1' }), { pollMs: 1 });
    expect(athena.commandCalls(StartQueryExecutionCommand)[0].args[0].input).toEqual({
      QueryString: 'select 1',
      WorkGroup: 'wg',
      QueryExecutionContext: { Database: 'db', Catalog: 'AwsDataCatalog' },
    });
    expect(r.columns).toEqual([
      { name: 'n', type: 'bigint' },
      { name: 's', type: 'decimal(38,2)' },
      { name: 'ts', type: 'timestamp' },
      { name: 'ok', type: 'boolean' },
    ]);
    expect(r.rows).toEqual([
      [9, '344.33', '2026-11-20 10:00:00.000', true],
      ['9007199254740993', null, '2026-11-20 10:00:00.500', false],
    ]);
    athena.restore();
  });

  it('a failed query on an unknown table names the known tables', async () => {
    const athena = mockClient(AthenaClient);
    athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: 'q2' });
    athena.on(GetQueryExecutionCommand).resolves({
      QueryExecution: { Status: { State: 'FAILED', StateChangeReason: "TABLE_NOT_FOUND: line 1:15: Table 'awsdatacatalog.db.ordres' does not exist" } },
    });
    await expect(athenaQuery('select * from ordres', target, tables, new AthenaClient({ region: 'us-east-1' }), { pollMs: 1 })).rejects.toThrow(
      /unknown table 'ordres' \(known tables: orders, /,
    );
    athena.on(GetQueryExecutionCommand).resolves({ QueryExecution: { Status: { State: 'FAILED', StateChangeReason: 'Query exhausted resources' } } });
    await expect(athenaQuery('select 1', target, tables, new AthenaClient({ region: 'us-east-1' }), { pollMs: 1 })).rejects.toThrow(
      /Athena query q2 failed: Query exhausted resources/,
    );
    athena.restore();
  });
});

describe('Lambda bundles', () => {
  it('no handler bundles DuckDB or the CLI', async () => {
    const handlers = readdirSync('lambdas/handlers').filter((f) => f.endsWith('.ts'));
    for (const h of handlers) {
      const r = await build({
        entryPoints: [join('lambdas/handlers', h)],
        bundle: true,
        platform: 'node',
        write: false,
        metafile: true,
        logLevel: 'silent',
        define: { __PIPELINE_CONTRACTS__: '[]' },
      });
      const inputs = Object.keys(r.metafile.inputs);
      expect(
        inputs.filter((p) => p.includes('@duckdb') || p.includes('src/cli/') || p.includes('client-athena')),
        h,
      ).toEqual([]);
    }
  }, 60_000);
});

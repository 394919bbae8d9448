import { AthenaClient, GetWorkGroupCommand } from '@aws-sdk/client-athena';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { loadConfig } from '../../lib/config';
import type { Manifest } from '../../lambdas/core/lake/manifest';
import { writeParquetFile } from '../../lambdas/core/parquet/writer';
import { parserFor } from '../../lambdas/core/typing/parse';
import type { Typed } from '../../lambdas/core/typing/values';
import { LOCAL_BUCKETS, runLocal } from '../../src/cli/local-run';
import { main } from '../../src/cli/main';
import { listKeys, out, putLanding, RUN, s3, waitForManifest } from './helpers';
import { STACK } from './env';

/**
 * The queryable lake on the emulator: the stack's Glue tables and Athena
 * workgroup answer SQL over what the pipeline wrote, and agree with the
 * manifests and with `pipeline query` over a local run of the same files.
 * MiniStack's Athena runs the SQL with DuckDB (installed in its venv),
 * resolving the Glue tables to their S3 location and dt= folders.
 *
 * Other test files drop orders and sales too, so every query here is confined
 * to this run's rows: sales by partition dates no other test uses (silver and
 * gold), orders by this run's order ids (silver) and its own currency (gold).
 */

const CONFIG = 'test/e2e/pipeline.e2e.json';
const cfg = loadConfig(CONFIG, 'test');

async function query(sql: string, where: { remote: true } | { store: string }): Promise<Record<string, unknown>[]> {
  const lines: string[] = [];
  const errs: string[] = [];
  const args = [
    'query',
    sql,
    '--json',
    '--config',
    CONFIG,
    '--env',
    'test',
    ...('remote' in where ? ['--remote', '--stack', STACK] : ['--store', where.store]),
  ];
  const code = await main(args, { log: (s) => lines.push(s), err: (s) => errs.push(s) });
  expect(code, `${'remote' in where ? 'athena' : 'local'}: ${errs.join('\n')}`).toBe(0);
  return JSON.parse(lines.join('\n'));
}

/** The same SQL through Athena on the emulator and through DuckDB on the local store: both answers. */
async function both(sql: string, store: string) {
  const [athena, local] = [await query(sql, { remote: true }), await query(sql, { store })];
  expect(athena, sql).toEqual(local);
  return athena;
}

/** Land files on the emulator and run the same bytes locally (one store); the emulator's manifests. */
async function landAndRunLocally(dataset: string, files: { name: string; body: string }[], store: string): Promise<Manifest[]> {
  const manifests: Manifest[] = [];
  for (const f of files) {
    const key = `landing/${dataset}/athena-${RUN}/${f.name}`;
    const { at } = await putLanding(key, f.body);
    const m = await waitForManifest(dataset, key, at, 120_000);
    expect(m.status, `${key}: ${JSON.stringify(m.failure)}`).toBe('succeeded');
    manifests.push(m);
    const dir = mkdtempSync(join(tmpdir(), 'athena-in-'));
    writeFileSync(join(dir, f.name), f.body);
    const local = await runLocal(join(dir, f.name), dataset, { config: cfg, storeRoot: store });
    expect(local.manifest!.counts).toEqual(m.counts);
  }
  return manifests;
}

const rowsOut = (ms: Manifest[]) => ms.reduce((n, m) => n + m.counts.rowsOut, 0);
const seed = parseInt(RUN, 36);
/** A date of this run: 2000-2008, inside the tables' projection range, far from the samples' 2026 dates. */
const runDate = (plus = 0) => new Date(Date.UTC(2000, 0, 1 + (seed % 3000) + plus)).toISOString().slice(0, 10);
const cents = (i: number) => `${(i * 37) % 500}.${String((i * 13) % 100).padStart(2, '0')}`;

// LocalStack's community build has no Athena or Glue at all (README gap table): there is nothing to
// assert against, so this file runs on MiniStack only; the template's tables are asserted in test/infra.
describe.skipIf(inject('emulator') === 'localstack')('Athena over the catalog tables', () => {
  it('after a good file: count(*) and sum(amount) on silver and gold equal the manifest and the local query', async () => {
    const store = mkdtempSync(join(tmpdir(), 'athena-store-'));
    const statuses = ['new', 'paid', 'shipped', 'cancelled', 'refunded'];
    const lines = ['order_id,customer_id,amount,quantity,status,order_ts,region'];
    for (let i = 0; i < 60; i++)
      lines.push(
        `A${RUN}-${i},C${String(i % 17).padStart(6, '0')},${cents(i)},${1 + (i % 4)},${statuses[i % 5]},${runDate(i % 3)}T${String(i % 24).padStart(2, '0')}:15:00Z,${['EU', 'US', 'APAC'][i % 3]}`,
      );
    lines.push(`A${RUN}-5,C000005,1.00,1,paid,${runDate()}T01:00:00Z,EU`); // duplicate key: dropped
    lines.push(`A${RUN}-bad,C000001,-3.00,1,paid,${runDate()}T01:00:00Z,EU`); // min(amount): quarantined
    const [m] = await landAndRunLocally('sales', [{ name: 'good.csv', body: `${lines.join('\n')}\n` }], store);
    expect(m.counts).toMatchObject({ rowsIn: 62, rowsOut: 60, rowsDeduplicated: 1, rowsQuarantined: 1 });

    const range = `dt between date '${runDate()}' and date '${runDate(2)}'`;
    const silver = await both(`select count(*) as n, sum(amount) as s from sales where ${range}`, store);
    expect(silver[0].n).toBe(rowsOut([m]));
    const expectedSum = Array.from({ length: 60 }, (_, i) => Math.round(Number(cents(i)) * 100)).reduce((a, b) => a + b, 0);
    expect(silver[0].s).toBe((expectedSum / 100).toFixed(2));
    const gold = await both(`select sum(lines) as n, sum(revenue) as s from sales_daily_sales_by_region where ${range}`, store);
    expect(gold).toEqual(silver);
    // Per partition and group too, not only in total.
    await both(`select dt, region, status, lines, revenue, customers from sales_daily_sales_by_region where ${range} order by 1, 2, 3`, store);
  });

  it('after the v1/v2/v3 evolution files: silver and gold equal the manifests and the local query; v1 rows read as the contract fills them', async () => {
    const store = mkdtempSync(join(tmpdir(), 'athena-store-'));
    const id = (v: number, i: number) => `E${RUN}-v${v}-${String(i).padStart(3, '0')}`;
    const currency = `Q${RUN.slice(-5).toUpperCase()}`;
    const rows = (n: number, f: (i: number) => string) => Array.from({ length: n }, (_, i) => f(i)).join('\n');
    const files = [
      { name: 'orders_v1.csv', body: `order_id,amount,status\n${rows(25, (i) => `${id(1, i)},${cents(i)},${['new', 'paid'][i % 2]}`)}\n` },
      { name: 'orders_v2.csv', body: `order_id,amount,status,region\n${rows(30, (i) => `${id(2, i)},${cents(i + 1)},shipped,${['EU', 'US'][i % 2]}`)}\n` },
      { name: 'orders_v3.csv', body: `order_id,total,status,region,currency\n${rows(35, (i) => `${id(3, i)},${cents(i + 2)},paid,APAC,${currency}`)}\n` },
    ];
    const ms = await landAndRunLocally('orders', files, store);
    expect(ms.map((m) => m.matchedVersion)).toEqual([1, 2, 3]);

    const silver = await both(`select count(*) as n, sum(total) as s from orders where order_id like 'E${RUN}-%'`, store);
    expect(silver[0].n).toBe(rowsOut(ms));
    // v3's rows alone carry this run's currency, so gold's groups for it are this run's only.
    const v3 = await both(`select count(*) as n, sum(total) as s from orders where currency = '${currency}'`, store);
    expect(v3[0].n).toBe(ms[2].counts.rowsOut);
    expect(await both(`select sum(orders) as n, sum(total_amount) as s from orders_orders_by_status where currency = '${currency}'`, store)).toEqual(v3);

    // v1 had neither region (v2, no default: NULL) nor currency (v3, default 'unknown').
    const v1 = await both(
      `select count(*) as n, count(region) as with_region, min(currency) as c1, max(currency) as c2 from orders where order_id like 'E${RUN}-v1-%'`,
      store,
    );
    expect(v1).toEqual([{ n: 25, with_region: 0, c1: 'unknown', c2: 'unknown' }]);
  });

  it('a silver file written under an older contract version (no currency column) reads with currency NULL', async () => {
    const store = mkdtempSync(join(tmpdir(), 'athena-store-'));
    const contract = cfg.datasets.find((d) => d.name === 'orders')!.contract;
    // Contract v2's columns, as its silver was written before v3 added currency.
    const v2 = contract.columns.filter((c) => c.name !== 'currency');
    const parse = v2.map(parserFor);
    const raw = Array.from({ length: 7 }, (_, i) => [`L${RUN}-${i}`, cents(i), 'paid', i % 2 ? 'EU' : '']);
    const typed: Typed[][] = raw.map((r) => r.map((v, j) => (v === '' ? null : (parse[j](v) as Typed))));
    const key = `silver/orders/dt=${runDate()}/legacy-${RUN}.parquet`;
    const local = join(store, LOCAL_BUCKETS.lake, key);
    mkdirSync(join(local, '..'), { recursive: true });
    writeParquetFile(local, v2, typed, { dataset: 'orders', contract_version: '2' });
    await s3.send(new PutObjectCommand({ Bucket: out().LakeBucketName, Key: key, Body: readFileSync(local) }));

    const r = await both(`select order_id, total, region, currency from orders where order_id like 'L${RUN}-%' order by order_id`, store);
    expect(r).toEqual(raw.map(([order_id, total, , region]) => ({ order_id, total: Number(total).toFixed(2), region: region || null, currency: null })));
  });

  it('the workgroup keeps its enforced settings (SSE-S3 results, cutoff, metrics) and its results land under athena-results/ in the lake', async () => {
    const wg = (await new AthenaClient({}).send(new GetWorkGroupCommand({ WorkGroup: out().AthenaWorkGroupName }))).WorkGroup!;
    expect(wg.Configuration).toMatchObject({
      EnforceWorkGroupConfiguration: true,
      PublishCloudWatchMetricsEnabled: true,
      BytesScannedCutoffPerQuery: cfg.catalog.bytesScannedCutoffMb * 1024 * 1024,
      ResultConfiguration: { OutputLocation: `s3://${out().LakeBucketName}/athena-results/`, EncryptionConfiguration: { EncryptionOption: 'SSE_S3' } },
    });
    expect((await listKeys(out().LakeBucketName, 'athena-results/')).filter((k) => k.endsWith('.csv')).length).toBeGreaterThan(0);
  });

  it('an unknown table fails through Athena too, naming the known tables (exit 2)', async () => {
    const errs: string[] = [];
    const code = await main(['query', 'select * from nope', '--remote', '--stack', STACK, '--config', CONFIG, '--env', 'test'], {
      log: () => undefined,
      err: (s) => errs.push(s),
    });
    expect(code).toBe(2);
    expect(errs.join('\n')).toContain("unknown table 'nope' (known tables: orders, orders_orders_by_status, sales");
  });
});

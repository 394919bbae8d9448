import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { readParquetObjects } from '../parquet-read';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../lib/config';
import { parseContract } from '../../lambdas/core/contract/load';
import type { Contract, ContractInput } from '../../lambdas/core/contract/contract';
import { DataError } from '../../lambdas/core/base/errors';
import { runStage } from '../../lambdas/core/engine/stage';
import { AUDIT_COLUMNS } from '../../lambdas/core/contract/audit';

const cfg = loadConfig('config/pipeline.json', 'dev');
const contractOf = (name: string) => cfg.datasets.find((d) => d.name === name)!.contract;

async function* chunks(data: string | Uint8Array, size = 7): AsyncGenerator<Uint8Array> {
  const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
  for (let i = 0; i < bytes.length; i += size) yield bytes.slice(i, i + size);
}

async function stage(contract: Contract, data: string | Uint8Array, key = 'landing/x/file.csv') {
  const workDir = mkdtempSync(join(tmpdir(), 'stage-'));
  return runStage({ contract, source: chunks(data), dataset: contract.dataset, key, ingestDate: '2026-11-22', workDir, fileId: 'f1' });
}

/** Silver rows without the audit columns (checked on their own in silver-schema.test.ts). */
async function rows(path: string): Promise<Record<string, unknown>[]> {
  const audit = new Set(AUDIT_COLUMNS.map((c) => c.name));
  return (await readParquetObjects(path)).map((r) => Object.fromEntries(Object.entries(r).filter(([k]) => !audit.has(k))));
}

const jsonl = (path: string) =>
  readFileSync(path, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));

describe('schema evolution (orders seeds)', () => {
  const orders = contractOf('orders');

  it('v1 file: amount renamed to total, region null, currency defaulted', async () => {
    const r = await stage(orders, readFileSync('samples/orders/orders_v1.csv'));
    expect(r.plan.matchedVersion).toBe(1);
    expect(r.plan.renamed).toEqual({ amount: 'total' });
    expect(r.plan.missing).toEqual(['region', 'currency']);
    expect(r.silver.map((s) => s.partition)).toEqual(['2026-11-22']);
    // Decimals are stored as exact scaled INT64; hyparquet hands them back as floats.
    expect((await rows(r.silver[0].path)).map((o) => ({ ...o, total: Math.round((o.total as number) * 100) }))).toEqual([
      { order_id: 'O-1001', total: 1999, status: 'paid', region: null, currency: 'unknown' },
      { order_id: 'O-1002', total: 500, status: 'new', region: null, currency: 'unknown' },
      { order_id: 'O-1003', total: 12050, status: 'shipped', region: null, currency: 'unknown' },
    ]);
  });

  it('v2 file keeps region; v3 file maps one to one and defaults an empty currency', async () => {
    const v2 = await stage(orders, readFileSync('samples/orders/orders_v2.csv'));
    expect(v2.plan.matchedVersion).toBe(2);
    expect((await rows(v2.silver[0].path)).map((o) => [o.order_id, o.total, o.region, o.currency])).toEqual([
      ['O-2001', 42, 'EU', 'unknown'],
      ['O-2002', 7.25, 'US', 'unknown'],
      ['O-2003', 13.1, 'APAC', 'unknown'],
    ]);
    const v3 = await stage(orders, readFileSync('samples/orders/orders_v3.csv'));
    expect(v3.plan.matchedVersion).toBe(3);
    expect(v3.plan.warnings).toEqual([]);
    expect((await rows(v3.silver[0].path)).map((o) => o.currency)).toEqual(['EUR', 'USD', 'unknown']);
  });

  const evolving = (
    evolution: ContractInput['evolution'],
    columns: ContractInput['columns'] = [
      { name: 'id', type: 'string', nullable: false },
      { name: 'n', type: 'integer' },
    ],
  ) => parseContract({ dataset: 'x', version: 2, columns, evolution });

  it('added columns: keep adds a string column, drop ignores it, reject names it', async () => {
    const data = 'id,n,extra\na,1,hello\n';
    const kept = await stage(evolving({ onAddedColumns: 'keep' }), data);
    expect(await rows(kept.silver[0].path)).toEqual([{ id: 'a', n: 1n, extra: 'hello' }]);
    const dropped = await stage(evolving({ onAddedColumns: 'drop' }), data);
    expect(await rows(dropped.silver[0].path)).toEqual([{ id: 'a', n: 1n }]);
    await expect(stage(evolving({ onAddedColumns: 'reject' }), data)).rejects.toMatchObject({
      reason: 'schema.incompatible',
      message: expect.stringContaining('columns not in contract v2: extra'),
    });
  });

  it('missing columns: a required one without default is schema.incompatible, naming it', async () => {
    await expect(stage(evolving({}), 'n\n1\n')).rejects.toMatchObject({
      reason: 'schema.incompatible',
      message: expect.stringMatching(/missing required columns: id .*dataset=x key=landing\/x\/file\.csv/),
    });
    await expect(stage(evolving({ onMissingColumns: 'reject' }), 'id\na\n')).rejects.toMatchObject({
      reason: 'schema.incompatible',
      message: expect.stringContaining('missing required columns: n'),
    });
  });

  it('JSON: a field only some records carry is still seen (and kept under keep)', async () => {
    const c = parseContract({
      dataset: 'x',
      version: 1,
      format: { type: 'jsonl' },
      columns: [{ name: 'id', type: 'string' }],
      evolution: { onAddedColumns: 'keep' },
    });
    const r = await stage(c, '{"id":"a"}\n{"id":"b","browser":"firefox"}\n');
    expect(r.plan.added).toEqual(['browser']);
    expect(await rows(r.silver[0].path)).toEqual([
      { id: 'a', browser: null },
      { id: 'b', browser: 'firefox' },
    ]);
  });

  it('JSON type changes: coerce counts a warning, reject quarantines the file', async () => {
    const cols: ContractInput['columns'] = [
      { name: 'id', type: 'string' },
      { name: 'n', type: 'integer' },
    ];
    const json = '{"id":"a","n":"5"}\n{"id":7,"n":6}\n';
    const coerce = await stage(parseContract({ dataset: 'x', version: 1, format: { type: 'jsonl' }, columns: cols }), json);
    expect(await rows(coerce.silver[0].path)).toEqual([
      { id: 'a', n: 5n },
      { id: '7', n: 6n },
    ]);
    expect(coerce.warnings).toEqual({ 'schema.type_coerced(n)': 1, 'schema.type_coerced(id)': 1 });
    await expect(
      stage(parseContract({ dataset: 'x', version: 1, format: { type: 'jsonl' }, columns: cols, evolution: { onTypeChange: 'reject' } }), json),
    ).rejects.toMatchObject({
      reason: 'schema.incompatible',
      message: expect.stringContaining('column n changed type'),
    });
  });
});

describe('row quality (sales seed)', () => {
  const sales = contractOf('sales');

  it('three bad rows, three distinct reasons; duplicates dropped; partitions by order_ts', async () => {
    const r = await stage(sales, readFileSync('samples/sales/sales_bad_rows.csv'));
    expect(r.counts).toEqual({ rowsIn: 7, rowsOut: 3, rowsQuarantined: 3, rowsDeduplicated: 1, rowsWarned: 0 });
    expect(r.reasons).toEqual({ 'not_null(order_id)': 1, 'min(amount)': 1, 'accepted_values(status)': 1 });
    const q = jsonl(r.quarantinePath!);
    expect(q.map((x) => [x._line, x._rule])).toEqual([
      [3, 'not_null(order_id)'],
      [4, 'min(amount)'],
      [5, 'accepted_values(status)'],
    ]);
    expect(q[1]).toMatchObject({
      _reason: 'amount=-4.00 is below the minimum 0',
      row: expect.objectContaining({ order_id: 'S-3', amount: '-4.00' }),
      _dataset: 'sales',
      _source_key: 'landing/x/file.csv',
    });
    expect(r.silver.map((s) => [s.partition, s.rows])).toEqual([
      ['2026-11-20', 1],
      ['2026-11-21', 2],
    ]);
    const day2 = await rows(r.silver[1].path);
    expect(day2.map((x) => x.order_id)).toEqual(['S-5', 'S-6']);
    // +01:00 is normalised to UTC.
    expect((day2[1].order_ts as Date).toISOString()).toBe('2026-11-21T17:45:00.000Z');
    expect(day2[0]).toMatchObject({ amount: 12.25, quantity: 2n, status: 'shipped', region: 'APAC', customer_id: 'C000005' });
  });

  it('above maxRejectRatio the whole file is quality.reject_ratio, with the top rules', async () => {
    const bad = `order_id,customer_id,amount,quantity,status,order_ts,region\n${Array.from({ length: 10 }, (_, i) => `S${i},C00000${i},-1,1,paid,2026-11-20T10:00:00Z,EU`).join('\n')}`;
    const err = await stage(sales, bad).catch((e) => e);
    expect(err).toBeInstanceOf(DataError);
    expect(err.reason).toBe('quality.reject_ratio');
    expect(err.message).toMatch(/10 of 10 rows rejected \(100\.0% > 50\.0%\); top rules: min\(amount\)=10/);
  });

  it('type errors and wrong field counts are row rejects with the column named', async () => {
    const data =
      'order_id,customer_id,amount,quantity,status,order_ts,region\nS1,C000001,abc,1,paid,2026-11-20T10:00:00Z,EU\nS2,C000002,1.00\nS3,C000003,2.00,1,paid,2026-11-20T10:00:00Z,EU\nS4,C000004,3.00,1,paid,2026-11-20T10:00:00Z,EU\nS5,C000005,4.00,1,paid,2026-11-20T10:00:00Z,EU\n';
    const r = await stage(sales, data);
    expect(r.reasons).toEqual({ 'type(amount)': 1, 'parse.field_count': 1 });
    expect(jsonl(r.quarantinePath!)[0]._reason).toBe("amount='abc' is not a valid decimal(12,2)");
  });

  it('gzip input is detected by magic bytes; invalid UTF-8 is parse.encoding', async () => {
    const raw = readFileSync('samples/sales/sales_bad_rows.csv');
    const r = await stage(sales, gzipSync(raw), 'landing/sales/a.csv.gz');
    expect(r.counts.rowsOut).toBe(3);
    const broken = Buffer.concat([Buffer.from('order_id\n'), Buffer.from([0xff, 0xfe, 0x41])]);
    await expect(stage(sales, broken)).rejects.toMatchObject({ reason: 'parse.encoding' });
  });

  it('is deterministic: the same input gives byte-identical Parquet', async () => {
    const raw = readFileSync('samples/sales/sales_bad_rows.csv');
    const a = await stage(sales, raw);
    const b = await stage(sales, raw);
    expect(readFileSync(a.silver[1].path).equals(readFileSync(b.silver[1].path))).toBe(true);
  });

  it('a partition timestamp no Date can hold is a row reject, not a failed file', async () => {
    const c = parseContract({
      dataset: 'e',
      version: 1,
      columns: [
        { name: 'id', type: 'string' },
        { name: 'ts', type: 'timestamp', format: 'epoch_ms' },
      ],
      partitionBy: 'ts',
      fileRules: { minRows: 1, maxRejectRatio: 0.9 },
    });
    const r = await stage(c, 'id,ts\na,1795366848157\nb,99999999999999999\n');
    expect(r.counts).toMatchObject({ rowsIn: 2, rowsOut: 1, rowsQuarantined: 1 });
    expect(r.reasons).toEqual({ 'type(ts)': 1 });
    expect(r.silver.map((f) => f.partition)).toEqual(['2026-11-22']);
  });
});

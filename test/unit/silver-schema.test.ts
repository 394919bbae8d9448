import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseContract } from '../../lambdas/core/contract/load';
import type { ContractInput } from '../../lambdas/core/contract/contract';
import { DataError } from '../../lambdas/core/base/errors';
import { Aggregator } from '../../lambdas/core/gold/gold';
import { GoldOverflow, utf8Less } from '../../lambdas/core/gold/measures';
import { AUDIT_COLUMNS } from '../../lambdas/core/contract/audit';
import { keptColumnNames, silverColumns } from '../../lambdas/core/contract/silver-schema';
import { runStage } from '../../lambdas/core/engine/stage';
import type { Typed } from '../../lambdas/core/typing/values';
import { readParquetObjects } from '../parquet-read';

/**
 * What makes silver and gold valid tables: the one silver column list (with
 * audit columns), the contract checks that keep tables declarable, and gold's
 * exact arithmetic (integer and decimal sums, overflow, byte-order strings).
 */

const base = (over: Partial<ContractInput> = {}): ContractInput => ({
  dataset: 't',
  version: 3,
  columns: [
    { name: 'id', type: 'string' },
    { name: 'n', type: 'integer' },
    { name: 'amt', type: 'decimal(38,0)' },
    { name: 's', type: 'string' },
    { name: 'ok', type: 'boolean' },
    { name: 'day', type: 'date' },
  ],
  ...over,
});

const errorOf = (c: ContractInput) => {
  try {
    parseContract(c);
    return '';
  } catch (e) {
    return (e as Error).message;
  }
};

async function* bytes(s: string) {
  yield new TextEncoder().encode(s);
}

describe('contract checks that keep tables valid', () => {
  it('rejects reserved names (the partition key, audit columns) in any case, with a hint', () => {
    for (const name of ['dt', 'DT', '_source_key', '_Ingested_At', '_updated_at']) {
      const msg = errorOf(base({ columns: [{ name, type: 'string' }] }));
      expect(msg).toMatch(new RegExp(`column name ${name} is reserved .*rename it`));
    }
    expect(
      errorOf(
        base({
          columns: [
            { name: 'dt_local', type: 'string' },
            { name: '_id', type: 'string' },
          ],
        }),
      ),
    ).toBe('');
  });

  it('rejects names equal but for case', () => {
    expect(
      errorOf(
        base({
          columns: [
            { name: 'id', type: 'string' },
            { name: 'ID', type: 'integer' },
          ],
        }),
      ),
    ).toMatch(/columns id and ID differ only in case/);
    expect(
      errorOf(
        base({
          columns: [
            { name: 'id', type: 'string' },
            { name: 'id', type: 'string' },
          ],
        }),
      ),
    ).toMatch(/duplicate column id/);
  });

  it('allows sum and avg only on numbers, and gold output names once each', () => {
    for (const column of ['ok', 'day', 's']) {
      expect(errorOf(base({ gold: [{ name: 'g', measures: [{ fn: 'sum', column, as: 'x' }] }] }))).toMatch(
        new RegExp(`sum\\(${column}\\) needs a numeric column`),
      );
      expect(errorOf(base({ gold: [{ name: 'g', measures: [{ fn: 'avg', column, as: 'x' }] }] }))).toMatch(/needs a numeric column/);
    }
    expect(
      errorOf(
        base({
          gold: [
            {
              name: 'g',
              measures: [
                { fn: 'min', column: 's', as: 'a' },
                { fn: 'max', column: 'day', as: 'b' },
                { fn: 'count_distinct', column: 'ok', as: 'c' },
                { fn: 'sum', column: 'n', as: 'd' },
              ],
            },
          ],
        }),
      ),
    ).toBe('');
    expect(errorOf(base({ gold: [{ name: 'g', groupBy: ['id'], measures: [{ fn: 'count', as: 'ID' }] }] }))).toMatch(/gold column ID clashes with id/);
    expect(errorOf(base({ gold: [{ name: 'g', measures: [{ fn: 'count', as: '_updated_at' }] }] }))).toMatch(/gold column _updated_at is reserved/);
  });
});

describe('silver columns', () => {
  it('are the contract columns, the audit columns, then kept columns under predictable names', () => {
    const c = parseContract(base());
    const names = silverColumns(c, ['Region Code', 'ID', '2nd', 'region code', '_source_key']).map((x) => `${x.name}:${x.type}`);
    expect(names).toEqual([
      'id:string',
      'n:integer',
      'amt:decimal(38,0)',
      's:string',
      'ok:boolean',
      'day:date',
      '_source_key:string',
      '_source_version:string',
      '_ingested_at:timestamp',
      '_source_line:integer',
      '_contract_version:integer',
      'region_code:string',
      'id_2:string',
      '_2nd:string',
      'region_code_2:string',
      '_source_key_2:string',
    ]);
  });

  it('kept names are valid, distinct (case-insensitively) and never a contract or reserved name (property)', () => {
    const c = parseContract(base());
    fc.assert(
      fc.property(fc.uniqueArray(fc.string({ maxLength: 8 }), { maxLength: 12 }), (source) => {
        const kept = keptColumnNames(c, source);
        const all = [...c.columns.map((x) => x.name), ...AUDIT_COLUMNS.map((x) => x.name), 'dt', ...kept].map((n) => n.toLowerCase());
        expect(new Set(all).size).toBe(all.length);
        for (const n of kept) expect(n).toMatch(/^[a-z_][a-z0-9_]*$/);
      }),
    );
  });

  it('every silver row says where it came from: key, version, landing time, line, contract version', async () => {
    const contract = parseContract(
      base({
        columns: [
          { name: 'id', type: 'string' },
          { name: 'n', type: 'integer' },
        ],
        keys: ['id'],
      }),
    );
    const workDir = mkdtempSync(join(tmpdir(), 'audit-'));
    const landed = Date.UTC(2026, 10, 22, 8, 30, 15, 123);
    const r = await runStage({
      contract,
      source: bytes('id,n\na,1\n"b\nc",2\na,3\nd,4\n'),
      dataset: 't',
      key: 'landing/t/f.csv',
      ingestDate: '2026-11-22',
      workDir,
      fileId: 'f',
      sourceVersion: 'v-123',
      ingestedAt: landed,
    });
    const rows = await readParquetObjects(r.silver[0].path);
    expect(rows.map((x) => [x.id, x._source_key, x._source_version, (x._ingested_at as Date).getTime(), x._source_line, x._contract_version])).toEqual([
      ['a', 'landing/t/f.csv', 'v-123', landed, 2n, 3n],
      ['b\nc', 'landing/t/f.csv', 'v-123', landed, 3n, 3n],
      ['d', 'landing/t/f.csv', 'v-123', landed, 6n, 3n],
    ]);
    // The stage reports the same column list the catalog derives from the contract.
    expect(r.columns.map((c) => c.name)).toEqual(silverColumns(contract).map((c) => c.name));
  });

  it('a JSON array record carries the line its element starts on (blank lines before the array counted), as CSV and JSON Lines do', async () => {
    const contract = parseContract(
      base({
        format: { type: 'json' },
        columns: [
          { name: 'id', type: 'string' },
          { name: 'n', type: 'integer' },
        ],
      }),
    );
    const r = await runStage({
      contract,
      source: bytes('\n\n[\n  {"id": "a", "n": 1},\n  {\n    "id": "b",\n    "n": 2\n  }, {"id": "c", "n": 3}\n]\n'),
      dataset: 't',
      key: 'landing/t/f.json',
      ingestDate: '2026-11-22',
      workDir: mkdtempSync(join(tmpdir(), 'audit-')),
      fileId: 'f',
    });
    const rows = await readParquetObjects(r.silver[0].path);
    expect(rows.map((x) => [x.id, x._source_line])).toEqual([
      ['a', 4n],
      ['b', 5n],
      ['c', 8n],
    ]);
  });
});

describe('exact gold', () => {
  const contract = parseContract(
    base({
      gold: [
        {
          name: 'g',
          groupBy: ['s'],
          measures: [
            { fn: 'sum', column: 'n', as: 'sn' },
            { fn: 'sum', column: 'amt', as: 'sa' },
            { fn: 'min', column: 'id', as: 'lo' },
            { fn: 'max', column: 'id', as: 'hi' },
          ],
        },
      ],
    }),
  );
  const row = (s: string, n: Typed, amt: Typed, id: string): Typed[] => [id, n, amt, s, null, null];

  it('sums integers exactly past 2^53, in one pass or merged from partials', () => {
    const a = new Aggregator(contract.gold[0], contract);
    a.addRow(row('x', 9007199254740991, 0, 'a'));
    a.addRow(row('x', 2, 0, 'b'));
    expect(a.rows()[0][1]).toBe(9007199254740993n);
    const m = new Aggregator(contract.gold[0], contract);
    m.merge(JSON.parse(JSON.stringify(a.toPartial())));
    m.merge(JSON.parse(JSON.stringify(a.toPartial())));
    expect(m.rows()[0][1]).toBe(18014398509481986n);
  });

  it('refuses a sum past DECIMAL(38) or BIGINT instead of wrapping it', () => {
    const nines = 10n ** 38n - 1n;
    const a = new Aggregator(contract.gold[0], contract);
    a.addRow(row('x', 1, nines, 'a'));
    a.addRow(row('x', 1, nines, 'b'));
    expect(() => a.rows()).toThrow(GoldOverflow);
    expect(() => a.checkOverflow()).toThrow(/sum\(amt\) .* does not fit decimal\(38,s\)/);
    const b = new Aggregator(contract.gold[0], contract);
    b.addRow(row('x', 2n ** 62n, 0, 'a'));
    b.addRow(row('x', 2n ** 62n, 0, 'b'));
    expect(() => b.rows()).toThrow(/does not fit a 64-bit integer/);
    b.addRow(row('x', -(2n ** 62n), 0, 'c'));
    expect(b.rows()[0][1]).toBe(2n ** 62n);
  });

  it('over merged partials, a sum past its type is null when asked (the rest of the row exact), and an average is not affected', () => {
    const c = parseContract(
      base({
        gold: [
          {
            name: 'g',
            groupBy: ['s'],
            measures: [
              { fn: 'sum', column: 'n', as: 'sn' },
              { fn: 'avg', column: 'n', as: 'an' },
              { fn: 'sum', column: 'amt', as: 'sa' },
            ],
          },
        ],
      }),
    );
    const a = new Aggregator(c.gold[0], c);
    a.addRow(row('x', 2n ** 62n, 5, 'a'));
    a.addRow(row('x', 2n ** 62n, 7, 'b'));
    const told: string[] = [];
    const [r] = a.rows((m) => told.push(m));
    expect(told).toEqual(['sn']);
    expect(r.slice(1, 4)).toEqual([null, 2 ** 62, 12]);
    expect(() => a.rows()).toThrow(GoldOverflow);
    expect(() => a.checkOverflow()).toThrow(/sum\(n\)/);
    // Only an average over that column: nothing to overflow, in the file's check or its partial.
    const avgOnly = parseContract(base({ gold: [{ name: 'g', groupBy: ['s'], measures: [{ fn: 'avg', column: 'n', as: 'an' }] }] }));
    const b = new Aggregator(avgOnly.gold[0], avgOnly);
    b.addRow(row('x', 2n ** 62n, 5, 'a'));
    b.addRow(row('x', 2n ** 62n, 7, 'b'));
    expect(() => b.checkOverflow()).not.toThrow();
    const merged = new Aggregator(avgOnly.gold[0], avgOnly);
    merged.merge(JSON.parse(JSON.stringify(b.toPartial())));
    expect(merged.rows()[0][1]).toBe(2 ** 62);
  });

  it('quarantines the file whose own sums overflow (gold.overflow)', async () => {
    const workDir = mkdtempSync(join(tmpdir(), 'ovf-'));
    const nines = '9'.repeat(38);
    const run = runStage({
      contract,
      source: bytes(`id,n,amt,s,ok,day\na,1,${nines},x,,\nb,1,${nines},x,,\n`),
      dataset: 't',
      key: 'landing/t/o.csv',
      ingestDate: '2026-11-22',
      workDir,
      fileId: 'o',
    });
    await expect(run).rejects.toThrow(DataError);
    await expect(run).rejects.toMatchObject({ reason: 'gold.overflow' });
  });

  it('orders strings by UTF-8 bytes like SQL engines (property)', () => {
    const str = fc.string({ unit: fc.constantFrom('a', 'é', '\uffff', '\ue000', '\ud7ff', '😀', '\u{10000}'), maxLength: 5 });
    fc.assert(
      fc.property(str, str, (x, y) => {
        expect(utf8Less(x, y)).toBe(Buffer.compare(Buffer.from(x), Buffer.from(y)) < 0);
      }),
    );
    const a = new Aggregator(contract.gold[0], contract);
    for (const id of ['\ufffd', '😀', 'z']) a.addRow(row('x', 1, 0, id));
    expect(a.rows()[0].slice(3, 5)).toEqual(['z', '😀']);
  });

  it('_updated_at is the latest landing time among the merged partials', () => {
    const parts = [5, 9, 7].map((t) => {
      const a = new Aggregator(contract.gold[0], contract);
      a.ingestedAt = t;
      a.addRow(row('x', 1, 0, 'a'));
      return JSON.parse(JSON.stringify(a.toPartial()));
    });
    const m = new Aggregator(contract.gold[0], contract);
    for (const p of parts) m.merge(p);
    expect(m.rows()[0].at(-1)).toBe(9);
    expect(m.columns.at(-1)).toEqual({ name: '_updated_at', type: 'timestamp', nullable: true });
  });
});

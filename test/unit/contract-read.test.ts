import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readParquetObjects } from '../parquet-read';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseContract } from '../../lambdas/core/contract/load';
import type { ContractInput } from '../../lambdas/core/contract/contract';
import { compileRules } from '../../lambdas/core/quality/rules';
import { runStage } from '../../lambdas/core/engine/stage';
import { cleanerFor } from '../../lambdas/core/typing/cells';

async function* once(text: string): AsyncGenerator<Uint8Array> {
  yield new TextEncoder().encode(text);
}

async function stage(doc: Partial<ContractInput> & Pick<ContractInput, 'columns'>, text: string, format: 'csv' | 'jsonl' = 'csv', inMemoryDedupeRows?: number) {
  const contract = parseContract({ dataset: 'd', version: 2, format: { type: format }, ...doc });
  const workDir = mkdtempSync(join(tmpdir(), 'stage-'));
  const r = await runStage({
    contract,
    source: once(text),
    dataset: 'd',
    key: 'landing/d/f',
    ingestDate: '2026-11-22',
    workDir,
    fileId: 'f',
    inMemoryDedupeRows,
    sizeBytes: text.length,
    reopen: async () => once(text),
  });
  const out = [];
  for (const s of r.silver) out.push(...(await readParquetObjects(s.path, { columns: contract.columns.map((c) => c.name) })));
  // INT64 columns come back as bigint.
  for (const o of out) for (const k of Object.keys(o)) if (typeof o[k] === 'bigint') o[k] = Number(o[k]);
  const rejects = r.quarantinePath
    ? readFileSync(r.quarantinePath, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l))
    : [];
  return { r, out, rejects };
}

describe('column source names', () => {
  const columns: ContractInput['columns'] = [
    { name: 'order_id', source: 'Order ID', type: 'string' },
    { name: 'species', source: 'Wildlife: Species', type: 'string' },
    { name: 'qty', type: 'integer' },
  ];

  it('headers with any text map to their identifiers; the file matches the current version with no warnings', async () => {
    const { r, out } = await stage({ columns }, 'Order ID,Wildlife: Species,qty\nO-1,Goose,2\n');
    expect(out).toEqual([{ order_id: 'O-1', species: 'Goose', qty: 2 }]);
    expect(r.plan.matchedVersion).toBe(2);
    expect(r.plan.warnings).toEqual([]);
    expect(r.plan.renamed).toEqual({});
  });

  it('exact matching by default; insensitive ignores case and whitespace', async () => {
    const text = 'ORDER id, wildlife:species ,QTY\nO-1,Goose,2\n';
    await expect(stage({ columns, evolution: { onMissingColumns: 'reject' } }, text)).rejects.toThrow(/missing required columns: order_id, species, qty/);
    const { r, out } = await stage({ columns, input: { headerMatch: 'insensitive' } }, text);
    expect(out).toEqual([{ order_id: 'O-1', species: 'Goose', qty: 2 }]);
    expect(r.plan.matchedVersion).toBe(2);
    await expect(stage({ columns, input: { headerMatch: 'insensitive' } }, 'Order ID,ORDERID,Wildlife: Species,qty\n')).rejects.toThrow(
      /duplicate source columns/,
    );
  });

  it('renames stay for history: an old header still maps, with its warning; history versions still match', async () => {
    const doc = { columns, evolution: { renames: { OrderNo: 'order_id' } }, history: [{ version: 1, columns: ['OrderNo', 'Wildlife: Species', 'qty'] }] };
    const { r, out } = await stage(doc, 'OrderNo,Wildlife: Species,qty\nO-9,Heron,1\n');
    expect(out).toEqual([{ order_id: 'O-9', species: 'Heron', qty: 1 }]);
    expect(r.plan.renamed).toEqual({ OrderNo: 'order_id' });
    expect(r.plan.matchedVersion).toBe(1);
  });
});

describe('nullValues, trim, emptyAs', () => {
  it('CSV: markers and empties (quoted or not) become null and take the default; emptyAs "" keeps an empty string', async () => {
    const { out, rejects } = await stage(
      {
        input: { nullValues: ['NA', 'N/A', '-'], trim: true },
        columns: [
          { name: 'id', type: 'string' },
          { name: 'n', type: 'integer', default: 0 },
          { name: 'note', type: 'string', emptyAs: '' },
          { name: 'raw', type: 'string', trim: false, nullValues: [] },
        ],
      },
      'id,n,note,raw\na, 7 ,"",  x \nb,NA, N/A ,NA\nc,"",,""\nd, - ,  ,-\n',
    );
    expect(rejects).toEqual([]);
    expect(out).toEqual([
      { id: 'a', n: 7, note: '', raw: '  x ' },
      { id: 'b', n: 0, note: null, raw: 'NA' },
      { id: 'c', n: 0, note: '', raw: null },
      { id: 'd', n: 0, note: '', raw: '-' },
    ]);
  });

  it('JSON: "" stays "" unless emptyAs is null; markers apply to strings', async () => {
    const { out } = await stage(
      {
        columns: [
          { name: 'a', type: 'string' },
          { name: 'b', type: 'string', emptyAs: null },
          { name: 'c', type: 'double', nullValues: ['NA', '-999'] },
        ],
        evolution: { onTypeChange: 'reject' },
      },
      '{"a":"","b":"","c":"NA"}\n{"a":" x","b":"y","c":1.5}\n{"a":"z","b":"w","c":-999}\n',
      'jsonl',
    );
    expect(out).toEqual([
      { a: '', b: null, c: null },
      { a: ' x', b: 'y', c: 1.5 },
      { a: 'z', b: 'w', c: null },
    ]);
  });

  it('the dedupe pre-pass reads keys the way the main pass does (trimmed, markers null)', async () => {
    const text = 'k,v\n a ,1\na,2\nNA,3\n,4\n b,5\n';
    const doc = {
      keys: ['k'],
      input: { trim: true, nullValues: ['NA'] },
      columns: [
        { name: 'k', type: 'string' as const },
        { name: 'v', type: 'integer' as const },
      ],
    };
    const mem = await stage(doc, text);
    const pre = await stage(doc, text, 'csv', 1);
    expect(pre.out).toEqual(mem.out);
    expect(mem.out.map((o) => o.v)).toEqual([1, 3, 5]);
  });

  it('a cleaner is the identity when no option is set, and idempotent when one is (property)', () => {
    const col = parseContract({ dataset: 'd', version: 1, columns: [{ name: 'a', type: 'string', trim: true, nullValues: ['NA'] }] }).columns[0];
    const plain = parseContract({ dataset: 'd', version: 1, columns: [{ name: 'a', type: 'string' }] }).columns[0];
    expect(cleanerFor(plain, 'csv')).toBeUndefined();
    const clean = cleanerFor(col, 'csv')!;
    fc.assert(
      fc.property(fc.string(), (s) => {
        const once = clean(s);
        if (once !== null) expect(clean(once)).toBe(once);
        expect(once === null).toBe(s.trim() === '' || s.trim() === 'NA');
      }),
    );
  });
});

describe('rules: not_in, negated regex, date and timestamp bounds', () => {
  const c = (rules: ContractInput['rules']) =>
    compileRules(
      parseContract({
        dataset: 'd',
        version: 1,
        columns: [
          { name: 's', type: 'string' },
          { name: 'd', type: 'date' },
          { name: 't', type: 'timestamp' },
          { name: 'n', type: 'integer' },
        ],
        rules,
      }),
    );
  const day = (iso: string) => Date.parse(`${iso}T00:00:00Z`) / 86400000;

  it('not_in forbids values; regex with match: false forbids matches', () => {
    const [notIn, re] = c([
      { rule: 'not_in', column: 'n', values: [-999, 9999] },
      { rule: 'regex', column: 's', pattern: '^TEST', match: false },
    ]);
    expect(notIn.id).toBe('not_in(n)');
    expect(notIn.check([null, null, null, -999])).toBe("n='-999' is one of the forbidden values -999, 9999");
    expect(notIn.check([null, null, null, 5])).toBeUndefined();
    expect(re.check(['TEST-1', null, null, null])).toBe("s='TEST-1' matches the forbidden pattern /^TEST/");
    expect(re.check(['A-1', null, null, null])).toBeUndefined();
  });

  it('date and timestamp bounds are written and shown as dates', () => {
    const [lo, hi] = c([
      { rule: 'min', column: 'd', value: '1990-01-01' },
      { rule: 'max', column: 't', value: '2026-01-01T00:00:00Z', exclusive: true },
    ]);
    expect(lo.check([null, day('1989-12-31'), null, null])).toBe('d=1989-12-31 is below the minimum 1990-01-01');
    expect(lo.check([null, day('1990-01-01'), null, null])).toBeUndefined();
    expect(hi.check([null, null, Date.parse('2026-01-01T00:00:00Z'), null])).toBe('t=2026-01-01T00:00:00.000Z is above the maximum 2026-01-01T00:00:00Z');
    expect(hi.check([null, null, Date.parse('2025-12-31T23:59:59Z'), null])).toBeUndefined();
  });
});

describe('source names without a header row', () => {
  it('a headerless CSV maps fields by position to source-named columns', async () => {
    const { out, r } = await stage(
      {
        format: { type: 'csv', header: false },
        columns: [
          { name: 'a', source: 'Col A', type: 'string' },
          { name: 'b', type: 'integer' },
        ],
      },
      'x,1\ny,2\n',
    );
    expect(out).toEqual([
      { a: 'x', b: 1 },
      { a: 'y', b: 2 },
    ]);
    expect(r.plan.matchedVersion).toBe(2);
  });
});

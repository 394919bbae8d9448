import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { readParquetObjects } from '../parquet-read';
import { describe, expect, it } from 'vitest';
import { loadConfig, type PipelineConfig } from '../../lib/config';
import { parseContract } from '../../lambdas/core/contract/load';
import type { ContractInput } from '../../lambdas/core/contract/contract';
import { runLocal } from '../../src/cli/local-run';

/**
 * A generated corpus of hostile inputs, each run through the real state
 * machine and handlers (pipeline run): every one must end in exactly one of
 * succeeded, or quarantined with a documented reason; never a pipeline fault.
 * Limits are lowered in the test contracts so the inputs that hit them stay
 * small (the same code paths as the defaults; sizes themselves are in
 * `npm run bench:lines`).
 */

/** The reasons README documents for a quarantined file. */
const DOCUMENTED = [
  'parse.error',
  'parse.encoding',
  'parse.limit',
  'parse.framing',
  'schema.incompatible',
  'schema.missing_columns',
  'quality.reject_ratio',
  'quality.reject_volume',
  'quality.row_count',
  'file.empty',
  'file.unsupported',
  'file.too_large',
];

const limits = {
  maxRecordLength: 200_000,
  maxFieldLength: 100_000,
  maxColumns: 300,
  maxPartitions: 40,
  maxJsonDepth: 32,
  maxDecompressedBytes: 8_000_000,
  maxCompressionRatio: 50,
  maxQuarantineBytes: 1_000_000,
};

const csvContract: ContractInput = {
  dataset: 'hcsv',
  version: 1,
  format: { type: 'csv' },
  columns: [
    { name: 'id', type: 'string', nullable: false },
    { name: 'n', type: 'integer' },
    { name: 'x', type: 'double' },
    { name: 'amount', type: 'decimal(12,2)' },
    { name: 'ts', type: 'timestamp' },
    { name: 'note', type: 'string' },
  ],
  keys: ['id'],
  partitionBy: 'ts',
  rules: [{ rule: 'length', column: 'note', max: 4 }],
  fileRules: { minRows: 0, maxRejectRatio: 0.5 },
  evolution: { onAddedColumns: 'keep', renames: {}, onMissingColumns: 'fill', onTypeChange: 'coerce' },
  limits,
};
const jsonContract: ContractInput = { ...csvContract, dataset: 'hjson', format: { type: 'jsonl' } };

const base = loadConfig('config/pipeline.json', 'dev');
const config: PipelineConfig = {
  ...base,
  datasets: [
    { ...base.datasets[0], name: 'hcsv', suffixes: ['.csv'], contract: parseContract(csvContract), contractFile: 'test' },
    { ...base.datasets[0], name: 'hjson', suffixes: ['.jsonl', '.json'], contract: parseContract(jsonContract), contractFile: 'test' },
  ],
};

const HEADER = 'id,n,x,amount,ts,note\n';
const row = (i: number, over: Partial<Record<'n' | 'x' | 'amount' | 'ts' | 'note', string>> = {}) =>
  [`r${i}`, over.n ?? String(i), over.x ?? '1.5', over.amount ?? '10.00', over.ts ?? '2026-01-02T03:04:05Z', over.note ?? 'ok'].join(',');
const rows = (n: number) => `${Array.from({ length: n }, (_, i) => row(i)).join('\n')}\n`;
const jrow = (i: number, extra: string = '') => `{"id":"r${i}","n":${i},"x":1.5,"amount":10.5,"ts":"2026-01-02T03:04:05Z","note":"ok"${extra}}`;

type Outcome = 'succeeded' | `quarantined:${string}`;
interface Case {
  name: string;
  dataset: 'hcsv' | 'hjson';
  file: string;
  data: string | Uint8Array;
  expect: Outcome;
  /** Checks on the manifest / outputs beyond the outcome. */
  check?: (r: Awaited<ReturnType<typeof runLocal>>, root: string) => void | Promise<void>;
}

const deep = (d: number) => `${'['.repeat(d)}1${']'.repeat(d)}`;
const bytes = (...b: number[]) => new Uint8Array(b);

const CASES: Case[] = [
  { name: 'good csv', dataset: 'hcsv', file: 'good.csv', data: HEADER + rows(20), expect: 'succeeded' },
  {
    name: 'line longer than maxRecordLength',
    dataset: 'hcsv',
    file: 'longline.csv',
    data: `${HEADER + row(1, { note: 'y'.repeat(300_000) })}\n`,
    expect: 'quarantined:parse.limit',
  },
  {
    name: 'quoted field past maxFieldLength across chunks',
    dataset: 'hcsv',
    file: 'longfield.csv',
    data: `${HEADER}r1,1,1.5,1.00,2026-01-01T00:00:00Z,"${'a\n'.repeat(60_000)}"\n`,
    expect: 'quarantined:parse.limit',
  },
  {
    name: 'too many columns',
    dataset: 'hcsv',
    file: 'wide.csv',
    data: `${HEADER + Array.from({ length: 400 }, () => 'x').join(',')}\n`,
    expect: 'quarantined:parse.limit',
  },
  { name: 'header-only huge header', dataset: 'hcsv', file: 'hugeheader.csv', data: `id,${'c'.repeat(150_000)}\n`, expect: 'quarantined:parse.limit' },
  {
    name: 'too many partitions',
    dataset: 'hcsv',
    file: 'parts.csv',
    data: `${HEADER + Array.from({ length: 60 }, (_, i) => row(i, { ts: `${new Date(Date.UTC(2026, 0, 1 + i)).toISOString().slice(0, 19)}Z` })).join('\n')}\n`,
    expect: 'quarantined:parse.limit',
  },
  {
    name: 'gzip bomb (ratio)',
    dataset: 'hcsv',
    file: 'bomb.csv',
    data: gzipSync(Buffer.concat([Buffer.from(HEADER), Buffer.alloc(40_000_000, 0x0a)])),
    expect: 'quarantined:file.too_large',
  },
  {
    name: 'decompressed past maxDecompressedBytes',
    dataset: 'hcsv',
    file: 'big.csv',
    data: gzipSync(HEADER + rows(200_000)),
    expect: 'quarantined:file.too_large',
  },
  {
    name: 'semicolon delimiter',
    dataset: 'hcsv',
    file: 'semi.csv',
    data: 'id;n;x;amount;ts;note\nr1;1;1.5;1.00;2026-01-01T00:00:00Z;a\n',
    expect: 'quarantined:parse.framing',
    check: (r) => expect(r.manifest!.failure!.message).toMatch(/delimiter looks like ';'/),
  },
  {
    name: 'tab delimiter',
    dataset: 'hcsv',
    file: 'tab.csv',
    data: 'id\tn\tx\tamount\tts\tnote\nr1\t1\t1.5\t1.00\t2026-01-01T00:00:00Z\ta\n',
    expect: 'quarantined:parse.framing',
  },
  {
    name: 'CR-only line endings',
    dataset: 'hcsv',
    file: 'cr.csv',
    data: (HEADER + rows(5)).replace(/\n/g, '\r'),
    expect: 'quarantined:parse.framing',
    check: (r) => expect(r.manifest!.failure!.message).toMatch(/CR-only/),
  },
  {
    name: 'CR-only line endings, larger than maxRecordLength',
    dataset: 'hcsv',
    file: 'crbig.csv',
    data: (HEADER + rows(8000)).replace(/\n/g, '\r'),
    expect: 'quarantined:parse.framing',
    check: (r) => expect(r.manifest!.failure!.message).toMatch(/CR-only/),
  },
  {
    name: 'UTF-16 LE with BOM',
    dataset: 'hcsv',
    file: 'u16.csv',
    data: Buffer.concat([bytes(0xff, 0xfe), Buffer.from(HEADER + rows(3), 'utf16le')]),
    expect: 'quarantined:parse.framing',
  },
  {
    name: 'UTF-16 LE without BOM',
    dataset: 'hcsv',
    file: 'u16nobom.csv',
    data: Buffer.from(HEADER + rows(3), 'utf16le'),
    expect: 'quarantined:parse.framing',
    check: (r) => expect(r.manifest!.failure!.message).toMatch(/UTF-16/),
  },
  {
    name: 'binary',
    dataset: 'hcsv',
    file: 'bin.csv',
    data: bytes(0x00, 0x01, 0x02, 0x00, 0x7f, 0x00, 0x00, 0x10, 0xff, 0x00),
    expect: 'quarantined:parse.framing',
  },
  {
    name: 'zip sent as csv',
    dataset: 'hcsv',
    file: 'zip.csv',
    data: bytes(0x50, 0x4b, 0x03, 0x04, 0x14, 0x00, 0x00, 0x00),
    expect: 'quarantined:parse.framing',
  },
  { name: 'JSON document as csv', dataset: 'hcsv', file: 'doc.csv', data: '[{"id":"a","n":1}]\n', expect: 'quarantined:parse.framing' },
  { name: 'blank header', dataset: 'hcsv', file: 'blank.csv', data: ',,,\nr1,1,2,3\n', expect: 'quarantined:parse.framing' },
  {
    name: 'invalid UTF-8 reported at its own byte',
    dataset: 'hcsv',
    file: 'badutf8.csv',
    data: Buffer.concat([Buffer.from(`${HEADER}r1,1,1.5,1.00,2026-01-01T00:00:00Z,abc\nr2,2,1.5,1.00,2026-01-01T00:00:00Z,`), bytes(0xff, 0x0a)]),
    expect: 'quarantined:parse.encoding',
    check: (r) => expect(r.manifest!.failure!.message).toMatch(/at byte 96: 0xff/),
  },
  {
    name: 'unterminated quote',
    dataset: 'hcsv',
    file: 'unterminated.csv',
    data: `${HEADER}r1,1,1.5,1.00,2026-01-01T00:00:00Z,"open\n`,
    expect: 'quarantined:parse.error',
  },
  { name: 'empty file', dataset: 'hcsv', file: 'empty.csv', data: '', expect: 'quarantined:file.empty' },
  {
    name: 'INT64 beyond 2^53, strict doubles, bad offsets: row rejects, exact values kept',
    dataset: 'hcsv',
    file: 'values.csv',
    data: `${HEADER + [row(1, { n: '9223372036854775807' }), row(2, { n: '9223372036854775808' }), row(3, { x: '1e400' }), row(4, { x: 'Infinity' }), row(5, { x: '0x10' }), row(6, { x: '0b11' }), row(7, { ts: '2026-01-01T00:00:00+25:00' }), row(8, { ts: '2026-01-01T00:00:00-99:99' }), row(9, { note: '😀😀' }), ...Array.from({ length: 12 }, (_, i) => row(10 + i))].join('\n')}\n`,
    expect: 'succeeded',
    check: (r, root) => {
      expect(r.manifest!.counts).toMatchObject({ rowsIn: 21, rowsOut: 14, rowsQuarantined: 7 });
      expect(r.manifest!.reasons).toMatchObject({ 'type(n)': 1, 'type(x)': 4, 'type(ts)': 2 });
      return (async () => {
        const silver = await readParquetObjects(join(root, 'lake-bucket', r.manifest!.outputs.silver[0]));
        expect(silver.find((x) => x.id === 'r1')!.n).toBe(9223372036854775807n);
      })();
    },
  },
  {
    name: 'empty key and the text null do not collide',
    dataset: 'hcsv',
    file: 'nullkey.csv',
    data: `${HEADER}null,1,1,1.00,2026-01-01T00:00:00Z,a\n,2,1,1.00,2026-01-01T00:00:00Z,b\n`,
    expect: 'succeeded',
    check: (r) => expect(r.manifest!.counts).toMatchObject({ rowsOut: 1, rowsQuarantined: 1, rowsDeduplicated: 0 }),
  },
  {
    name: 'quarantined rows keep extra fields and metadata-named columns',
    dataset: 'hcsv',
    file: 'meta.csv',
    data: `id,n,x,amount,ts,note,_rule,_line,_raw\n${Array.from({ length: 6 }, (_, i) => `r${i},1,1,1.00,2026-01-01T00:00:00Z,ok,R,L,W`).join('\n')}\nr9,zz,1,1.00,2026-01-01T00:00:00Z,ok,R,L,W,extra1,extra2\nr10,zz,1,1.00,2026-01-01T00:00:00Z,ok,R,L,W\n`,
    expect: 'succeeded',
    check: (r, root) => {
      const lines = readFileSync(join(root, 'lake-bucket', r.manifest!.outputs.quarantineRows!), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      expect(lines[0]).toMatchObject({ _rule: 'parse.field_count', _extra: ['extra1', 'extra2'], row: { _rule: 'R', _line: 'L', _raw: 'W', id: 'r9' } });
      expect(lines[1]).toMatchObject({ _rule: 'type(n)', row: { _rule: 'R', _line: 'L', _raw: 'W', n: 'zz' } });
      expect(lines[1]._raw).toBeUndefined();
    },
  },
  {
    name: 'reject ratio: manifest counts and the row file',
    dataset: 'hcsv',
    file: 'ratio.csv',
    data: `${HEADER + Array.from({ length: 10 }, (_, i) => row(i, { n: i < 7 ? 'bad' : '1' })).join('\n')}\n`,
    expect: 'quarantined:quality.reject_ratio',
    check: (r, root) => {
      expect(r.manifest!.counts).toMatchObject({ rowsIn: 10, rowsQuarantined: 7 });
      expect(
        readFileSync(join(root, 'lake-bucket', r.manifest!.outputs.quarantineRows!), 'utf8')
          .trim()
          .split('\n'),
      ).toHaveLength(7);
    },
  },
  {
    // Every row bad, and their quarantine rows (JSON with column names) pass the budget long
    // before the end of the file: stopped there, not written to the last row.
    name: 'reject volume: stopped at the budget, counts so far and the rows written so far',
    dataset: 'hcsv',
    file: 'volume.csv',
    data: `${HEADER + Array.from({ length: 20_000 }, (_, i) => row(i, { n: 'bad' })).join('\n')}\n`,
    expect: 'quarantined:quality.reject_volume',
    check: (r, root) => {
      const c = r.manifest!.counts;
      expect(c.rowsQuarantined).toBe(c.rowsIn);
      expect(c.rowsIn).toBeGreaterThan(1000);
      expect(c.rowsIn).toBeLessThan(20_000);
      const rows = readFileSync(join(root, 'lake-bucket', r.manifest!.outputs.quarantineRows!));
      expect(rows.length).toBeLessThanOrEqual(1_000_000);
      expect(rows.length).toBeGreaterThan(900_000);
      expect(r.manifest!.failure?.message).toMatch(/limits\.maxQuarantineBytes.*rows read.*type\(n\)=/);
    },
  },
  { name: 'good jsonl', dataset: 'hjson', file: 'good.jsonl', data: Array.from({ length: 10 }, (_, i) => jrow(i)).join('\n'), expect: 'succeeded' },
  { name: 'jsonl of {} records', dataset: 'hjson', file: 'empty-objects.jsonl', data: '{}\n{}\n{}\n', expect: 'quarantined:schema.incompatible' },
  { name: 'whitespace-only jsonl', dataset: 'hjson', file: 'blank.jsonl', data: '  \n\n \t \n', expect: 'quarantined:file.empty' },
  {
    name: 'deep nesting and wide records are row rejects',
    dataset: 'hjson',
    file: 'deep.jsonl',
    data: [
      ...Array.from({ length: 8 }, (_, i) => jrow(i)),
      jrow(8, `,"deep":${deep(5000)}`),
      `{${Array.from({ length: 500 }, (_, i) => `"k${i}":1`).join(',')}}`,
    ].join('\n'),
    expect: 'succeeded',
    check: (r) => expect(r.manifest!.counts).toMatchObject({ rowsIn: 10, rowsOut: 8, rowsQuarantined: 2 }),
  },
  {
    name: 'JSON integers beyond 2^53 stay exact and distinct',
    dataset: 'hjson',
    file: 'bigint.jsonl',
    data: [
      '{"id":"a","n":12345678901234567891}',
      '{"id":12345678901234567891,"n":1}',
      '{"id":12345678901234567892,"n":1}',
      '{"id":"b","n":9007199254740993}',
      '{"id":"c","x":1e400}',
      '{"id":"d","note":"\\ud800"}',
    ].join('\n'),
    expect: 'succeeded',
    check: (r) => expect(r.manifest!.counts).toMatchObject({ rowsIn: 6, rowsOut: 3, rowsQuarantined: 3, rowsDeduplicated: 0 }),
  },
  {
    name: 'JSON array in a jsonl dataset (.json)',
    dataset: 'hjson',
    file: 'arr.json',
    data: `[\n${Array.from({ length: 5 }, (_, i) => jrow(i)).join(',\n')}\n]`,
    expect: 'succeeded',
    check: (r) => expect(r.manifest!.counts.rowsOut).toBe(5),
  },
  { name: 'truncated JSON array', dataset: 'hjson', file: 'trunc.json', data: `[${jrow(1)},${jrow(2)}`, expect: 'quarantined:parse.error' },
  {
    name: 'JSON array element past maxRecordLength',
    dataset: 'hjson',
    file: 'longel.json',
    data: `[${jrow(1, `,"big":"${'z'.repeat(250_000)}"`)}]`,
    expect: 'quarantined:parse.limit',
  },
  {
    name: 'jsonl line past maxRecordLength',
    dataset: 'hjson',
    file: 'longline.jsonl',
    data: jrow(1, `,"big":"${'z'.repeat(250_000)}"`),
    expect: 'quarantined:parse.limit',
  },
];

const store = () => mkdtempSync(join(tmpdir(), 'pipeline-hostile-'));

async function run(c: { dataset: string; file: string; data: string | Uint8Array }, root = store()) {
  const dir = mkdtempSync(join(tmpdir(), 'hostile-in-'));
  const path = join(dir, c.file);
  writeFileSync(path, c.data);
  const t0 = performance.now();
  const r = await runLocal(path, c.dataset, { config, storeRoot: root, retryWaitMs: 0 });
  return { r, root, ms: performance.now() - t0 };
}

const outcome = (r: Awaited<ReturnType<typeof runLocal>>): Outcome =>
  r.status === 'succeeded' ? 'succeeded' : `quarantined:${r.manifest?.failure?.reason ?? `<${r.status}, no manifest>`}`;

describe('hostile corpus: every input ends succeeded or quarantined with a documented reason', () => {
  for (const c of CASES) {
    it(c.name, async () => {
      const { r, root, ms } = await run(c);
      expect(outcome(r)).toBe(c.expect);
      expect(r.manifest).toBeDefined();
      if (r.status !== 'succeeded') {
        expect(r.status).toBe('quarantined');
        expect(DOCUMENTED).toContain(r.manifest!.failure!.reason);
        expect(r.manifest!.failure!.message.length).toBeLessThan(10_000);
      }
      await c.check?.(r, root);
      expect(ms).toBeLessThan(20_000);
    });
  }

  it('random damage to a good file never ends in a pipeline fault (property)', async () => {
    const good = Buffer.from(HEADER + rows(30));
    const damage = fc.array(fc.record({ at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }), op: fc.constantFrom('set', 'insert', 'delete', 'dup') }), {
      minLength: 1,
      maxLength: 6,
    });
    await fc.assert(
      fc.asyncProperty(damage, fc.constantFrom('hcsv', 'hjson'), async (ops, dataset) => {
        let b = dataset === 'hcsv' ? [...good] : [...Buffer.from(Array.from({ length: 10 }, (_, i) => jrow(i)).join('\n'))];
        for (const o of ops) {
          const i = o.at % (b.length + 1);
          if (o.op === 'set' && i < b.length) b[i] = o.byte;
          else if (o.op === 'insert') b.splice(i, 0, o.byte);
          else if (o.op === 'delete') b.splice(i, 1);
          else b = [...b.slice(0, i), ...b.slice(i, i + 40), ...b.slice(i)];
        }
        const { r } = await run({ dataset, file: dataset === 'hcsv' ? 'fuzz.csv' : 'fuzz.jsonl', data: new Uint8Array(b) });
        expect(r.manifest).toBeDefined();
        expect(['succeeded', 'quarantined']).toContain(r.status);
        if (r.status === 'quarantined') expect(DOCUMENTED).toContain(r.manifest!.failure!.reason);
      }),
      { numRuns: 40 },
    );
  }, 120_000);

  it('stays under 1 GB of memory across the corpus', () => {
    expect(process.memoryUsage().rss).toBeLessThan(1024 ** 3);
  });
});

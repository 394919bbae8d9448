import { execFileSync } from 'node:child_process';
import * as zlib from 'node:zlib';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import fc from 'fast-check';
import { asyncBufferFromFile, parquetMetadataAsync, snappyUncompress as hyparquetSnappy } from 'hyparquet';
import { describe, expect, it } from 'vitest';
import { PartitionedParquetWriter, type OutColumn } from '../../lambdas/core/parquet/writer';
import { compress, ZSTD_RAW_BELOW } from '../../lambdas/core/parquet/compress';
import { ParquetFileWriter } from '../../lambdas/core/parquet/encoder';
import { STAT_BYTES, truncateMax, truncateMin } from '../../lambdas/core/parquet/stats';
import { snappyCompress, snappyUncompress } from '../../lambdas/core/parquet/snappy';
import { readParquetObjects } from '../parquet-read';

/**
 * The Parquet format's finer points: the Snappy codec, string statistics
 * (UTF-8 byte order, truncation that still bounds), and descriptors bounded
 * however many partitions one file spreads over.
 */

const utf8 = new TextEncoder();
const bytesLess = (a: Uint8Array, b: Uint8Array) => Buffer.compare(a, b) < 0;
const tmp = () => mkdtempSync(join(tmpdir(), 'pqf-'));

describe('Snappy', () => {
  it("round-trips through our decoder and hyparquet's (property)", () => {
    const data = fc.oneof(
      fc.uint8Array({ maxLength: 3000 }),
      // Repetitive input, so copies of every length and offset occur.
      fc
        .tuple(fc.uint8Array({ minLength: 1, maxLength: 40 }), fc.integer({ min: 1, max: 5000 }))
        .map(([unit, n]) => Uint8Array.from({ length: n }, (_, i) => unit[i % unit.length] ^ (i % 97 === 0 ? 1 : 0))),
    );
    fc.assert(
      fc.property(data, (src) => {
        const z = snappyCompress(src);
        expect(Buffer.compare(snappyUncompress(z), src)).toBe(0);
        const out = new Uint8Array(src.length);
        hyparquetSnappy(z, out);
        expect(Buffer.compare(out, src)).toBe(0);
      }),
      { numRuns: 300 },
    );
  });

  it('compresses blocks past 64 KB and long literal runs', () => {
    const big = Uint8Array.from({ length: 300_000 }, (_, i) => (i * 2654435761) >>> 24);
    const text = utf8.encode('landing-to-lake '.repeat(20_000));
    for (const src of [big, text]) expect(Buffer.compare(snappyUncompress(snappyCompress(src)), src)).toBe(0);
    expect(snappyCompress(text).length).toBeLessThan(text.length / 10);
  });
});

describe('string statistics', () => {
  // U+FEFF (a default TextDecoder drops it at the start), and characters whose successor is a byte longer.
  const str = fc.string({
    unit: fc.constantFrom('a', 'z', 'é', '\uffff', '\ud7ff', '\ue000', '😀', '\u{10ffff}', '東', '\ufeff', '\u007f', '\u07ff', 'ÿ'),
    maxLength: 100,
  });

  it('truncated min is a lower bound and truncated max an upper bound, in UTF-8 byte order (property)', () => {
    fc.assert(
      fc.property(str, fc.integer({ min: 1, max: 70 }), (s, limit) => {
        const b = utf8.encode(s);
        const lo = truncateMin(b, limit);
        expect(bytesLess(b, lo)).toBe(false);
        expect(lo.length).toBeLessThanOrEqual(limit);
        const hi = truncateMax(b, limit);
        if (hi === undefined) return; // no character kept can be incremented within the limit (U+10FFFF runs)
        expect(bytesLess(hi, b)).toBe(false);
        expect(hi.length).toBeLessThanOrEqual(limit);
        // Valid UTF-8: readers decode statistics as strings.
        expect(utf8.encode(new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(hi))).toEqual(hi);
      }),
      { numRuns: 3000 },
    );
    // The reviewer's cases: a long max starting with U+FEFF; a successor a byte longer at the cut.
    const bom = utf8.encode(`\ufeff${'x'.repeat(80)}`);
    expect(bytesLess(truncateMax(bom)!, bom)).toBe(false);
    expect(truncateMax(utf8.encode(`${'a'.repeat(63)}\u007fzz`))!.length).toBeLessThanOrEqual(STAT_BYTES);
    expect(truncateMax(utf8.encode(`a${'\uffff'.repeat(22)}`))!.length).toBeLessThanOrEqual(STAT_BYTES);
  });

  it('orders by UTF-8 bytes, not UTF-16 (U+FFFD sorts before 😀), in dictionary and PLAIN chunks alike', async () => {
    const cols: OutColumn[] = [{ name: 's', type: 'string', nullable: true }];
    for (const n of [3, 6000]) {
      const path = join(tmp(), 'a.parquet');
      const w = new ParquetFileWriter(path, cols);
      w.appendRow(['\ufffd']);
      w.appendRow(['😀']);
      w.appendRow([null]);
      for (let i = 3; i < n; i++) w.appendRow([`b${i}`]);
      w.finish();
      const meta = await parquetMetadataAsync(await asyncBufferFromFile(path));
      const st = meta.row_groups[0].columns[0].meta_data!;
      expect(st.encodings.includes('RLE_DICTIONARY')).toBe(n === 3);
      expect([st.statistics!.min_value, st.statistics!.max_value]).toEqual(n === 3 ? ['\ufffd', '😀'] : ['b10', '😀']);
    }
  });

  it('a long max is cut and rounded up, and flagged inexact', async () => {
    const path = join(tmp(), 'long.parquet');
    const w = new ParquetFileWriter(path, [{ name: 's', type: 'string', nullable: false }]);
    const long = `${'k'.repeat(STAT_BYTES - 1)}東京`;
    w.appendRow([long]);
    w.appendRow(['a'.repeat(200)]);
    w.finish();
    const st = (await parquetMetadataAsync(await asyncBufferFromFile(path))).row_groups[0].columns[0].meta_data!.statistics!;
    expect(st.min_value).toBe('a'.repeat(STAT_BYTES));
    // 東 does not fit whole in 64 bytes: the bound is the 63 k's with the last one rounded up.
    expect(st.max_value).toBe(`${'k'.repeat(STAT_BYTES - 2)}l`);
    expect([st.is_min_value_exact, st.is_max_value_exact]).toEqual([false, false]);
  });
});

describe('open files', () => {
  const cols: OutColumn[] = [
    { name: 'k', type: 'string', nullable: false },
    { name: 'n', type: 'integer', nullable: true },
  ];

  it('3,000 partitions in one input keep at most 64 descriptors open, and every file reads back whole', async () => {
    const dir = tmp();
    const w = new PartitionedParquetWriter(cols, (p) => join(dir, `dt=${p}`, 'f.parquet'), 1_000_000, {}, 1 << 20);
    const want = new Map<string, number>();
    let maxOpen = 0;
    for (let i = 0; i < 30_000; i++) {
      const p = `d${(i * 7919) % 3000}`;
      w.append(p, [p, i]);
      want.set(p, (want.get(p) ?? 0) + 1);
      maxOpen = Math.max(maxOpen, w.openFiles);
    }
    const files = w.finish();
    expect(maxOpen).toBeLessThanOrEqual(64);
    expect(w.openFiles).toBe(0);
    expect(files).toHaveLength(3000);
    for (const f of [files[0], files[1234], files[2999]]) {
      const rows = await readParquetObjects(f.path);
      expect(rows.length).toBe(want.get(f.partition));
      expect(rows.every((r) => r.k === f.partition)).toBe(true);
    }
  }, 60_000);

  it('the stage turns 3,000 dates in one file into 3,000 silver files under ulimit -n 256', () => {
    const dir = tmp();
    const csv = [
      'id,day,n',
      ...Array.from({ length: 15_000 }, (_, i) => `r${i},${new Date(Date.UTC(2000, 0, 1) + ((i * 7919) % 3000) * 86400000).toISOString().slice(0, 10)},${i}`),
    ].join('\n');
    writeFileSync(join(dir, 'in.csv'), csv);
    const script = join(dir, 'run.ts');
    writeFileSync(
      script,
      `import { readFileSync } from 'node:fs';
import { parseContract } from ${JSON.stringify(resolve('lambdas/core/contract/load.ts'))};
import { runStage } from ${JSON.stringify(resolve('lambdas/core/engine/stage.ts'))};
const contract = parseContract({ dataset: 'many', version: 1, columns: [{ name: 'id', type: 'string' }, { name: 'day', type: 'date' }, { name: 'n', type: 'integer' }], partitionBy: 'day' });
async function* src() { yield readFileSync(${JSON.stringify(join(dir, 'in.csv'))}); }
runStage({ contract, source: src(), dataset: 'many', key: 'landing/many/in.csv', ingestDate: '2026-01-01', workDir: ${JSON.stringify(join(dir, 'work'))}, fileId: 'f' })
  .then((r) => console.log(JSON.stringify({ files: r.silver.length, rows: r.counts.rowsOut })));
`,
    );
    const tsx = resolve('node_modules/tsx/dist/loader.mjs');
    const out = execFileSync('bash', ['-c', `ulimit -n 256 && exec "${process.execPath}" --import "${tsx}" "${script}"`], { encoding: 'utf8' });
    expect(JSON.parse(out.trim().split('\n').pop()!)).toEqual({ files: 3000, rows: 15_000 });
    expect(readdirSync(join(dir, 'work', 'silver'))).toHaveLength(3000);
  }, 120_000);
});

describe('ZSTD', () => {
  it('small pages go in a raw-block frame any ZSTD decoder reads; larger ones are compressed', () => {
    const zstdDecompress = zlib.zstdDecompressSync;
    for (const n of [0, 1, 7, 255, 256, ZSTD_RAW_BELOW - 1, ZSTD_RAW_BELOW, 5000]) {
      const src = Uint8Array.from({ length: n }, (_, i) => i % 3);
      const z = compress('zstd', src);
      expect(Buffer.compare(zstdDecompress(z), src)).toBe(0);
      if (n >= ZSTD_RAW_BELOW) expect(z.length).toBeLessThan(n / 4);
    }
  });
});

import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseContract } from '../../lambdas/core/contract/load';
import { CsvParser } from '../../lambdas/core/read/csv';
import { bounded, DataError, reasonFromCause, withDetails } from '../../lambdas/core/base/errors';
import { depthOf, JsonArraySplitter, parseJsonRecord } from '../../lambdas/core/read/json';
import { DEFAULT_LIMITS, limitsOf } from '../../lambdas/core/contract/limits';
import { firstInvalidUtf8, readRecords } from '../../lambdas/core/read/source';
import { codePoints, keyOf } from '../../lambdas/core/quality/rules';
import { INVALID } from '../../lambdas/core/typing/values';
import { parserFor } from '../../lambdas/core/typing/parse';
import { wallClockToUtc } from '../../lambdas/core/typing/time';

const col = (type: string, extra: Record<string, unknown> = {}) =>
  parseContract({ dataset: 'd', version: 1, columns: [{ name: 'c', type, ...extra }] }).columns[0];

describe('CSV reading cost and limits', () => {
  const read = (text: string, chunk: number, limits = {}) => {
    const p = new CsvParser({ delimiter: ',', quote: '"', limits });
    const out: string[][] = [];
    for (let i = 0; i < text.length; i += chunk) out.push(...p.push(text.slice(i, i + chunk)).map((r) => r.fields));
    out.push(...p.end().map((r) => r.fields));
    return out;
  };

  it('reads a 4 MB quoted field fed in 64 KiB chunks without rescanning the carried text', () => {
    const big = 'ab\n""c,'.repeat(600_000);
    const t0 = performance.now();
    const rows = read(`h1,h2\n1,"${big}"\n2,x\n`, 65536, { maxRecordLength: 1e8, maxFieldLength: 1e8 });
    expect(rows[1][1]).toBe(big.replaceAll('""', '"'));
    expect(rows[2]).toEqual(['2', 'x']);
    // A rescan per chunk (the old reader) takes minutes here; the bench (npm run bench:lines) has the figures.
    expect(performance.now() - t0).toBeLessThan(15_000);
  });

  it('refuses a record, a field or a width past its limit with parse.limit, whatever the chunking (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 50 }), fc.constantFrom('record', 'field', 'columns'), fc.boolean(), (chunk, which, quoted) => {
        const v = 'x'.repeat(300);
        const line = which === 'columns' ? Array(30).fill('a').join(',') : quoted ? `1,"${v}"` : `1,${v}`;
        const limits = which === 'record' ? { maxRecordLength: 200 } : which === 'field' ? { maxFieldLength: 200 } : { maxColumns: 20 };
        let err: unknown;
        try {
          read(`a,b\n${line}\n`, chunk, limits);
        } catch (e) {
          err = e;
        }
        expect(err).toBeInstanceOf(DataError);
        expect((err as DataError).reason).toBe('parse.limit');
        expect((err as DataError).message).toMatch(which === 'record' ? /maxRecordLength/ : which === 'field' ? /maxFieldLength/ : /maxColumns/);
      }),
      { numRuns: 200 },
    );
  });

  it('any text, well-formed or not, reads the same whatever the chunking (fast path and carried records agree) (property)', () => {
    const outcome = (text: string, chunk: number) => {
      try {
        const p = new CsvParser({ delimiter: ',', quote: '"' });
        const out: [string[], number][] = [];
        for (let i = 0; i < text.length; i += chunk) out.push(...p.push(text.slice(i, i + chunk)).map((r): [string[], number] => [r.fields, r.line]));
        out.push(...p.end().map((r): [string[], number] => [r.fields, r.line]));
        return out;
      } catch (e) {
        return (e as Error).message;
      }
    };
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom('a', ',', '"', '\n', '\r', ' ', 'é'), maxLength: 40 }), fc.integer({ min: 1, max: 8 }), (text, chunk) => {
        expect(outcome(text, chunk)).toEqual(outcome(text, text.length + 1));
      }),
      { numRuns: 2000 },
    );
  });

  it('CR-only line endings are named as such however small the first chunks', () => {
    const text = `a,b\r${'1,2\r'.repeat(3000)}`;
    for (const chunk of [7, 100, 65536]) expect(() => read(text, chunk, { maxRecordLength: 1e6 })).toThrow(/CR-only line endings/);
  });

  it('a lone CR inside an unquoted field is data on both the fast path and across chunks', () => {
    for (const chunk of [1, 2, 3, 100])
      expect(read('a,b\n1,x\ry\n', chunk)).toEqual([
        ['a', 'b'],
        ['1', 'x\ry'],
      ]);
  });
});

describe('values typed without silent changes', () => {
  it('integers: every INT64 is exact (a bigint past 2^53), anything wider is invalid (property)', () => {
    const p = parserFor(col('integer'));
    fc.assert(
      fc.property(fc.bigInt({ min: -(2n ** 64n), max: 2n ** 64n }), (b) => {
        const v = p(b.toString());
        if (b < -(2n ** 63n) || b >= 2n ** 63n) expect(v).toBe(INVALID);
        else expect(BigInt(v as number | bigint)).toBe(b);
      }),
      { numRuns: 500 },
    );
  });

  it('doubles: decimal text of any finite double reads back the same; infinities, hex, binary and names are invalid (property)', () => {
    const p = parserFor(col('double'));
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (d) => {
        expect(Object.is(p(String(d)), d) || (d === 0 && p(String(d)) === 0)).toBe(true);
      }),
      { numRuns: 500 },
    );
    for (const bad of ['1e400', '-1e400', 'Infinity', '-Infinity', 'NaN', '0x10', '0b11', '0o7', ' 1', '1 ', '', '.', 'e5', '1_000'])
      expect(p(bad)).toBe(INVALID);
  });

  it('UTC offsets: valid from -18:00 to +18:00 with minutes under 60 (property)', () => {
    const p = parserFor(col('timestamp'));
    fc.assert(
      fc.property(fc.constantFrom('+', '-'), fc.integer({ min: 0, max: 99 }), fc.integer({ min: 0, max: 99 }), (sign, h, m) => {
        const off = `${sign}${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}`;
        const v = p(`2026-01-01T12:00:00${off}`);
        const ok = m < 60 && h * 60 + m <= 18 * 60;
        if (!ok) expect(v).toBe(INVALID);
        else expect(v).toBe(Date.UTC(2026, 0, 1, 12) - (sign === '-' ? -1 : 1) * (h * 60 + m) * 60000);
      }),
      { numRuns: 400 },
    );
  });

  it('DST: a time in the spring gap moves forward by the gap; an ambiguous time takes the earlier offset (as java.time)', () => {
    const wall = (s: string) => Date.parse(`${s}Z`);
    // Europe/Paris: 2026-03-29 02:00 -> 03:00; 2026-10-25 03:00 -> 02:00.
    expect(new Date(wallClockToUtc(wall('2026-03-29T02:30:00'), 'Europe/Paris')).toISOString()).toBe('2026-03-29T01:30:00.000Z'); // 03:30+02:00
    expect(new Date(wallClockToUtc(wall('2026-10-25T02:30:00'), 'Europe/Paris')).toISOString()).toBe('2026-10-25T00:30:00.000Z'); // 02:30+02:00
    expect(new Date(wallClockToUtc(wall('2026-07-01T12:00:00'), 'Europe/Paris')).toISOString()).toBe('2026-07-01T10:00:00.000Z');
    expect(new Date(wallClockToUtc(wall('2026-03-08T02:30:00'), 'America/New_York')).toISOString()).toBe('2026-03-08T07:30:00.000Z'); // 03:30-04:00
  });

  it('contracts: decimal(p,s) needs 1 <= p <= 38 and s <= p; a column timezone must be a zone or an offset within ±18:00', () => {
    for (const t of ['decimal(99,2)', 'decimal(2,5)', 'decimal(0,0)', 'decimal(39,2)']) expect(() => col(t)).toThrow(/decimal/);
    for (const t of ['decimal(38,38)', 'decimal(1,0)', 'decimal(12,2)']) expect(col(t).type).toBe(t);
    for (const tz of ['+25:00', '-99:99', '+18:01', 'Mars/Olympus']) expect(() => col('timestamp', { timezone: tz })).toThrow(/timezone|zone/);
    for (const tz of ['+18:00', '-05:30', 'Europe/Paris', 'UTC']) expect(col('timestamp', { timezone: tz }).timezone).toBe(tz);
  });

  it('keys: null, empty, the text null and values holding separators never collide (property)', () => {
    const v = fc.oneof(fc.constant(null), fc.constantFrom('', 'null', '\u0000', '\u0000\u0000', '1:', ':'), fc.string());
    fc.assert(
      fc.property(fc.array(v, { minLength: 1, maxLength: 3 }), fc.array(v, { minLength: 1, maxLength: 3 }), (a, b) => {
        fc.pre(a.length === b.length);
        const idx = a.map((_, i) => i);
        expect(keyOf(a, idx) === keyOf(b, idx)).toBe(JSON.stringify(a) === JSON.stringify(b));
      }),
      { numRuns: 1000 },
    );
  });

  it('length counts code points (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), (s) => {
        expect(codePoints(s)).toBe([...s].length);
      }),
      { numRuns: 300 },
    );
  });
});

describe('JSON records', () => {
  const limits = limitsOf({ maxJsonDepth: 20, maxColumns: 50 });

  it('numbers a double cannot hold keep their source text; others stay numbers (property)', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }), fc.double({ noNaN: true, noDefaultInfinity: true }), (b, d) => {
        const text = `{"i":${b},"d":${JSON.stringify(d)}}`;
        const r = parseJsonRecord(text, limits);
        expect(r.ok).toBe(true);
        const v = (r as { value: Record<string, unknown> }).value;
        // Written back, the record is the source text: nothing was rounded.
        expect(JSON.stringify(v)).toBe(text);
      }),
      { numRuns: 500 },
    );
    expect(JSON.stringify((parseJsonRecord('{"x":1e400}', limits) as { value: unknown }).value)).toBe('{"x":1e400}');
  });

  it('depth is checked without recursion at any depth; over the limit is a record error, not a crash', () => {
    for (const d of [1, 20, 21, 5000, 200_000]) {
      const r = parseJsonRecord(`{"a":${'['.repeat(d - 1)}1${']'.repeat(d - 1)}}`, limits);
      expect(r.ok).toBe(d <= 20);
      if (!r.ok) expect(r.error).toMatch(/maxJsonDepth/);
    }
    expect(depthOf({ a: [[{}]] }, 99)).toBe(4);
    const wide = `{${Array.from({ length: 51 }, (_, i) => `"k${i}":1`).join(',')}}`;
    expect(parseJsonRecord(wide, limits)).toMatchObject({ ok: false, error: expect.stringMatching(/maxColumns/) });
  });

  it('a streamed array gives back its elements and the line each starts on, whatever the chunking (property)', () => {
    const obj = fc.dictionary(fc.string(), fc.oneof(fc.string(), fc.integer(), fc.constant(null), fc.array(fc.string(), { maxLength: 3 })), { maxKeys: 4 });
    fc.assert(
      fc.property(
        fc.array(fc.tuple(obj, fc.boolean()), { maxLength: 6 }),
        fc.array(fc.nat(), { maxLength: 6 }),
        fc.constantFrom('', ' ', '\n  ', '\r\n\n'),
        (elems, cuts, ws) => {
          const objs = elems.map(([o]) => o);
          // Some elements pretty-printed over several lines.
          const texts = elems.map(([o, pretty]) => JSON.stringify(o, null, pretty ? 2 : undefined));
          const text = `${ws}[${ws}${texts.join(`,${ws}`)}${ws}]${ws}`;
          const wantLines: number[] = [];
          let at = text.indexOf('[') + 1;
          for (const t of texts) {
            at = text.indexOf(t, at);
            wantLines.push(text.slice(0, at).split('\n').length);
            at += t.length;
          }
          const s = new JsonArraySplitter(DEFAULT_LIMITS.maxRecordLength);
          const out: string[] = [];
          const lines: number[] = [];
          let prev = 0;
          for (const c of [...cuts.map((x) => x % (text.length + 1)), text.length].sort((a, b) => a - b)) {
            out.push(...s.push(text.slice(prev, c)));
            lines.push(...s.lines);
            prev = c;
          }
          s.end();
          expect(out.map((e) => JSON.parse(e))).toEqual(objs);
          expect(lines).toEqual(wantLines);
        },
      ),
      { numRuns: 300 },
    );
    for (const bad of ['{"a":1}', '[{"a":1}', '[1,]', '[1] x']) {
      const s = new JsonArraySplitter(1000);
      expect(() => {
        s.push(bad);
        s.end();
      }).toThrow();
    }
  });
});

describe('record reader lifecycle', () => {
  it('a reader that stops at the header (Validate) closes the source, for CSV, JSON Lines and JSON arrays', async () => {
    const big = `c\n${'1\n'.repeat(300_000)}`;
    for (const [type, text, gz] of [
      ['csv', 'c\n1\n2\n', false],
      ['jsonl', '{"c":1}\n{"c":2}\n', false],
      ['json', '[{"c":1},{"c":2}]', false],
      ['csv', big, true],
    ] as const) {
      let closed = false;
      const bytes = gz ? gzipSync(text) : new TextEncoder().encode(text);
      const source = (async function* () {
        try {
          for (let i = 0; i < bytes.length; i += 7) yield bytes.subarray(i, i + 7);
        } finally {
          closed = true;
        }
      })();
      const contract = parseContract({ dataset: 'd', version: 1, format: { type }, columns: [{ name: 'c', type: 'integer' }] });
      for await (const b of readRecords(source, contract, { dataset: 'd', key: 'k' })) if (b.header) break;
      expect(closed, type).toBe(true);
    }
  });
});

describe('messages and encodings', () => {
  it('bounded messages never exceed their bound (plus marker) nor split a surrogate pair (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 400 }), fc.integer({ min: 1, max: 300 }), (s, max) => {
        const b = bounded(s, max);
        if (s.length <= max) expect(b).toBe(s);
        else {
          expect(b.length).toBeLessThan(max + 60);
          expect(b.isWellFormed()).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
    const e = new DataError('schema.incompatible', `x${'y'.repeat(50_000_000)}`, { dataset: 'd', key: 'k' });
    expect(e.message.length).toBeLessThan(5000);
  });

  it('counts and the row file reach Quarantine through the message and are taken off it again', () => {
    const e = withDetails(new DataError('quality.reject_ratio', '7 of 10 rows rejected'), { counts: { rowsIn: 10 }, quarantineRows: 'q/rows.jsonl' });
    const r = reasonFromCause('DataError', JSON.stringify({ errorType: 'DataError', errorMessage: e.message }));
    expect(r).toMatchObject({
      reason: 'quality.reject_ratio',
      message: '7 of 10 rows rejected',
      details: { counts: { rowsIn: 10 }, quarantineRows: 'q/rows.jsonl' },
    });
  });

  it('finds the first invalid UTF-8 byte (property: any valid text has none; a stray byte is found where it is)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), fc.string({ unit: 'grapheme' }), fc.constantFrom(0x80, 0xbf, 0xc0, 0xc1, 0xf5, 0xff), (a, b, bad) => {
        const pre = new TextEncoder().encode(a);
        expect(firstInvalidUtf8(new TextEncoder().encode(a + b))).toBe(-1);
        expect(firstInvalidUtf8(new Uint8Array([...pre, bad, ...new TextEncoder().encode(b)]))).toBe(pre.length);
      }),
      { numRuns: 300 },
    );
  });
});

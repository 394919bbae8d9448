import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CsvParser, parseCsv } from '../../lambdas/core/read/csv';
import { DataError } from '../../lambdas/core/base/errors';

/** Reference serializer: quote every field that needs it, RFC 4180 style. */
function toCsv(rows: string[][], eol: string): string {
  return rows.map((r) => r.map((f) => (/[",\r\n]/.test(f) || f === '' ? `"${f.replace(/"/g, '""')}"` : f)).join(',')).join(eol) + eol;
}

function feed(text: string, cuts: number[]): string[][] {
  const p = new CsvParser({ delimiter: ',', quote: '"' });
  const out: string[][] = [];
  let prev = 0;
  for (const cut of [...cuts].sort((a, b) => a - b)) {
    out.push(...p.push(text.slice(prev, cut)).map((r) => r.fields));
    prev = cut;
  }
  out.push(...p.push(text.slice(prev)).map((r) => r.fields));
  out.push(...p.end().map((r) => r.fields));
  return out;
}

const field = fc.oneof(fc.string({ unit: fc.constantFrom('a', 'b', ',', '"', '\n', '\r', ' ', 'é', '😀', '1') }), fc.string({ minLength: 1 }));

describe('CsvParser', () => {
  it('parses plain, quoted, escaped and multi-line fields', () => {
    const rows = parseCsv('a,b,c\n1,"x,y","he said ""hi"""\n2,"line1\nline2",z\n');
    expect(rows.map((r) => r.fields)).toEqual([
      ['a', 'b', 'c'],
      ['1', 'x,y', 'he said "hi"'],
      ['2', 'line1\nline2', 'z'],
    ]);
    expect(rows.map((r) => r.line)).toEqual([1, 2, 3]);
  });

  it('handles CRLF, a BOM, a missing final newline and blank lines', () => {
    const rows = parseCsv('\uFEFFid,name\r\n1,Zoë\r\n\r\n2,"a\r\nb"\r\n3,last');
    expect(rows.map((r) => r.fields)).toEqual([
      ['id', 'name'],
      ['1', 'Zoë'],
      ['2', 'a\r\nb'],
      ['3', 'last'],
    ]);
    expect(rows[3].line).toBe(6);
  });

  it('keeps empty fields and honours another delimiter', () => {
    const rows = parseCsv('a;b;c\n;;\nx;"y;z";\n', { delimiter: ';', quote: '"' });
    expect(rows.map((r) => r.fields)).toEqual([
      ['a', 'b', 'c'],
      ['', '', ''],
      ['x', 'y;z', ''],
    ]);
  });

  it('raises a DataError naming the line for an unterminated quote', () => {
    const p = new CsvParser({ delimiter: ',', quote: '"' }, { dataset: 'd', key: 'landing/d/f.csv' });
    p.push('a,b\n1,"open\n2,3\n');
    expect(() => p.end()).toThrowError(DataError);
    const q = new CsvParser({ delimiter: ',', quote: '"' }, { dataset: 'd', key: 'landing/d/f.csv' });
    q.push('a,b\n1,"open\n');
    expect(() => q.end()).toThrow(/^\[reason=parse\.error\] unterminated quoted field \[dataset=d key=landing\/d\/f\.csv line=2\]/);
  });

  it('round-trips any table through quoting, whatever the chunk boundaries (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(field, { minLength: 2, maxLength: 4 }), { minLength: 1, maxLength: 8 }).map((rows) => rows.map((r) => r.slice(0, 2))),
        fc.constantFrom('\n', '\r\n'),
        fc.array(fc.nat(), { maxLength: 6 }),
        (rows, eol, rawCuts) => {
          const text = toCsv(rows, eol);
          const cuts = rawCuts.map((c) => c % (text.length + 1));
          expect(feed(text, cuts)).toEqual(rows);
        },
      ),
      { numRuns: 400 },
    );
  });

  it('round-trips rows of different widths, 1 to 6 fields, empty fields at either end (property)', () => {
    const plain = fc.string({ unit: fc.constantFrom('a', 'b', ' ', 'é', '1'), maxLength: 5 });
    fc.assert(
      fc.property(
        fc.array(fc.array(fc.oneof(plain, field), { minLength: 1, maxLength: 6 }), { minLength: 1, maxLength: 10 }),
        fc.constantFrom('\n', '\r\n'),
        fc.array(fc.nat(), { maxLength: 6 }),
        (rows, eol, rawCuts) => {
          const text =
            rows.map((r) => r.map((f) => (/[",\r\n]/.test(f) || (f === '' && r.length === 1) ? `"${f.replace(/"/g, '""')}"` : f)).join(',')).join(eol) + eol;
          const cuts = rawCuts.map((c) => c % (text.length + 1));
          expect(feed(text, cuts)).toEqual(rows);
        },
      ),
      { numRuns: 400 },
    );
  });

  it('scans a one-column file in linear time (no delimiter to find on any line)', () => {
    const text = `${Array.from({ length: 200_000 }, (_, i) => `value-${i}`).join('\n')}\n`;
    const t0 = performance.now();
    const rows = parseCsv(text, { delimiter: ',', quote: '"' });
    expect(rows).toHaveLength(200_000);
    expect(rows[199_999].fields).toEqual(['value-199999']);
    // Rescanning the rest of the text for every line would take minutes here.
    expect(performance.now() - t0).toBeLessThan(3000);
  });

  it('never splits a multi-byte character or surrogate pair across chunks (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(fc.string({ unit: 'grapheme', minLength: 1 }), { minLength: 2, maxLength: 2 }), { minLength: 1, maxLength: 5 }),
        fc.nat(),
        (rows, cut) => {
          const text = toCsv(rows, '\n');
          const bytes = new TextEncoder().encode(text);
          const at = cut % (bytes.length + 1);
          const dec = new TextDecoder('utf-8', { fatal: true });
          const p = new CsvParser({ delimiter: ',', quote: '"' });
          const out = [...p.push(dec.decode(bytes.slice(0, at), { stream: true })), ...p.push(dec.decode(bytes.slice(at))), ...p.end()];
          expect(out.map((r) => r.fields)).toEqual(rows);
        },
      ),
      { numRuns: 200 },
    );
  });
});

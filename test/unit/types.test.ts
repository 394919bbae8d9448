import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseContract } from '../../lambdas/core/contract/load';
import type { Column } from '../../lambdas/core/contract/contract';
import { rangeParserFor } from '../../lambdas/core/typing/range-parsers';
import { civilDays, wallClockToUtc } from '../../lambdas/core/typing/time';
import { formatDecimal, parseDecimal } from '../../lambdas/core/typing/decimal';
import { INVALID } from '../../lambdas/core/typing/values';
import { contractValue, parserFor } from '../../lambdas/core/typing/parse';

const col = (type: string, extra: Partial<Column> = {}): Column => ({ name: 'c', type, nullable: true, ...extra }) as Column;

describe('typing', () => {
  it('integers: signs, bounds and junk', () => {
    const p = parserFor(col('integer'));
    expect(p('42')).toBe(42);
    expect(p('-7')).toBe(-7);
    expect(p('+3')).toBe(3);
    expect(p('1.0')).toBe(INVALID);
    expect(p('12a')).toBe(INVALID);
    expect(p('99999999999999999999')).toBe(INVALID);
  });

  it('decimals are exact scaled integers (numbers while safe, bigints beyond) with precision and scale enforced', () => {
    const spec = { precision: 6, scale: 2 };
    expect(parseDecimal('19.99', spec)).toBe(1999);
    expect(parseDecimal('-0.5', spec)).toBe(-50);
    expect(parseDecimal('.25', spec)).toBe(25);
    expect(parseDecimal('1.230', spec)).toBe(123);
    expect(parseDecimal('1.234', spec)).toBe(INVALID);
    expect(parseDecimal('10000.00', spec)).toBe(INVALID);
    expect(parseDecimal('9999.99', spec)).toBe(999999);
    expect(parseDecimal('1e3', spec)).toBe(INVALID);
    expect(parseDecimal('.', spec)).toBe(INVALID);
    expect(parseDecimal('1.', spec)).toBe(100);
    expect(parseDecimal('007.5', { precision: 3, scale: 2 })).toBe(750);
    expect(parseDecimal('+3', spec)).toBe(300);
    expect(parseDecimal('-', spec)).toBe(INVALID);
    expect(parseDecimal('1.2.3', spec)).toBe(INVALID);
    expect(parseDecimal('12345678901234567.5', { precision: 20, scale: 2 })).toBe(1234567890123456750n);
    expect(parseDecimal('90071992547409.91', { precision: 18, scale: 2 })).toBe(9007199254740991);
    expect(parseDecimal('90071992547409.92', { precision: 18, scale: 2 })).toBe(9007199254740992n);
    expect(Object.is(parseDecimal('-0.00', spec), 0)).toBe(true);
    expect(formatDecimal(-50n, 2)).toBe('-0.50');
    expect(formatDecimal(-50, 2)).toBe('-0.50');
    expect(formatDecimal(123456n, 2)).toBe('1234.56');
  });

  it('the decimal fast path agrees with the general parser (property)', () => {
    // Zero-padding past 15 characters forces the general path without changing the value.
    const pad = (s: string) => (s.startsWith('-') ? `-${s.slice(1).padStart(20, '0')}` : s.padStart(20, '0'));
    fc.assert(
      fc.property(fc.stringMatching(/^-?[0-9]{1,8}(\.[0-9]{0,4})?$/), fc.integer({ min: 0, max: 4 }), (raw, scale) => {
        const spec = { precision: 12, scale };
        expect(parseDecimal(raw, spec)).toEqual(parseDecimal(pad(raw), spec));
      }),
      { numRuns: 2000 },
    );
  });

  it('doubles and booleans', () => {
    expect(parserFor(col('double'))('3.5e2')).toBe(350);
    expect(parserFor(col('double'))('abc')).toBe(INVALID);
    const b = parserFor(col('boolean'));
    expect([b('TRUE'), b('no'), b('1'), b('maybe')]).toEqual([true, false, true, INVALID]);
  });

  it('dates: ISO, patterns, and impossible days', () => {
    const iso = parserFor(col('date'));
    expect(iso('1970-01-02')).toBe(1);
    expect(iso('2024-02-29')).toBe(19782);
    expect(iso('2023-02-29')).toBe(INVALID);
    expect(iso('2023-13-01')).toBe(INVALID);
    expect(parserFor(col('date', { format: 'dd/MM/yyyy' }))('02/01/1970')).toBe(1);
  });

  it('timestamps: offsets, zones (with DST), epochs and patterns', () => {
    const utc = parserFor(col('timestamp'));
    expect(utc('2026-11-20T10:00:00Z')).toBe(Date.UTC(2026, 10, 20, 10));
    expect(utc('2026-11-20T11:00:00+01:00')).toBe(Date.UTC(2026, 10, 20, 10));
    expect(utc('2026-11-20 10:00:00.123')).toBe(Date.UTC(2026, 10, 20, 10, 0, 0, 123));
    expect(utc('2026-11-20T25:00:00Z')).toBe(INVALID);
    expect(utc('2026-11-2/T10:00:00Z')).toBe(INVALID);
    expect(utc('2026-02-30T10:00:00Z')).toBe(INVALID);
    expect(utc('2026-11-20T10:00:60Z')).toBe(INVALID);
    expect(utc('2026-11-20T10:00:59Z')).toBe(Date.UTC(2026, 10, 20, 10, 0, 59));
    const paris = parserFor(col('timestamp', { timezone: 'Europe/Paris' }));
    expect(paris('2026-07-01T12:00:00')).toBe(Date.UTC(2026, 6, 1, 10)); // CEST, UTC+2
    expect(paris('2026-01-01T12:00:00')).toBe(Date.UTC(2026, 0, 1, 11)); // CET, UTC+1
    expect(wallClockToUtc(Date.UTC(2026, 0, 1), '-05:00')).toBe(Date.UTC(2026, 0, 1, 5));
    expect(parserFor(col('timestamp', { format: 'epoch_s' }))('86400')).toBe(86400000);
    expect(parserFor(col('timestamp', { format: 'dd/MM/yyyy HH:mm:ss' }))('20/11/2026 10:30:15')).toBe(Date.UTC(2026, 10, 20, 10, 30, 15));
  });
});

describe('typing: text that only looks right', () => {
  it("booleans: Object.prototype's names and any other text outside the accepted words are invalid (property)", () => {
    const p = parserFor(col('boolean'));
    const words = new Map(Object.entries({ true: true, false: false, t: true, f: false, '1': true, '0': false, yes: true, no: false, y: true, n: false }));
    for (const name of [...Object.getOwnPropertyNames(Object.prototype), '__proto__', 'prototype', 'hasOwnProperty'])
      expect([name, p(name)]).toEqual([name, INVALID]);
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.constantFrom(...words.keys()).map((w) => (Math.random() < 0.5 ? w.toUpperCase() : w)),
        ),
        (raw) => {
          const want = words.get(raw.toLowerCase());
          expect(p(raw)).toBe(want === undefined ? INVALID : want);
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('ISO dates: exactly YYYY-MM-DD in ASCII digits, a real calendar day; nothing Number() would also take (property)', () => {
    const p = parserFor(col('date'));
    const r = rangeParserFor(col('date'));
    const junk = fc.constantFrom(...'0123456789-+ .exXabn\t'.split(''));
    const text = fc.oneof(
      fc.array(junk, { minLength: 10, maxLength: 10 }).map((a) => a.join('')),
      fc
        .tuple(fc.array(junk, { minLength: 4, maxLength: 4 }), fc.array(junk, { minLength: 2, maxLength: 2 }), fc.array(junk, { minLength: 2, maxLength: 2 }))
        .map(([y, m, d]) => `${y.join('')}-${m.join('')}-${d.join('')}`),
      fc.date({ min: new Date('0000-01-01T00:00:00Z'), max: new Date('9999-12-31T00:00:00Z'), noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10)),
    );
    for (const bad of ['0x7E-01-01', '1e03-01-01', '-001-01-01', '2024-1 -01', '2024-+1-+1', '2024-01-1 ', ' 123-01-01', '2023-02-29'])
      expect([bad, p(bad), r(bad, 0, bad.length)]).toEqual([bad, INVALID, INVALID]);
    fc.assert(
      fc.property(text, (raw) => {
        let want: number | typeof INVALID = INVALID;
        const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(raw);
        if (m) {
          const d = new Date(0);
          d.setUTCFullYear(+m[1], +m[2] - 1, +m[3]);
          // A real day is one the calendar does not roll over (Feb 30 -> Mar 2).
          if (d.getUTCFullYear() === +m[1] && d.getUTCMonth() === +m[2] - 1 && d.getUTCDate() === +m[3]) want = d.getTime() / 86400000;
        }
        expect(p(raw)).toBe(want);
        expect(r(raw, 0, raw.length)).toBe(want);
      }),
      { numRuns: 5000 },
    );
  });

  it('contract values (defaults, listed values) given as JSON numbers: digits for numeric columns, -0 kept, text for strings', () => {
    const v = (x: number, type: string) => contractValue(x, parserFor(col(type)), type);
    expect(v(1e-7, 'decimal(10,8)')).toBe(10);
    expect(v(1e21, 'decimal(38,0)')).toBe(10n ** 21n);
    expect(v(1e21, 'integer')).toBe(INVALID); // past INT64, not 1e+21 misread
    expect(Object.is(v(-0, 'double'), -0)).toBe(true);
    expect(v(1e21, 'string')).toBe('1e+21'); // as String() spells it, like accepted_values on a string column
  });

  it("a date column's pattern with a time of day holds a real one, as a timestamp column's does", () => {
    const d = parserFor(col('date', { format: 'yyyy-MM-dd HH:mm' }));
    const t = parserFor(col('timestamp', { format: 'yyyy-MM-dd HH:mm' }));
    for (const raw of ['2024-01-01 99:99', '2024-01-01 24:00', '2024-01-01 23:60']) expect([raw, d(raw), t(raw)]).toEqual([raw, INVALID, INVALID]);
    expect(d('2024-01-01 23:59')).toBe(civilDays(2024, 1, 1));
  });

  it('wall times in a named zone in years 0-1800 take its local mean time, as java.time does (two-digit years are not 19xx)', () => {
    // Before standard time, each zone's offset was its local mean time: one constant per zone (tzdata).
    const lmt = { 'America/New_York': -(4 * 3600 + 56 * 60 + 2), 'Europe/Paris': 9 * 60 + 21, 'Asia/Tokyo': 9 * 3600 + 18 * 60 + 59 };
    for (const [zone, offsetS] of Object.entries(lmt)) {
      const p = parserFor(col('timestamp', { timezone: zone }));
      fc.assert(
        fc.property(fc.date({ min: new Date('0000-01-02T00:00:00Z'), max: new Date('1800-12-31T00:00:00Z'), noInvalidDate: true }), (d) => {
          const wall = new Date(Math.floor(d.getTime() / 1000) * 1000);
          const text = wall.toISOString().slice(0, 19);
          expect([text, p(text)]).toEqual([text, wall.getTime() - offsetS * 1000]);
        }),
        { numRuns: 300 },
      );
    }
  });
});

describe('contract schema', () => {
  const base = { dataset: 'd', version: 1, columns: [{ name: 'id', type: 'string' }] };

  it('fills defaults', () => {
    const c = parseContract(base);
    expect(c.format).toMatchObject({ type: 'csv', delimiter: ',', header: true });
    expect(c.fileRules.maxRejectRatio).toBe(0.5);
    expect(c.evolution.onAddedColumns).toBe('drop');
  });

  it('rejects unknown keys, unknown columns, bad types and bad regexes with paths', () => {
    expect(() => parseContract({ ...base, colums: [] }, 'x.json')).toThrow(/Invalid contract x\.json[\s\S]*colums/);
    expect(() => parseContract({ ...base, keys: ['nope'] })).toThrow(/keys\.0: unknown column nope/);
    expect(() => parseContract({ ...base, columns: [{ name: 'id', type: 'varchar' }] })).toThrow(/columns\.0\.type/);
    expect(() => parseContract({ ...base, rules: [{ rule: 'regex', column: 'id', pattern: '([' }] })).toThrow(/invalid regex/);
    expect(() => parseContract({ ...base, partitionBy: 'id' })).toThrow(/partitionBy must be a date or timestamp/);
    expect(() => parseContract({ ...base, history: [{ version: 1, columns: ['id'] }] })).toThrow(/older than version/);
  });

  it('range parsers (the CSV hot path) agree with the general parsers on any input (property)', () => {
    const shapes = fc.oneof(
      fc.stringMatching(/^-?[0-9]{0,17}(\.[0-9]{0,5})?$/),
      fc.stringMatching(/^[0-9]{4}-[0-9]{2}-[0-9]{2}(T[0-9]{2}:[0-9]{2}:[0-9]{2}(Z|\+01:00|\.5Z))?$/),
      // Digits' neighbours ('/' and ':') where digits belong.
      fc.stringMatching(/^[0-9/:]{4}-[0-9/:]{2}-[0-9/:]{2}(T[0-9/:]{2}:[0-9/:]{2}:[0-9/:]{2}Z)?$/),
      fc.string({ maxLength: 22 }),
    );
    const types = ['integer', 'decimal(12,2)', 'decimal(5,4)', 'decimal(18,0)', 'date', 'timestamp', 'string', 'double', 'boolean'];
    fc.assert(
      fc.property(shapes, fc.constantFrom(...types), fc.string({ maxLength: 3 }), (raw, type, pad) => {
        fc.pre(raw !== '');
        const c = col(type);
        // The value sits inside a longer string, as it does in a CSV chunk.
        expect(rangeParserFor(c)(pad + raw + pad, pad.length, pad.length + raw.length)).toEqual(parserFor(c)(raw));
      }),
      { numRuns: 5000 },
    );
  });

  it('civil days by arithmetic match the calendar, leap days included', () => {
    for (let ms = Date.UTC(1899, 0, 1); ms < Date.UTC(2101, 0, 1); ms += 86400000 * 7 + 3600000) {
      const d = new Date(ms);
      expect(civilDays(d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate())).toBe(Math.floor(ms / 86400000));
    }
    expect(civilDays(2024, 2, 29)).toBe(Date.UTC(2024, 1, 29) / 86400000);
    expect([civilDays(2023, 2, 29), civilDays(1900, 2, 29), civilDays(2026, 4, 31), civilDays(2026, 13, 1), civilDays(2026, 1, 0)]).toEqual([
      INVALID,
      INVALID,
      INVALID,
      INVALID,
      INVALID,
    ]);
  });

  it('epoch timestamps beyond what a Date holds are invalid values, not crashes', () => {
    const ms = parserFor(col('timestamp', { format: 'epoch_ms' }));
    const sec = parserFor(col('timestamp', { format: 'epoch_s' }));
    expect([ms('1795366848157'), ms('-8640000000000000'), ms('8640000000000001'), ms('99999999999999999999')]).toEqual([
      1795366848157,
      -8.64e15,
      INVALID,
      INVALID,
    ]);
    expect([sec('1795366848'), sec('8640000000001')]).toEqual([1795366848000, INVALID]);
  });
});

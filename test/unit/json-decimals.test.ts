import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { limitsOf } from '../../lambdas/core/contract/limits';
import { parseJsonRecord } from '../../lambdas/core/read/json';
import { expandExponent, parseDecimal } from '../../lambdas/core/typing/decimal';
import { fromJson, parserFor } from '../../lambdas/core/typing/parse';
import { INVALID } from '../../lambdas/core/typing/values';

/**
 * A JSON number for a decimal column is typed exactly as its digits say,
 * however it is written (plain or with an exponent, few or many digits), so
 * JSON and CSV sources of one value give one value: the reference is the
 * plain text of the same number through the CSV path's parseDecimal.
 */

const limits = limitsOf(undefined);

/** A decimal number as [digits, point]: value = 0.digits × 10^point, digits without leading zeros. */
const number = fc.record({
  neg: fc.boolean(),
  digits: fc.stringMatching(/^[1-9][0-9]{0,24}$/),
  point: fc.integer({ min: -45, max: 45 }),
});

function plain({ neg, digits, point }: { neg: boolean; digits: string; point: number }): string {
  const body =
    point <= 0
      ? `0.${'0'.repeat(-point)}${digits}`
      : point >= digits.length
        ? digits + '0'.repeat(point - digits.length)
        : `${digits.slice(0, point)}.${digits.slice(point)}`;
  return (neg ? '-' : '') + body;
}

/** The same number with an exponent: mantissa d.ddd or dd.dd, exponent chosen to match. */
function scientific({ neg, digits, point }: { neg: boolean; digits: string; point: number }, lead: number, upper: boolean): string {
  const k = Math.min(lead, digits.length);
  const mant = k < digits.length ? `${digits.slice(0, k)}.${digits.slice(k)}` : digits;
  return `${neg ? '-' : ''}${mant}${upper ? 'E' : 'e'}${point - k}`;
}

describe('JSON decimals (property)', () => {
  it('type to the value of their digits, plain or with an exponent, through the JSON reader', () => {
    fc.assert(
      fc.property(number, fc.integer({ min: 1, max: 38 }), fc.nat(38), fc.integer({ min: 1, max: 3 }), fc.boolean(), (n, p, s0, lead, upper) => {
        const s = Math.min(s0, p);
        const col = { name: 'v', type: `decimal(${p},${s})`, nullable: true } as const;
        const parse = parserFor(col as never);
        const want = parseDecimal(plain(n), { precision: p, scale: s });
        for (const text of [plain(n), scientific(n, lead, upper)]) {
          const r = parseJsonRecord(`{"v":${text}}`, limits);
          expect(r.ok).toBe(true);
          const v = (r as { value: { v: unknown } }).value.v;
          expect(fromJson(v, col as never, parse).value, `${text} in decimal(${p},${s})`).toEqual(want);
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('an integer column takes a JSON number with an exponent that a double cannot hold (its source text)', () => {
    const col = { name: 'n', type: 'integer', nullable: true } as const;
    const parse = parserFor(col as never);
    const typed = (text: string) => {
      const r = parseJsonRecord(`{"n":${text}}`, limits) as { value: { n: unknown } };
      return fromJson(r.value.n, col as never, parse).value;
    };
    expect(typed('12345678901234567e2')).toBe(1234567890123456700n);
    expect(typed('9223372036854775807e0')).toBe(9223372036854775807n);
    expect(typed('1.5e1')).toBe(15);
    expect(typed('1.25e1')).toBe(INVALID);
    expect(typed('9223372036854775808e0')).toBe(INVALID);
  });

  it('a JSON number on an epoch_ms / epoch_s timestamp column is its native type (not a type change), as its text is', () => {
    for (const [format, mul] of [
      ['epoch_ms', 1],
      ['epoch_s', 1000],
    ] as const) {
      const col = { name: 'ts', type: 'timestamp', format, nullable: true } as const;
      const parse = parserFor(col as never);
      const typed = (text: string) => {
        const r = parseJsonRecord(`{"ts":${text}}`, limits) as { value: { ts: unknown } };
        return fromJson(r.value.ts, col as never, parse);
      };
      expect(typed('1700000000000')).toEqual({ value: 1700000000000 * mul, coerced: false });
      expect(typed('1.7e12')).toEqual({ value: 1700000000000 * mul, coerced: false });
      expect(typed('-5')).toEqual({ value: -5 * mul, coerced: false });
      expect(typed('1.5').value).toBe(INVALID);
      expect(typed('"1700000000000"')).toEqual({ value: 1700000000000 * mul, coerced: false }); // text is a timestamp's usual form too
    }
  });

  it('a JSON number is its value whatever its spelling: integers written with .0 at any length, a double keeps -0', () => {
    const typed = (type: string, text: string) => {
      const col = { name: 'n', type, nullable: true } as const;
      const r = parseJsonRecord(`{"n":${text}}`, limits) as { value: { n: unknown } };
      return fromJson(r.value.n, col as never, parserFor(col as never)).value;
    };
    for (const [text, want] of [
      ['1.0', 1],
      ['12345678.0', 12345678],
      ['1234567890123456.0', 1234567890123456],
      ['12345678901234567.000', 12345678901234567n],
      ['1.00000000000000000e2', 100],
      ['9223372036854775807.0', 9223372036854775807n],
    ] as const)
      expect([text, typed('integer', text)]).toEqual([text, want]);
    for (const text of ['1.5', '12345678901234567.5', '9223372036854775808.0']) expect([text, typed('integer', text)]).toEqual([text, INVALID]);
    for (const text of ['-0', '-0.0', '-0e5']) expect(Object.is(typed('double', text), -0)).toBe(true);
    expect(Object.is(typed('double', '0'), 0)).toBe(true);
  });

  it('expandExponent: exact, and a far exponent is left for the parser to refuse', () => {
    expect(expandExponent('1e-7')).toBe('0.0000001');
    expect(expandExponent('1.2E-7')).toBe('0.00000012');
    expect(expandExponent('1e+21')).toBe('1000000000000000000000');
    expect(expandExponent('-12.50e1')).toBe('-125.0');
    expect(expandExponent('0.000e5')).toBe('0');
    expect(expandExponent('1e999999999')).toBe('1e999999999');
    expect(expandExponent('12.5')).toBe('12.5');
  });
});

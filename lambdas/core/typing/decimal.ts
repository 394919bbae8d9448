import { INVALID } from './values';

/** Exact decimals: the column type's precision and scale, parsing into a scaled integer, and formatting back. */

export interface DecimalSpec {
  precision: number;
  scale: number;
}

export function decimalSpec(type: string): DecimalSpec | undefined {
  const m = /^decimal\(\s*(\d+)\s*,\s*(\d+)\s*\)$/.exec(type);
  return m ? { precision: Number(m[1]), scale: Number(m[2]) } : undefined;
}

const DEC_RE = /^([+-]?)(\d*)(?:\.(\d*))?$/;

/**
 * A decimal is held as its scaled integer (12.34 in decimal(p,2) is 1234), exact
 * through rules, sums in gold and Parquet. Canonical form: a number while it is
 * a safe integer (|v| <= 2^53 - 1), a bigint beyond. Most values fit a double,
 * and a BigInt per value cost ~6% of the stage (allocation, then conversions in
 * gold and the Parquet writer). Producers return the canonical form, so equal
 * decimals are === equal (gold group keys rely on it).
 */
export type Scaled = number | bigint;

/** The canonical form of a scaled decimal (see Scaled). */
export function canonicalDecimal(v: bigint): Scaled {
  return v <= 9007199254740991n && v >= -9007199254740991n ? Number(v) : v;
}

export function parseDecimal(raw: string, spec: DecimalSpec): Scaled | typeof INVALID {
  // Fast path: plain [-]digits[.digits] short enough to be exact as a double.
  if (raw.length <= 15) {
    let n = 0;
    let frac = -1;
    let i = raw.charCodeAt(0) === 45 ? 1 : 0;
    const neg = i === 1;
    let digits = 0;
    for (; i < raw.length; i++) {
      const c = raw.charCodeAt(i);
      if (c === 46 && frac < 0) {
        frac = 0;
        continue;
      }
      if (c < 48 || c > 57) break;
      n = n * 10 + (c - 48);
      digits++;
      if (frac >= 0) frac++;
    }
    if (i === raw.length && digits > 0 && frac <= spec.scale) {
      const intDigits = digits - Math.max(frac, 0);
      const scaled = n * 10 ** (spec.scale - Math.max(frac, 0));
      // Leading zeros do not count against precision; the slow path decides the rare edge cases.
      if (intDigits <= spec.precision - spec.scale && Number.isSafeInteger(scaled)) return neg ? -scaled || 0 : scaled; // never -0
    }
  }
  const m = DEC_RE.exec(raw);
  if (!m || (m[2] === '' && (m[3] ?? '') === '')) return INVALID;
  const sign = m[1] === '-' ? -1n : 1n;
  const intPart = m[2].replace(/^0+(?=\d)/, '');
  let frac = (m[3] ?? '').replace(/0+$/, '');
  if (frac.length > spec.scale) return INVALID;
  if (intPart.replace(/^0+/, '').length > spec.precision - spec.scale) return INVALID;
  frac = frac.padEnd(spec.scale, '0');
  return canonicalDecimal(sign * BigInt((intPart || '0') + frac));
}

/**
 * A JSON number's text without its exponent ('1.2e-7' -> '0.00000012',
 * '1e21' -> '1000000000000000000000'), exactly, for parseDecimal (plain digits
 * only). A JSON number reaches typing as a double when that keeps it exactly
 * (then String(v), whose shortest round-trip text has the digits written, but
 * may use an exponent: String(1e-7) is '1e-7') or as its source text
 * (read/json.ts). A number far outside any decimal(38,s) is left as it is,
 * so an exponent of a billion costs nothing and is still refused.
 */
export function expandExponent(text: string): string {
  const m = /^(-?)(\d*)(?:\.(\d*))?[eE]([+-]?\d+)$/.exec(text);
  if (!m) return text;
  const [, sign, int = '', frac = ''] = m;
  const all = int + frac;
  const digits = all.replace(/^0+/, '');
  if (!digits) return all ? '0' : text;
  // Digits before the decimal point, once the leading zeros are gone.
  const point = int.length + Number(m[4]) - (all.length - digits.length);
  if (point > 100 || point < -100) return text;
  if (point <= 0) return `${sign}0.${'0'.repeat(-point)}${digits}`;
  if (point >= digits.length) return sign + digits + '0'.repeat(point - digits.length);
  return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`;
}

export function formatDecimal(v: Scaled, scale: number): string {
  if (typeof v === 'number') v = BigInt(v);
  const neg = v < 0n;
  const s = (neg ? -v : v).toString().padStart(scale + 1, '0');
  const out = scale ? `${s.slice(0, -scale)}.${s.slice(-scale)}` : s;
  return neg ? `-${out}` : out;
}

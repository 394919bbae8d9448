import type { Column } from '../contract/contract';
import { civilDays } from './time';
import { decimalSpec } from './decimal';
import { INVALID, type Typed } from './values';
import { parserFor } from './parse';

/**
 * Parse the value src.slice(s, e) without cutting it out first where the shape
 * is a common one (plain integers, short decimals, ISO dates and UTC
 * timestamps); anything else goes to the column's general parser, so the
 * result is always exactly what `parserFor` gives.
 */
export type RangeParser = (src: string, s: number, e: number) => Typed | typeof INVALID;

/**
 * The value of two (four) ASCII digits at i, or -1 if any is not a digit. The
 * check is branch-free: for a digit c, c ^ 0x30 and (c & 15) + 6 both stay
 * under 16; any other character sets a higher bit in one of them.
 */
function digits2(src: string, i: number): number {
  const a = src.charCodeAt(i);
  const b = src.charCodeAt(i + 1);
  const bad = (a ^ 0x30) | ((a & 15) + 6) | (b ^ 0x30) | ((b & 15) + 6);
  return bad & ~15 ? -1 : (a - 48) * 10 + (b - 48);
}

function digits4(src: string, i: number): number {
  const hi = digits2(src, i);
  const lo = digits2(src, i + 2);
  return (hi | lo) < 0 ? -1 : hi * 100 + lo;
}

export function rangeParserFor(col: Column): RangeParser {
  const general = parserFor(col);
  const slow: RangeParser = (src, s, e) => general(src.slice(s, e));
  const t = col.type;
  if (t === 'string') return (src, s, e) => src.slice(s, e);
  if (t === 'integer') {
    return (src, s, e) => {
      // Up to 15 digits is always a safe integer.
      let i = s;
      const neg = src.charCodeAt(i) === 45;
      if (neg) i++;
      if (e - i < 1 || e - i > 15) return slow(src, s, e);
      let n = 0;
      for (; i < e; i++) {
        const c = src.charCodeAt(i) - 48;
        if (c < 0 || c > 9) return slow(src, s, e);
        n = n * 10 + c;
      }
      return neg ? -n : n;
    };
  }
  if (t === 'timestamp' && (col.format ?? 'iso') === 'iso') {
    return (src, s, e) => {
      // YYYY-MM-DDTHH:MM:SSZ; everything else (offsets, fractions, zones) takes the general path.
      if (
        e - s !== 20 ||
        src.charCodeAt(s + 19) !== 90 ||
        src.charCodeAt(s + 10) !== 84 ||
        src.charCodeAt(s + 4) !== 45 ||
        src.charCodeAt(s + 7) !== 45 ||
        src.charCodeAt(s + 13) !== 58 ||
        src.charCodeAt(s + 16) !== 58
      )
        return slow(src, s, e);
      const y = digits4(src, s);
      const mo = digits2(src, s + 5);
      const d = digits2(src, s + 8);
      const h = digits2(src, s + 11);
      const mi = digits2(src, s + 14);
      const sec = digits2(src, s + 17);
      if ((y | mo | d | h | mi | sec) < 0) return slow(src, s, e);
      const days = civilDays(y, mo, d);
      if (days === INVALID || h > 23 || mi > 59 || sec > 59) return INVALID;
      return days * 86400000 + ((h * 60 + mi) * 60 + sec) * 1000;
    };
  }
  if (t === 'date' && (col.format ?? 'iso') === 'iso') {
    return (src, s, e) => {
      if (e - s !== 10 || src.charCodeAt(s + 4) !== 45 || src.charCodeAt(s + 7) !== 45) return slow(src, s, e);
      const y = digits4(src, s);
      const mo = digits2(src, s + 5);
      const d = digits2(src, s + 8);
      if ((y | mo | d) < 0) return slow(src, s, e);
      return civilDays(y, mo, d);
    };
  }
  const dec = decimalSpec(t);
  if (dec) {
    const maxInt = dec.precision - dec.scale;
    const pow = [1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000, 1000000000];
    return (src, s, e) => {
      // [-]digits[.digits], at most 15 digits, no leading zero: exact as a double.
      let i = s;
      const neg = src.charCodeAt(i) === 45;
      if (neg) i++;
      if (e - i < 1 || e - i > 15 || src.charCodeAt(i) === 48) return slow(src, s, e);
      let n = 0;
      let intDigits = 0;
      let frac = -1;
      for (; i < e; i++) {
        const c = src.charCodeAt(i);
        if (c === 46) {
          if (frac >= 0) return slow(src, s, e);
          frac = 0;
          continue;
        }
        if (c < 48 || c > 57) return slow(src, s, e);
        n = n * 10 + (c - 48);
        if (frac >= 0) frac++;
        else intDigits++;
      }
      if (frac < 0) frac = 0;
      if (intDigits === 0 || frac > dec.scale || intDigits > maxInt || dec.scale - frac > 9) return slow(src, s, e);
      const scaled = n * pow[dec.scale - frac];
      if (!Number.isSafeInteger(scaled)) return slow(src, s, e);
      return neg ? -scaled || 0 : scaled; // never -0
    };
  }
  return slow;
}

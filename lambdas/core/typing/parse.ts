import type { Column } from '../contract/contract';
import { compileDatePattern, resolveLocal } from './date-patterns';
import { decimalSpec, expandExponent, formatDecimal, parseDecimal } from './decimal';
import { civilDays, OFFSET_RE, validOffset, wallClockToUtc } from './time';
import { INVALID, type Parser, type Typed } from './values';
import { isRawJson } from '../read/json';

/**
 * Typing of raw values. Each column gets one compiled parser so the hot loop
 * does no type dispatch. Parsers return INVALID rather than throwing: a bad
 * value is a row-level reject, not an exception.
 */

const INT_RE = /^[+-]?\d+$/;
// A Map, not an object literal: a lookup by data must not find Object.prototype's names ('constructor').
const BOOL = new Map<string, boolean>(
  Object.entries({ true: true, false: false, t: true, f: false, '1': true, '0': false, yes: true, no: false, y: true, n: false }),
);

const MAX_DATE_MS = 8.64e15;

const ISO_TS = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?\s*(Z|[+-]\d{2}:?\d{2})?$/;

/** Compile a 'dd/MM/yyyy HH:mm:ss' style pattern into a field extractor (typing/date-patterns.ts). */
function patternParser(pattern: string, col: Column): (raw: string) => number[] | undefined {
  return compileDatePattern(pattern, col.pivotYear);
}

const ISO_UTC_SHAPE = 'dddd-dd-ddTdd:dd:ddZ';
function isIsoUtcSeconds(raw: string): boolean {
  if (raw.length !== 20) return false;
  for (let i = 0; i < 20; i++) {
    const c = raw.charCodeAt(i);
    const want = ISO_UTC_SHAPE.charCodeAt(i);
    if (want === 100 ? c < 48 || c > 57 : c !== want) return false;
  }
  return true;
}

function timestampParser(col: Column): Parser {
  const tz = col.timezone ?? 'UTC';
  const fmt = col.format ?? 'iso';
  if (fmt === 'epoch_ms' || fmt === 'epoch_s') {
    const mul = fmt === 'epoch_s' ? 1000 : 1;
    return (raw) => {
      if (!INT_RE.test(raw)) return INVALID;
      const ms = Number(raw) * mul;
      // Outside what a Date can hold (±275,000 years) is a bad value, not a crash later.
      return Math.abs(ms) <= MAX_DATE_MS ? ms : INVALID;
    };
  }
  const pattern = fmt === 'iso' ? undefined : patternParser(fmt, col);
  // Local times in a zone with DST resolve under the column's policy, if it sets one.
  const dst = col.dst && !(tz === 'UTC' || tz === 'Z' || OFFSET_RE.test(tz)) ? col.dst : undefined;
  return (raw) => {
    let y: number,
      mo: number,
      d: number,
      h = 0,
      mi = 0,
      s = 0,
      ms = 0;
    let offset: string | undefined;
    if (pattern) {
      const f = pattern(raw);
      if (!f) return INVALID;
      [y, mo, d, h, mi, s, ms] = f;
    } else if (isIsoUtcSeconds(raw)) {
      // Fast path: YYYY-MM-DDTHH:MM:SSZ, the common export shape.
      const d2 = (o: number) => (raw.charCodeAt(o) - 48) * 10 + raw.charCodeAt(o + 1) - 48;
      y = d2(0) * 100 + d2(2);
      mo = d2(5);
      d = d2(8);
      h = d2(11);
      mi = d2(14);
      s = d2(17);
      offset = 'Z';
    } else {
      const m = ISO_TS.exec(raw);
      if (!m) return INVALID;
      y = +m[1];
      mo = +m[2];
      d = +m[3];
      if (m[4] !== undefined) {
        h = +m[4];
        mi = +m[5];
        s = m[6] ? +m[6] : 0;
      }
      if (m[7]) ms = Number(m[7].slice(0, 3).padEnd(3, '0'));
      offset = m[8];
    }
    const days = civilDays(y, mo, d);
    if (days === INVALID || h > 23 || mi > 59 || s > 59) return INVALID;
    if (offset !== undefined && offset !== 'Z' && !validOffset(offset)) return INVALID;
    const wall = days * 86400000 + ((h * 60 + mi) * 60 + s) * 1000 + ms;
    if (dst && offset === undefined) {
      const t = resolveLocal(wall, tz, dst);
      return typeof t === 'number' ? t : INVALID;
    }
    return wallClockToUtc(wall, offset === undefined ? tz : offset === 'Z' ? 'UTC' : offset);
  };
}

function dateParser(col: Column): Parser {
  const fmt = col.format ?? 'iso';
  const pattern = fmt === 'iso' ? undefined : patternParser(fmt, col);
  return (raw) => {
    if (pattern) {
      const f = pattern(raw);
      // A pattern with a time of day ('yyyy-MM-dd HH:mm') holds a real one, as for a timestamp.
      return f && f[3] <= 23 && f[4] <= 59 && f[5] <= 59 ? civilDays(f[0], f[1], f[2]) : INVALID;
    }
    // YYYY-MM-DD, ASCII digits only (Number() alone would take '0x7E', '1e03', ' 123', '-001').
    if (raw.length !== 10 || raw.charCodeAt(4) !== 45 || raw.charCodeAt(7) !== 45) return INVALID;
    for (let i = 0; i < 10; i++) {
      const c = raw.charCodeAt(i);
      if (i !== 4 && i !== 7 && (c < 48 || c > 57)) return INVALID;
    }
    return civilDays(Number(raw.slice(0, 4)), Number(raw.slice(5, 7)), Number(raw.slice(8, 10)));
  };
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** An integer column is INT64: a number while safe, a bigint beyond 2^53 (exact), INVALID past 64 bits. */
function parseInteger(raw: string): Typed | typeof INVALID {
  if (!INT_RE.test(raw)) return INVALID;
  const n = Number(raw);
  if (Number.isSafeInteger(n)) return n;
  const b = BigInt(raw);
  return b < INT64_MIN || b > INT64_MAX ? INVALID : b;
}

/**
 * A double is decimal text only ([sign] digits [. digits] [e exponent]) and
 * finite: Number() alone would take 'Infinity', '0x10', '0b11', ' 1 ' and
 * turn '1e400' into infinity.
 */
function parseDouble(raw: string): Typed | typeof INVALID {
  let digits = false;
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if (c >= 48 && c <= 57) digits = true;
    else if (c !== 46 && c !== 45 && c !== 43 && c !== 101 && c !== 69) return INVALID;
  }
  const n = Number(raw);
  return digits && Number.isFinite(n) ? n : INVALID;
}

/** The parser for one column. Empty strings are handled by the caller (null/default). */
export function parserFor(col: Column): Parser {
  const t = col.type;
  switch (t) {
    case 'string':
      return (raw) => raw;
    case 'integer':
      return parseInteger;
    case 'double':
      return parseDouble;
    case 'boolean':
      return (raw) => {
        const b = BOOL.get(raw.toLowerCase());
        return b === undefined ? INVALID : b;
      };
    case 'date':
      return dateParser(col);
    case 'timestamp':
      return timestampParser(col);
    default: {
      const spec = decimalSpec(t)!;
      return (raw) => parseDecimal(raw, spec);
    }
  }
}

/**
 * A value written in the contract (a default, an accepted or forbidden value) typed as its
 * column's: a JSON number by its decimal digits (String(1e-7) is '1e-7', which no decimal or
 * integer parser takes; 0.0000001 is meant), anything else by its text.
 */
export function contractValue(v: string | number | boolean, parse: Parser, type: string): Typed | typeof INVALID {
  if (typeof v !== 'number' || type === 'string') return parse(String(v));
  // String(-0) is '0': a double default of -0 keeps its sign.
  return parse(Object.is(v, -0) ? '-0' : expandExponent(String(v)));
}

/** Digits with a fractional part of zeros only, as an integer's text ('12.000' is '12'); decimals keep theirs. */
function wholeText(text: string, decimal: boolean): string {
  return decimal ? text : text.replace(/^(-?\d+)\.0*$/, '$1');
}

/** Type a JSON value (JSON sources keep their own types; `coerced` reports a type change). */
export function fromJson(value: unknown, col: Column, parse: Parser): { value: Typed | typeof INVALID; coerced: boolean } {
  if (value === null || value === undefined) return { value: null, coerced: false };
  const t = col.type;
  // A number a double cannot hold exactly arrives as its source text (read/json.ts), typed from that text.
  const decimal = t.startsWith('decimal');
  // An exponent is spelled out for exact types (12345678901234567e2 is an INT64).
  const epoch = t === 'timestamp' && (col.format === 'epoch_ms' || col.format === 'epoch_s');
  if (isRawJson(value))
    return {
      // A JSON number is its value, whatever its spelling: 1234567890123456.0 is an integer as 1.0 is.
      value: parse(decimal || t === 'integer' || epoch ? wholeText(expandExponent(value.rawJSON), decimal) : value.rawJSON),
      coerced: t !== 'integer' && t !== 'double' && !decimal && !epoch,
    };
  const native =
    (t === 'string' && typeof value === 'string') ||
    ((t === 'integer' || t === 'double' || decimal) && typeof value === 'number') ||
    (t === 'boolean' && typeof value === 'boolean') ||
    ((t === 'date' || t === 'timestamp') && typeof value === 'string') ||
    // An epoch is a number by nature: no type change.
    (epoch && typeof value === 'number');
  // String(-0) is '0': a double keeps its sign, as from CSV text.
  const raw =
    typeof value === 'object'
      ? JSON.stringify(value)
      : typeof value === 'number' && decimal
        ? expandExponent(String(value))
        : Object.is(value, -0) && t === 'double'
          ? '-0'
          : String(value);
  return { value: parse(raw), coerced: !native };
}

/** Render a typed value for humans (quarantine rows, error messages, CLI). */
export function display(v: Typed, col: Column): string {
  return displayFor(col)(v);
}

/** `display` compiled for one column, for hot loops. */
export function displayFor(col: Column): (v: Typed) => string {
  const dec = decimalSpec(col.type);
  if (dec) return (v) => (v === null ? '' : typeof v === 'bigint' || typeof v === 'number' ? formatDecimal(v, dec.scale) : String(v));
  if (col.type === 'date') return (v) => (v === null ? '' : typeof v === 'number' ? new Date(v * 86400000).toISOString().slice(0, 10) : String(v));
  if (col.type === 'timestamp') return (v) => (v === null ? '' : typeof v === 'number' ? new Date(v).toISOString() : String(v));
  return (v) => (v === null ? '' : String(v));
}

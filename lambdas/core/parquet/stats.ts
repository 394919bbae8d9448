import { Phys, type ColumnBuffer } from './column';
import type { ThriftStruct } from './thrift';

/**
 * Column chunk statistics as the spec defines them (min_value/max_value,
 * meaningful together with the footer's TypeDefinedOrder column orders):
 * signed order for numbers, dates, timestamps and decimals, false < true for
 * booleans, unsigned byte order for strings (UTF-8 byte order is code point
 * order: what SQL engines compare). Strings are truncated to STAT_BYTES at a
 * character boundary; a truncated max is rounded up so it still bounds every
 * value, and both say whether they are exact.
 */

export const STAT_BYTES = 64;

/** Doubles: NaN is left out; a zero min is written -0 and a zero max +0 (the spec's rule, so a reader can trust either sign). */
function doubleBytes(v: number): Uint8Array {
  return new Uint8Array(new Float64Array([v]).buffer);
}

export function statisticsOf(b: ColumnBuffer): ThriftStruct {
  const s: ThriftStruct = { 3: { i64: b.nulls } };
  let min: Uint8Array | undefined;
  let max: Uint8Array | undefined;
  let exactMin = true;
  let exactMax = true;
  switch (b.phys) {
    case Phys.INT32:
      if (b.minN <= b.maxN) {
        min = new Uint8Array(new Int32Array([b.minN]).buffer);
        max = new Uint8Array(new Int32Array([b.maxN]).buffer);
      }
      break;
    case Phys.DOUBLE:
      if (b.minN <= b.maxN) {
        min = doubleBytes(b.minN === 0 ? -0 : b.minN);
        max = doubleBytes(b.maxN === 0 ? 0 : b.maxN);
      }
      break;
    case Phys.INT64: {
      const [lo, hi] = extremes(b);
      if (lo !== undefined && hi !== undefined) {
        min = new Uint8Array(new BigInt64Array([BigInt(lo)]).buffer);
        max = new Uint8Array(new BigInt64Array([BigInt(hi)]).buffer);
      }
      break;
    }
    case Phys.FIXED:
      if (b.min !== undefined && b.max !== undefined) {
        min = bigEndian(BigInt(b.min), b.typeLength);
        max = bigEndian(BigInt(b.max), b.typeLength);
      }
      break;
    case Phys.BOOLEAN: {
      const f = b.fixed.buf;
      let seen = 0; // bit 1: a false, bit 2: a true
      for (let i = 0; i < b.fixed.len && seen !== 3; i++) seen |= f[i] ? 2 : 1;
      if (seen) {
        min = Uint8Array.of(seen & 1 ? 0 : 1);
        max = Uint8Array.of(seen & 2 ? 1 : 0);
      }
      break;
    }
    case Phys.BYTE_ARRAY: {
      const r = b.dict && b.dictValues.length ? stringExtremes(dictBytes(b.dictValues)) : stringExtremes(b.plain.buf.subarray(0, b.plain.len));
      if (r) {
        min = truncateMin(r.min);
        exactMin = min.length === r.min.length;
        const up = truncateMax(r.max);
        if (up) {
          max = up;
          exactMax = up.length === r.max.length && up.every((x, i) => x === r.max[i]);
        }
      }
      break;
    }
  }
  if (min && max) {
    s[5] = { bin: max };
    s[6] = { bin: min };
    if (b.phys === Phys.BYTE_ARRAY) {
      s[7] = { bool: exactMax };
      s[8] = { bool: exactMin };
    }
  }
  return s;
}

function extremes(b: ColumnBuffer): [number | bigint | undefined, number | bigint | undefined] {
  let min = b.min;
  let max = b.max;
  if (b.minN <= b.maxN) {
    if (min === undefined || b.minN < min) min = b.minN;
    if (max === undefined || b.maxN > max) max = b.maxN;
  }
  return [min, max];
}

/** Two's complement, big-endian, `n` bytes (FIXED_LEN_BYTE_ARRAY decimals). */
export function bigEndian(v: bigint, n: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = BigInt.asUintN(n * 8, v);
  for (let i = n - 1; i >= 0; i--) {
    out[i] = Number(x & 0xffn);
    x >>= 8n;
  }
  return out;
}

const utf8 = new TextEncoder();

function dictBytes(values: string[]): Uint8Array {
  const parts = values.map((v) => utf8.encode(v));
  const out = new Uint8Array(parts.reduce((n, p) => n + 4 + p.length, 0));
  const dv = new DataView(out.buffer);
  let at = 0;
  for (const p of parts) {
    dv.setUint32(at, p.length, true);
    out.set(p, at + 4);
    at += 4 + p.length;
  }
  return out;
}

/** Unsigned lexicographic comparison of two byte ranges. */
function cmp(a: Uint8Array, ao: number, al: number, b: Uint8Array, bo: number, bl: number): number {
  const n = Math.min(al, bl);
  for (let i = 0; i < n; i++) {
    const d = a[ao + i] - b[bo + i];
    if (d) return d;
  }
  return al - bl;
}

/** Min and max of PLAIN BYTE_ARRAY values (4-byte length prefixes). */
export function stringExtremes(p: Uint8Array): { min: Uint8Array; max: Uint8Array } | undefined {
  if (!p.length) return undefined;
  const len = (at: number) => p[at] | (p[at + 1] << 8) | (p[at + 2] << 16) | (p[at + 3] * 16777216);
  let minAt = 4;
  let minLen = len(0);
  let maxAt = 4;
  let maxLen = minLen;
  for (let at = 4 + minLen; at < p.length; ) {
    const l = len(at);
    const o = at + 4;
    if (cmp(p, o, l, p, minAt, minLen) < 0) (minAt = o), (minLen = l);
    else if (cmp(p, o, l, p, maxAt, maxLen) > 0) (maxAt = o), (maxLen = l);
    at = o + l;
  }
  return { min: p.slice(minAt, minAt + minLen), max: p.slice(maxAt, maxAt + maxLen) };
}

/** Length of the longest prefix of `s` of at most `limit` bytes that ends on a character boundary. */
function boundary(s: Uint8Array, limit: number): number {
  if (s.length <= limit) return s.length;
  let n = limit;
  while (n > 0 && (s[n] & 0xc0) === 0x80) n--;
  return n;
}

/** A prefix is <= the value: a valid lower bound. */
export function truncateMin(s: Uint8Array, limit = STAT_BYTES): Uint8Array {
  return s.subarray(0, boundary(s, limit));
}

/** ignoreBOM: a value may start with U+FEFF, which a default TextDecoder drops (a max that sorted below its value). */
const decoder = new TextDecoder('utf-8', { ignoreBOM: true });

/**
 * An upper bound of at most `limit` bytes: the value itself when short, else
 * its prefix with the last character incremented, dropping characters that
 * cannot be (U+10FFFF) or whose successor is longer than the room left
 * (U+007F -> U+0080 takes a byte more); undefined when no bound that short exists.
 */
export function truncateMax(s: Uint8Array, limit = STAT_BYTES): Uint8Array | undefined {
  if (s.length <= limit) return s;
  const chars = [...decoder.decode(s.subarray(0, boundary(s, limit)))];
  while (chars.length) {
    const cp = chars.pop()!.codePointAt(0)!;
    if (cp >= 0x10ffff) continue;
    const next = cp + 1 === 0xd800 ? 0xe000 : cp + 1;
    const out = utf8.encode(chars.join('') + String.fromCodePoint(next));
    if (out.length <= limit) return out;
  }
  return undefined;
}

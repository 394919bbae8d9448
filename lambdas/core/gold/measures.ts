import { DataError } from '../base/errors';
import type { OutColumn } from '../parquet/writer';
import { decimalSpec } from '../typing/decimal';
import type { Typed } from '../typing/values';

/**
 * Gold's value rules, apart from the aggregator's state: result types, the
 * JSON form of partials, exact-sum limits and the string order SQL engines use.
 */

/** JSON form of a partial: bigints as strings tagged by the column type. */
export interface PartialDoc {
  aggregate: string;
  /** Aggregator.shape when written; absent in partials written before it existed (merged as they are). */
  shape?: string;
  groups: {
    keys: Typed[];
    /** Latest `_ingested_at` (epoch ms) of the rows in the group; absent in partials written before it existed. */
    updatedAt?: number;
    accs: { count: number; nonNull: number; sum: string | number; min: Typed; max: Typed; distinct?: unknown }[];
  }[];
}

/**
 * A sum past its result type's range. In a file's own rows the file is
 * quarantined (`gold.overflow`; the stage adds the dataset and key) rather
 * than gold being wrong; over several files' partials, gold holds null for it
 * instead (Aggregator.rows' overflow callback, rebuild-gold.ts).
 */
export class GoldOverflow extends DataError {
  constructor(
    readonly detail: string,
    hint: string,
  ) {
    super('gold.overflow', detail, {}, hint);
  }
}

export function measureType(fn: string, colType: string | undefined): OutColumn['type'] {
  if (fn === 'count' || fn === 'count_distinct') return 'integer';
  if (fn === 'avg') return 'double';
  if (fn === 'sum' && colType && decimalSpec(colType)) return `decimal(38,${decimalSpec(colType)!.scale})`;
  return (colType ?? 'integer') as OutColumn['type'];
}

/**
 * p / q (q > 0) as the nearest double, ties to even: one rounding of the exact quotient, where
 * Number(sum) / 10 ** scale / count rounds three times (three rows of 0.1 averaged to
 * 0.09999999999999999, and an integer sum past 2^53 was rounded before it was divided).
 */
export function exactRatio(p: bigint, q: bigint): number {
  const neg = p < 0n;
  if (neg) p = -p;
  const LIMIT = 2n ** 53n;
  // Both exact as doubles: IEEE division rounds the exact quotient once.
  if (p <= LIMIT && q <= LIMIT) return (neg ? -1 : 1) * (Number(p) / Number(q));
  // A quotient of 65-67 bits with a sticky bit for any remainder: Number() of it rounds correctly
  // (to nearest, ties to even), and the power-of-two scaling back is exact.
  const shift = 66 - (p.toString(2).length - q.toString(2).length);
  const n = shift > 0 ? p << BigInt(shift) : p;
  const d = shift < 0 ? q << BigInt(-shift) : q;
  let quo = n / d;
  if (n % d !== 0n) quo |= 1n;
  return (neg ? -1 : 1) * Number(quo) * 2 ** -shift;
}

/** Sums of these column types are exact (BigInt) and checked against BIGINT or DECIMAL(38,s); a double sum is a plain double. */
export function exactSum(colType: string | undefined): boolean {
  return colType === 'integer' || (colType !== undefined && decimalSpec(colType) !== undefined);
}

const INT64_MAX = (1n << 63n) - 1n;
const DEC38_MAX = 10n ** 38n - 1n;

/** Throws GoldOverflow when an exact sum does not fit its result type (BIGINT, or DECIMAL(38,s)). */
export function checkSum(sum: number | bigint, decimal: boolean, what: string): void {
  if (typeof sum === 'number') return; // a safe integer (or a double sum): fits
  const max = decimal ? DEC38_MAX : INT64_MAX;
  const min = decimal ? -DEC38_MAX : -INT64_MAX - 1n;
  if (sum > max || sum < min) {
    throw new GoldOverflow(
      `${what} = ${sum} does not fit ${decimal ? 'decimal(38,s)' : 'a 64-bit integer'}`,
      decimal
        ? 'Check the source values (a sum past 10^38 is almost always bad data), or aggregate a smaller groupBy'
        : 'Check the source values, or declare the column decimal(38,0) so its sum has 38 digits',
    );
  }
}

/**
 * a < b in UTF-8 byte order (= code point order), the order of SQL engines
 * and Parquet statistics. JS compares UTF-16 units, which puts U+E000..U+FFFF
 * after astral characters (surrogates): remap surrogates above them.
 */
export function utf8Less(a: string, b: string): boolean {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    if (x >= 0xd800) x = x >= 0xe000 ? x - 0x800 : x + 0x2000;
    if (y >= 0xd800) y = y >= 0xe000 ? y - 0x800 : y + 0x2000;
    return x < y;
  }
  return a.length < b.length;
}

/** v < w for gold min/max: strings by UTF-8 bytes, everything else by JS order (numbers, bigints, booleans). */
export function lessThan(v: Typed, w: Typed): boolean {
  return typeof v === 'string' && typeof w === 'string' ? utf8Less(v, w) : (v as number) < (w as number);
}

/** JSON-safe: bigints and non-finite doubles (JSON would turn those into null) as strings. */
export const toJson = (v: Typed): Typed => (typeof v === 'bigint' || (typeof v === 'number' && !Number.isFinite(v)) ? String(v) : v);

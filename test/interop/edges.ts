/**
 * Interop tier: the values that statistics get wrong. A seeded corpus of
 * strings past the 64-byte statistics limit (truncated mins, rounded-up maxes,
 * maxes that cannot be rounded: U+10FFFF runs), characters of 1 to 4 bytes at
 * the cut, doubles with NaN, -0, infinities and subnormals, INT64 at both
 * ends, and chunks that are all null. Each row group has its own mix, so
 * every engine's row-group pruning meets each case; the checkers run
 * predicates on every row group's real min and max and count the rows.
 */
import { ParquetFileWriter } from '../../lambdas/core/parquet/encoder';
import type { OutColumn } from '../../lambdas/core/parquet/writer';
import type { Typed } from '../../lambdas/core/typing/values';

export const EDGE_COLUMNS: OutColumn[] = [
  { name: 'k', type: 'string', nullable: true },
  { name: 'd', type: 'double', nullable: true },
  { name: 'i', type: 'integer', nullable: true },
  { name: 'e', type: 'string', nullable: true },
];

export const EDGE_GROUPS = 9;
const GROUP_ROWS = 48;

/** mulberry32: the corpus is the same on every run. */
function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Characters of each UTF-8 length, and the ones next to where rounding up must skip or give up.
const TAILS = ['a', '~', '\u007f', 'é', 'ÿ', '€', '\uD7FF', '\uE000', '\uFFFF', '😀', '\u{10FFFF}'];

function keyFor(g: number, r: () => number): string | null {
  const pick = <T>(xs: T[]) => xs[Math.floor(r() * xs.length)];
  const tail = () => Array.from({ length: 1 + Math.floor(r() * 4) }, () => pick(TAILS)).join('');
  switch (g) {
    case 0: // 64 shared bytes, U+007F the last (its successor is a byte longer): min and max both cut
      return `p${'x'.repeat(62)}\u007f${'x'.repeat(16)}${tail()}`;
    case 1: // 3-byte characters across the cut, after a leading U+FEFF (a default TextDecoder drops it)
      return `\uFEFF${'€'.repeat(20 + Math.floor(r() * 3))}${tail()}`;
    case 2: // a max that cannot be rounded up within the limit (every character is U+10FFFF)
      return r() < 0.1 ? null : `${'\u{10FFFF}'.repeat(16 + Math.floor(r() * 3))}${tail()}`;
    case 3: // 2-byte characters at the cut
      return `${'ÿ'.repeat(31 + Math.floor(r() * 3))}${tail()}`;
    case 4: // short values, nulls and the empty string: exact statistics
      return pick([null, '', 'a', 'zz', 'Zoë', '😀', '\uFFFF', '東京']);
    case 5: // U+FFFF runs: rounding up moves to a 4-byte character
      return `${'\uFFFF'.repeat(21 + Math.floor(r() * 2))}${tail()}`;
    case 6: // just below the surrogates: rounding up must skip them
      return `${'\uD7FF'.repeat(21 + Math.floor(r() * 2))}${tail()}`;
    case 7: // all null
      return null;
    default: // a mix of every kind above, few distinct (dictionary-encoded)
      return keyFor(Math.floor(r() * 7), rng(Math.floor(r() * 6)));
  }
}

const DOUBLES = [Number.NaN, -0, 0, Infinity, -Infinity, 1.5, -1.5, Number.MAX_VALUE, -Number.MAX_VALUE, Number.MIN_VALUE, -Number.MIN_VALUE, null];

function doubleFor(g: number, r: () => number): number | null {
  if (g === 2) return Number.NaN; // a chunk of NaN alone: no min/max at all
  if (g === 3) return -0; // a chunk of -0 alone
  if (g === 7) return null;
  const v = DOUBLES[Math.floor(r() * DOUBLES.length)];
  return v === null || r() < 0.5 ? v : (r() - 0.5) * 10 ** Math.floor(r() * 40 - 20);
}

const INTS: (bigint | number | null)[] = [-(2n ** 63n), 2n ** 63n - 1n, -(2n ** 63n) + 1n, 2n ** 63n - 2n, 0, -1, 2 ** 53 - 1, -(2 ** 53) + 1, null];

function intFor(g: number, r: () => number): bigint | number | null {
  if (g === 7) return null;
  if (g === 5) return 2n ** 63n - 1n; // a chunk of INT64's max alone
  const v = INTS[Math.floor(r() * INTS.length)];
  return r() < 0.5 ? v : Math.floor((r() - 0.5) * 2 ** 40);
}

/** The rows, in file order (row group g is rows g*48 .. g*48+47). */
export function edgeRows(): Typed[][] {
  const r = rng(20261207);
  const rows: Typed[][] = [];
  for (let g = 0; g < EDGE_GROUPS; g++)
    for (let n = 0; n < GROUP_ROWS; n++) rows.push([keyFor(g, r), doubleFor(g, r), intFor(g, r), g % 2 ? null : r() < 0.5 ? '' : null]);
  return rows;
}

/** Text forms for expected.json: doubles as JS numbers' text with the sign of zero kept. */
export function edgeText(row: Typed[]): (string | null)[] {
  const [k, d, i, e] = row;
  return [k as string | null, d === null ? null : Object.is(d, -0) ? '-0' : String(d), i === null ? null : String(i), e as string | null];
}

export function writeEdges(path: string): void {
  const w = new ParquetFileWriter(path, EDGE_COLUMNS, { rowGroupRows: GROUP_ROWS, kv: { contract_version: '1' } });
  for (const row of edgeRows()) w.appendRow(row);
  w.finish();
}

/** A file with the schema and no rows (a partition whose rows all went elsewhere must not break a reader). */
export function writeEmpty(path: string): void {
  new ParquetFileWriter(path, EDGE_COLUMNS, { kv: { contract_version: '1' } }).finish();
}

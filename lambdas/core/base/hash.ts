/**
 * The core's one string hash. Two independent 32-bit lanes over a string's
 * UTF-16 code units, FNV-1a and a multiply-xorshift lane, each finished with
 * murmur3's mixer: 64 bits in all, so sets of millions of keys (dedupe, unique
 * rules, count_distinct) compare fingerprints instead of holding strings.
 *
 * Callers that hash a value without building its string (count_distinct hashes
 * an integer's digits) feed the lanes one code unit at a time with step1/step2
 * and finish with finish1/finish2: the result equals hashString's for the
 * string they describe. count_distinct's registers are stored in gold
 * partials, so these constants are part of the lake's format: changing them
 * changes every stored estimate's meaning.
 */

export const SEED1 = 0x811c9dc5;
export const SEED2 = 0x9747b28c;

/** One code unit into lane 1 (FNV-1a). */
export function step1(h: number, c: number): number {
  return Math.imul(h ^ c, 0x01000193);
}

/** One code unit into lane 2 (multiply, xor-shift). */
export function step2(h: number, c: number): number {
  const x = Math.imul(h ^ c, 0x5bd1e995);
  return x ^ (x >>> 15);
}

/** Lane 1's final value, given the string's length in code units. */
export function finish1(h: number, length: number): number {
  let x = h ^ length;
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return (x ^ (x >>> 16)) | 0;
}

/** Lane 2's final value; odd, so never 0 (0 marks an empty slot in the tables that store it). */
export function finish2(h: number): number {
  const x = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (x ^ (x >>> 16)) | 1;
}

/** Writes both lanes of `s` to h1s[k] and h2s[k]. */
export function hashString(s: string, h1s: Int32Array, h2s: Int32Array, k: number): void {
  let h1 = SEED1;
  let h2 = SEED2;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    h1 = step1(h1, c);
    h2 = step2(h2, c);
  }
  h1s[k] = finish1(h1, s.length);
  h2s[k] = finish2(h2);
}

/**
 * A cheap 32-bit hash of a string from its length and three characters (first,
 * middle, last), for the small caches of recent values below: a repeated value
 * is then found by comparing a few characters, where a Map or Set lookup
 * hashes every fresh slice in full.
 */
export function recentHash(s: string): number {
  const n = s.length;
  return n ? Math.imul(n ^ (s.charCodeAt(0) << 7) ^ (s.charCodeAt(n >> 1) << 14) ^ (s.charCodeAt(n - 1) << 21), 0x9e3779b1) : 0;
}

/**
 * Recent strings and a small number each (a dictionary id, a flag), 32
 * buckets of two: two values that share a bucket (as 'paid' and 'cancelled'
 * shared the one slot of the cache this replaces) both stay cached. Used in
 * front of the Parquet dictionary and accepted-values sets. The strings are
 * kept until displaced or cleared: callers store copies of long slices, not
 * the slices (a slice would pin its whole input chunk).
 */
export class RecentStrings {
  private readonly keys: (string | undefined)[] = new Array(64).fill(undefined);
  private readonly vals = new Int32Array(64);

  /** The number cached for `s`, or -1. */
  get(s: string): number {
    const b = (recentHash(s) >>> 26) & 62;
    const keys = this.keys;
    if (keys[b] === s) return this.vals[b];
    if (keys[b + 1] === s) return this.vals[b + 1];
    return -1;
  }

  /** Caches `s` in its bucket's first way; the value there moves to the second. */
  set(s: string, v: number): void {
    const b = (recentHash(s) >>> 26) & 62;
    const keys = this.keys;
    if (keys[b] !== undefined && keys[b] !== s) {
      keys[b + 1] = keys[b];
      this.vals[b + 1] = this.vals[b];
    }
    keys[b] = s;
    this.vals[b] = v;
  }

  clear(): void {
    this.keys.fill(undefined);
  }
}

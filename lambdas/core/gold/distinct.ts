/**
 * count_distinct state of one gold group, bounded whatever the input size:
 * exact (a set of 64-bit fingerprints) up to EXACT_LIMIT (2048) distinct
 * values, then a HyperLogLog sketch of 2^14 one-byte registers (16 KB,
 * standard error 1.04/sqrt(2^14) = 0.81%; linear counting on the empty
 * registers up to 3x their number, so small and medium counts are accurate).
 * Both forms merge across files: exact + exact stays exact until the limit,
 * anything with a sketch becomes a sketch (register-wise max).
 *
 * This runs once per row and measure, so values are hashed without
 * allocating, and hashes are queued and applied in batches: the 16-32 KB of a
 * group's state is touched once per batch rather than once per row (with ~350
 * groups, a cache miss per row was most of gold's cost). Gold queues one
 * aggregator's values for all its groups in a single DistinctQueue, so a row
 * does not touch its group's counter at all until the queue is applied.
 */

import { finish1, finish2, SEED1, SEED2, step1, step2 } from '../base/hash';
export const EXACT_LIMIT = 2048;

/** Serialised form inside gold partials. */
export type DistinctDoc = { fp: string } | { hll: string };

const P = 14;
const M = 1 << P;
/** Queue sizes in hash pairs (8 bytes each): a small group's queue stays small, a big one batches 512 (4 KB). */
const MIN_QUEUE = 8;
const MAX_QUEUE = 512;

const digits = new Uint8Array(24);

const b64 = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');

function unb64Int32(s: string): Int32Array {
  const bytes = Buffer.from(s, 'base64');
  const out = new Int32Array(bytes.byteLength >>> 2);
  new Uint8Array(out.buffer).set(bytes.subarray(0, out.byteLength));
  return out;
}

/**
 * Hash of String(v) into out[at] (lane 1) and out[at + 1] (lane 2): FNV-1a and
 * a multiply-xorshift lane, each with a murmur3 finaliser. Safe integers, and
 * bigints in that range, are hashed from their digits, which is what String(v)
 * gives, without building the string (-0 prints, and hashes, as 0).
 */
export function hashValue(v: string | number | bigint | boolean, out: Int32Array, at: number): void {
  let h1 = SEED1;
  let h2 = SEED2;
  let len: number;
  if (typeof v === 'string' || !isSafeIntegral(v)) {
    const s = typeof v === 'string' ? v : String(v);
    len = s.length;
    for (let i = 0; i < len; i++) {
      const c = s.charCodeAt(i);
      h1 = step1(h1, c);
      h2 = step2(h2, c);
    }
  } else {
    let x = typeof v === 'bigint' ? Number(v) : (v as number);
    len = 0;
    if (x < 0) {
      h1 = step1(h1, 45);
      h2 = step2(h2, 45);
      x = -x;
      len = 1;
    }
    let d = 0;
    do {
      const q = Math.floor(x / 10);
      digits[d++] = 48 + (x - q * 10);
      x = q;
    } while (x > 0);
    len += d;
    while (d > 0) {
      const c = digits[--d];
      h1 = step1(h1, c);
      h2 = step2(h2, c);
    }
  }
  out[at] = finish1(h1, len);
  out[at + 1] = finish2(h2);
}

export class DistinctCounter {
  /** Open addressing of (h1, h2) pairs; h2 is odd, so 0 marks a free slot. */
  private table: Int32Array | undefined = new Int32Array(2 * 16);
  private n = 0;
  private regs: Uint8Array | undefined;
  private queue = new Int32Array(2 * MIN_QUEUE);
  private queued = 0;

  /** Counts String(v) (hashValue), queued and applied in batches. */
  add(v: string | number | bigint | boolean): void {
    const q = this.queue;
    const k = this.queued;
    hashValue(v, q, k);
    this.queued = k + 2;
    if (k + 2 === q.length) this.flush();
  }

  /**
   * Applies hash pairs made by hashValue, pairs[from] .. pairs[to - 1], after
   * anything add() queued: the same state as add() of their values in order.
   * For callers that queue many counters' values in one buffer of their own
   * and apply each counter's run at once (gold.ts).
   */
  addHashes(pairs: Int32Array, from: number, to: number): void {
    if (this.queued) this.flush();
    this.apply(pairs, from, to);
  }

  /** Hash pairs [from, to) of `pairs`: exact until the limit (the set may turn into a sketch part-way), then registers. */
  private apply(pairs: Int32Array, from: number, to: number): void {
    let i = from;
    for (; i < to && !this.regs; i += 2) this.insert(pairs[i], pairs[i + 1]);
    const regs = this.regs;
    if (regs) for (; i < to; i += 2) mark(regs, pairs[i], pairs[i + 1]);
  }

  private flush(): void {
    const q = this.queue;
    const len = this.queued;
    this.queued = 0;
    this.apply(q, 0, len);
    const regs = this.regs;
    // The queue grows with the group (as many pairs as its exact set holds, up to MAX_QUEUE):
    // a batch touches each cache line of the table or registers about once.
    const size = regs ? MAX_QUEUE : this.n;
    const want = size > MIN_QUEUE ? Math.min(MAX_QUEUE, 1 << (31 - Math.clz32(size))) : MIN_QUEUE;
    if (2 * want > q.length) this.queue = new Int32Array(2 * want);
  }

  private insert(h1: number, h2: number): void {
    const t = this.table!;
    const mask = (t.length >>> 1) - 1;
    let i = (h1 ^ h2) & mask;
    for (;;) {
      const lo = t[2 * i + 1];
      if (lo === 0) break;
      if (lo === h2 && t[2 * i] === h1) return;
      i = (i + 1) & mask;
    }
    t[2 * i] = h1;
    t[2 * i + 1] = h2;
    this.n++;
    if (this.n > EXACT_LIMIT) this.toSketch();
    else if (this.n * 2 > mask + 1) this.rehash(t.length * 4);
  }

  private rehash(size: number): void {
    const old = this.table!;
    const t = new Int32Array(size);
    const mask = (size >>> 1) - 1;
    for (let k = 0; k < old.length; k += 2) {
      const h2 = old[k + 1];
      if (h2 === 0) continue;
      const h1 = old[k];
      let i = (h1 ^ h2) & mask;
      while (t[2 * i + 1] !== 0) i = (i + 1) & mask;
      t[2 * i] = h1;
      t[2 * i + 1] = h2;
    }
    this.table = t;
  }

  private toSketch(): void {
    const t = this.table!;
    const regs = new Uint8Array(M);
    for (let k = 0; k < t.length; k += 2) if (t[k + 1] !== 0) mark(regs, t[k], t[k + 1]);
    this.table = undefined;
    this.regs = regs;
  }

  get exact(): boolean {
    this.flush();
    return !this.regs;
  }

  /** Exact count up to EXACT_LIMIT, the HyperLogLog estimate (±0.81%) above. */
  get size(): number {
    this.flush();
    const regs = this.regs;
    if (!regs) return this.n;
    let sum = 0;
    let zeros = 0;
    for (let i = 0; i < M; i++) {
      sum += 2 ** -regs[i];
      if (regs[i] === 0) zeros++;
    }
    const alpha = 0.7213 / (1 + 1.079 / M);
    const e = (alpha * M * M) / sum;
    const linear = zeros > 0 ? M * Math.log(M / zeros) : Infinity;
    return Math.round(linear <= 3 * M ? linear : e);
  }

  toDoc(): DistinctDoc {
    this.flush();
    if (this.regs) return { hll: b64(this.regs) };
    const t = this.table!;
    const pairs = new Int32Array(2 * this.n);
    let k = 0;
    for (let i = 0; i < t.length; i += 2) {
      if (t[i + 1] === 0) continue;
      pairs[k++] = t[i];
      pairs[k++] = t[i + 1];
    }
    return { fp: b64(new Uint8Array(pairs.buffer)) };
  }

  /** Merge a partial's state: { fp } or { hll }, or the value arrays of partials written before sketches. */
  merge(doc: DistinctDoc | (string | number | boolean)[]): void {
    this.flush();
    if (Array.isArray(doc)) {
      for (const v of doc) if (v !== null) this.add(v);
      this.flush();
      return;
    }
    if ('fp' in doc) {
      const pairs = unb64Int32(doc.fp);
      for (let i = 0; i < pairs.length; i += 2) {
        if (this.regs) mark(this.regs, pairs[i], pairs[i + 1]);
        else this.insert(pairs[i], pairs[i + 1]);
      }
      return;
    }
    const other = Buffer.from(doc.hll, 'base64');
    if (!this.regs) this.toSketch();
    const regs = this.regs!;
    for (let i = 0; i < M; i++) if (other[i] > regs[i]) regs[i] = other[i];
  }
}

/** Sketch update: register = top P bits of h1, rank = leading zeros of h2 + 1. */
function mark(regs: Uint8Array, h1: number, h2: number): void {
  const j = h1 >>> (32 - P);
  const rank = Math.clz32(h2) + 1;
  if (rank > regs[j]) regs[j] = rank;
}

/** An integer whose String() is its plain digits: |v| <= 2^53 - 1. */
function isSafeIntegral(v: number | bigint | boolean): boolean {
  if (typeof v === 'number') return Number.isSafeInteger(v);
  if (typeof v === 'bigint') return v <= 9007199254740991n && v >= -9007199254740991n;
  return false;
}

/** Entries a DistinctQueue holds at most before it applies them (12 bytes each). */
const MAX_PENDING = 8192;
/**
 * A drain counts over every counter (a counting sort) while there are at most this many counters
 * per queued entry; with more (a group-by of millions of groups), it sorts the entries instead, so
 * a drain costs what it holds, not what the aggregator holds.
 */
const DENSE = 16;
/** Scratch of DistinctQueue.drain (synchronous, so one copy serves every queue; bounded by DENSE). */
let runStart = new Int32Array(64);
const sorted = new Int32Array(2 * MAX_PENDING);
const entryOrder = new Int32Array(MAX_PENDING);

/**
 * Values for many counters (one aggregator's groups) queued in one buffer and
 * applied counter by counter, each counter's values in arrival order, so every
 * counter ends in the state add() of the same values would give. The row's
 * side then writes only this buffer, where a queue per counter made each row
 * touch a different counter's object and queue, most of them out of cache.
 */
export class DistinctQueue {
  private pending = new Int32Array(3 * 64);
  private n = 0;

  /** `counters` may grow while values are queued; an index, once queued, must keep its counter. */
  constructor(private readonly counters: readonly (DistinctCounter | undefined)[]) {}

  /** Queues v for counters[i]. */
  add(i: number, v: string | number | bigint | boolean): void {
    const p = this.pending;
    const k = this.n;
    p[k] = i;
    hashValue(v, p, k + 1);
    this.n = k + 3;
    if (k + 3 === p.length) {
      this.drain();
      // It grows only when filled: a queue of a small partition stays small.
      if (p.length < 3 * MAX_PENDING) this.pending = new Int32Array(2 * p.length);
    }
  }

  /** Applies everything queued; call before reading or merging any of the counters. */
  drain(): void {
    const p = this.pending;
    const len = this.n;
    if (!len) return;
    this.n = 0;
    const m = this.counters.length;
    if (m > DENSE * (len / 3)) return this.drainSparse(p, len / 3);
    if (runStart.length < m + 1) runStart = new Int32Array(2 * (m + 1));
    // A stable counting sort by counter: runStart[i] .. runStart[i + 1] are counter i's pairs in `sorted`.
    runStart.fill(0, 0, m + 1);
    for (let k = 0; k < len; k += 3) runStart[p[k] + 1]++;
    for (let i = 0; i < m; i++) runStart[i + 1] += runStart[i];
    for (let k = 0; k < len; k += 3) {
      const j = 2 * runStart[p[k]]++;
      sorted[j] = p[k + 1];
      sorted[j + 1] = p[k + 2];
    }
    // runStart[i] is now the end of counter i's run, which starts at the previous counter's end.
    for (let i = 0, from = 0; i < m; i++) {
      const to = runStart[i];
      if (to > from) this.counters[i]!.addHashes(sorted, 2 * from, 2 * to);
      from = to;
    }
  }

  /** drain() for far more counters than entries: the entries sorted by counter, arrival order kept within one. */
  private drainSparse(p: Int32Array, count: number): void {
    const order = entryOrder.subarray(0, count);
    for (let e = 0; e < count; e++) order[e] = e;
    order.sort((a, b) => p[3 * a] - p[3 * b] || a - b);
    for (let r = 0; r < count; r++) {
      const e = 3 * order[r];
      sorted[2 * r] = p[e + 1];
      sorted[2 * r + 1] = p[e + 2];
    }
    for (let from = 0; from < count; ) {
      const i = p[3 * order[from]];
      let to = from + 1;
      while (to < count && p[3 * order[to]] === i) to++;
      this.counters[i]!.addHashes(sorted, 2 * from, 2 * to);
      from = to;
    }
  }
}

/**
 * count_distinct state for gold, bounded whatever the input size: exact (a
 * set of 64-bit fingerprints) up to EXACT_LIMIT distinct values per group,
 * then a HyperLogLog sketch of 2^14 registers (16 KB, standard error 0.81%).
 * Both forms merge across files: exact ∪ exact stays exact until the limit,
 * anything with a sketch becomes a sketch (register-wise max).
 */

export const EXACT_LIMIT = 2048;
const P = 14;
const M = 1 << P;

/** Serialised form inside gold partials. */
export type DistinctDoc = { fp: string } | { hll: string };

const b64 = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
const unb64 = (s: string) => new Uint8Array(Buffer.from(s, 'base64'));

/** Two 32-bit lanes over the value's text: the fingerprint and the sketch's bits. */
export function hashValue(v: string | number | boolean | bigint): [number, number] {
  const s = typeof v === 'string' ? v : String(v);
  let h1 = 0x811c9dc5;
  let h2 = 0x9747b28c;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x01000193);
    h2 = Math.imul(h2 ^ c, 0x5bd1e995);
    h2 ^= h2 >>> 15;
  }
  h1 ^= s.length;
  h1 = Math.imul(h1 ^ (h1 >>> 16), 0x85ebca6b);
  h1 = Math.imul(h1 ^ (h1 >>> 13), 0xc2b2ae35);
  h1 ^= h1 >>> 16;
  h2 = Math.imul(h2 ^ (h2 >>> 13), 0xc2b2ae35);
  h2 ^= h2 >>> 16;
  return [h1 | 0, h2 | 1];
}

export class DistinctCounter {
  /** Open-addressing table of (h1, h2) pairs; h2 is never 0, so 0 marks a free slot. */
  private table: Int32Array | undefined = new Int32Array(64);
  private n = 0;
  private regs: Uint8Array | undefined;

  add(v: string | number | boolean | bigint): void {
    // hashValue inlined: this runs once per row and measure, and the pair would be an allocation.
    const s = typeof v === 'string' ? v : String(v);
    let h1 = 0x811c9dc5;
    let h2 = 0x9747b28c;
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      h1 = Math.imul(h1 ^ c, 0x01000193);
      h2 = Math.imul(h2 ^ c, 0x5bd1e995);
      h2 ^= h2 >>> 15;
    }
    h1 ^= s.length;
    h1 = Math.imul(h1 ^ (h1 >>> 16), 0x85ebca6b);
    h1 = Math.imul(h1 ^ (h1 >>> 13), 0xc2b2ae35);
    h1 ^= h1 >>> 16;
    h2 = Math.imul(h2 ^ (h2 >>> 13), 0xc2b2ae35);
    h2 ^= h2 >>> 16;
    this.addHash(h1 | 0, h2 | 1);
  }

  addHash(h1: number, h2: number): void {
    if (this.regs) {
      const i = h1 >>> (32 - P);
      const rank = Math.clz32(h2) + 1;
      if (rank > this.regs[i]) this.regs[i] = rank;
      return;
    }
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
    else if (this.n * 2 > mask + 1) this.rehash(t.length * 2);
  }

  private pairs(): Int32Array {
    const t = this.table!;
    const out = new Int32Array(this.n * 2);
    let k = 0;
    for (let i = 0; i < t.length; i += 2) {
      if (t[i + 1] !== 0) {
        out[k++] = t[i];
        out[k++] = t[i + 1];
      }
    }
    return out;
  }

  private rehash(size: number): void {
    const old = this.pairs();
    this.table = new Int32Array(size);
    this.n = 0;
    for (let i = 0; i < old.length; i += 2) this.addHash(old[i], old[i + 1]);
  }

  private toSketch(): void {
    const old = this.pairs();
    this.table = undefined;
    this.regs = new Uint8Array(M);
    for (let i = 0; i < old.length; i += 2) this.addHash(old[i], old[i + 1]);
  }

  get exact(): boolean {
    return !this.regs;
  }

  /** Exact count below the limit, the HyperLogLog estimate above it. */
  get size(): number {
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
    // Up to 3m, linear counting on the empty registers: the raw estimate is biased
    // upwards there (measured +2.3% at 2.5m with the classic 2.5m switch; bias under
    // 0.1% and spread under 0.9% with this one).
    const linear = zeros > 0 ? M * Math.log(M / zeros) : Infinity;
    return Math.round(linear <= 3 * M ? linear : e);
  }

  toDoc(): DistinctDoc {
    if (this.regs) return { hll: b64(this.regs) };
    return { fp: b64(new Uint8Array(this.pairs().buffer)) };
  }

  /** Merge a partial's state: the serialised forms, or the exact values of partials written before sketches. */
  merge(doc: DistinctDoc | (string | number | boolean)[]): void {
    if (Array.isArray(doc)) {
      for (const v of doc) this.add(v);
      return;
    }
    if ('fp' in doc) {
      const pairs = new Int32Array(unb64(doc.fp).slice().buffer);
      for (let i = 0; i < pairs.length; i += 2) this.addHash(pairs[i], pairs[i + 1]);
      return;
    }
    const other = unb64(doc.hll);
    if (!this.regs) this.toSketch();
    const regs = this.regs!;
    for (let i = 0; i < M; i++) if (other[i] > regs[i]) regs[i] = other[i];
  }
}

import { hashString } from '../base/hash';

/**
 * 64-bit fingerprints in an open-addressing table: exact enough for per-file
 * uniqueness, 8 bytes a slot. Both halves sit side by side so a probe costs one
 * cache miss, not three; a zero low half marks an empty slot (the stored low
 * half always has its lowest bit set, leaving 63 bits of fingerprint).
 */
/** Scratch for FingerprintSet.add's single fingerprint. */
const one1 = new Int32Array(1);
const one2 = new Int32Array(1);

export class FingerprintSet {
  private t: Int32Array;
  size = 0;

  constructor(capacity = 1 << 16) {
    let cap = 16;
    while (cap < capacity) cap *= 2; // probes mask the index: a power of two
    this.t = new Int32Array(cap * 2);
  }

  /** Writes the key's fingerprint to h1s[k], h2s[k]: what add() inserts (for insert()). */
  static fingerprint(key: string, h1s: Int32Array, h2s: Int32Array, k: number): void {
    hashString(key, h1s, h2s, k);
  }

  /**
   * Reads the home slots of n fingerprints, in a loop of their own: the loads
   * do not depend on each other, so the CPU keeps many cache misses in flight,
   * and the inserts that follow find their lines in cache. A table of millions
   * of keys is far larger than the caches, and one miss at a time (~130 ns
   * each here) was the stage's largest single cost.
   */
  touch(h1s: Int32Array, h2s: Int32Array, n: number): void {
    const t = this.t;
    const mask = (t.length >>> 1) - 1;
    let acc = 0;
    for (let k = 0; k < n; k++) acc ^= t[2 * ((h1s[k] ^ Math.imul(h2s[k], 0x27d4eb2d)) & mask) + 1];
    this.sink ^= acc;
  }

  /** Keeps the loads above from being optimised away. */
  private sink = 0;

  /** Adds the key; returns false when it was already present. */
  add(key: string): boolean {
    FingerprintSet.fingerprint(key, one1, one2, 0);
    return this.insert(one1[0], one2[0]);
  }

  /** Adds a fingerprint made by fingerprint(); returns false when it was already present. */
  insert(h1: number, h2: number): boolean {
    const t = this.t;
    const mask = (t.length >>> 1) - 1;
    let i = (h1 ^ Math.imul(h2, 0x27d4eb2d)) & mask;
    for (;;) {
      const lo = t[2 * i + 1];
      if (lo === 0) break;
      if (lo === h2 && t[2 * i] === h1) return false;
      i = (i + 1) & mask;
    }
    t[2 * i] = h1;
    t[2 * i + 1] = h2;
    if (++this.size * 10 > (mask + 1) * 7) this.grow();
    return true;
  }

  private grow(): void {
    const old = this.t;
    this.t = new Int32Array(old.length * 2);
    this.size = 0;
    for (let i = 0; i < old.length; i += 2) if (old[i + 1] !== 0) this.insert(old[i], old[i + 1]);
  }
}

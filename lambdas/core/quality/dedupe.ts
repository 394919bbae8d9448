import { closeSync, mkdirSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { Contract } from '../contract/contract';
import { CsvScanner } from '../read/csv';
import { limitsOf } from '../contract/limits';
import { decodeText } from '../read/source';
import { FingerprintSet } from './fingerprints';
import { keyOf } from './rules';
import { detach } from '../base/strings';
import { cleanerFor } from '../typing/cells';
import { planColumns } from '../contract/evolution';
import { rangeParserFor } from '../typing/range-parsers';
import { INVALID, type Typed } from '../typing/values';
import { contractValue, parserFor } from '../typing/parse';

/**
 * Deduplication by the contract's key columns: the first valid row of a key
 * wins. Two strategies, same answer:
 *
 * - in memory: a 64-bit fingerprint table of every key (~13 bytes a key).
 *   Fast, but it grows with the file.
 * - pre-pass: for files too large for that, one extra scan of the source
 *   hashes only the key columns and spills (fingerprint, row number) to
 *   partition files on disk. Each partition then finds the fingerprints seen
 *   more than once, and only those rows are checked, exactly by key value,
 *   in the main pass. Memory is one bit per row plus the keys that really
 *   repeat, so it stays flat in the file size.
 */
export interface Deduper {
  /** False when an earlier kept row had the same key. `ordinal` is the row's position among the file's data rows. */
  keep(row: Typed[], ordinal: number): boolean;
}

export class InMemoryDeduper implements Deduper {
  private readonly seen: FingerprintSet;
  constructor(
    private readonly keyIdx: number[],
    expectedKeys = 0,
  ) {
    let cap = 1 << 16;
    while (cap * 0.7 < expectedKeys) cap *= 2;
    this.seen = new FingerprintSet(cap);
  }
  keep(row: Typed[]): boolean {
    return this.seen.add(keyOf(row, this.keyIdx));
  }

  private h1s = new Int32Array(0);
  private h2s = new Int32Array(0);

  /**
   * keep() for n rows in order (a repeat within the batch is caught too): out[k]
   * is 1 for a row to keep. The table's cache misses for the whole batch are
   * taken together, overlapped (FingerprintSet.touch).
   */
  keepMany(rows: readonly Typed[][], n: number, out: Uint8Array): void {
    if (this.h1s.length < n) {
      this.h1s = new Int32Array(n);
      this.h2s = new Int32Array(n);
    }
    const { h1s, h2s, keyIdx, seen } = this;
    for (let k = 0; k < n; k++) FingerprintSet.fingerprint(keyOf(rows[k], keyIdx), h1s, h2s, k);
    seen.touch(h1s, h2s, n);
    for (let k = 0; k < n; k++) out[k] = seen.insert(h1s[k], h2s[k]) ? 1 : 0;
  }
}

export class CandidateDeduper implements Deduper {
  private readonly seen = new Set<string>();
  constructor(
    private readonly keyIdx: number[],
    /** Bit per data row: set when the row's key fingerprint occurs more than once in the file. */
    private readonly candidates: Uint8Array,
  ) {}
  keep(row: Typed[], ordinal: number): boolean {
    if (!(this.candidates[ordinal >>> 3] & (1 << (ordinal & 7)))) return true;
    const k = keyOf(row, this.keyIdx);
    if (this.seen.has(k)) return false;
    // A copy: the key may be a slice of its input chunk, and the set lives for the whole file.
    this.seen.add(detach(k));
    return true;
  }
}

const PARTS = 256;
const SLOTS = 1024; // entries buffered per partition before a spill write (3 MB in all)

/** Scratch for one key's fingerprint (FingerprintSet.fingerprint, the hash the main pass uses). */
const fp1 = new Int32Array(1);
const fp2 = new Int32Array(1);

/**
 * The pre-pass over a CSV source: returns the candidate bitmap for
 * CandidateDeduper. Rows whose key does not type are skipped here; the main
 * pass rejects them anyway.
 */
export async function findRepeatedKeys(
  source: AsyncIterable<Uint8Array>,
  contract: Contract,
  where: { dataset: string; key: string },
  spillDir: string,
): Promise<Uint8Array> {
  const fmt = contract.format;
  if (fmt.type !== 'csv') throw new Error('the dedupe pre-pass reads CSV only');
  const cols = contract.columns;
  const keyCols = contract.keys.map((k) => cols.findIndex((c) => c.name === k));
  const parsers = keyCols.map((i) => rangeParserFor(cols[i]));
  const cleaners = keyCols.map((i) => cleanerFor(cols[i], 'csv'));
  const plain = keyCols.map((i) => parserFor(cols[i]));
  mkdirSync(spillDir, { recursive: true });
  const fds = Array.from({ length: PARTS }, (_, p) => openSync(join(spillDir, `p${p}.bin`), 'w+'));
  const bufs = Array.from({ length: PARTS }, () => new Uint32Array(SLOTS * 3));
  const fill = new Int32Array(PARTS);
  const spill = (p: number) => {
    writeSync(fds[p], bufs[p], 0, fill[p] * 12);
    fill[p] = 0;
  };

  const defaults = keyCols.map((i) => {
    const d = cols[i].default;
    if (d === undefined || d === null) return null;
    const v = contractValue(d, parserFor(cols[i]), cols[i].type);
    return v === INVALID ? null : v;
  });
  let sourceIdx: number[] | undefined;
  let width = cols.length;
  if (!fmt.header) sourceIdx = keyCols;
  let ordinal = 0;
  const key: Typed[] = new Array(cols.length).fill(null);
  // The main pass's limits, so the pre-pass refuses (and costs) what the main pass would.
  const limits = limitsOf(contract.limits);
  const scanner = new CsvScanner({ ...fmt, limits }, where);
  const onRow = (src: string, starts: Int32Array, ends: Int32Array, n: number) => {
    if (!sourceIdx) {
      // The main pass's own column plan, so renamed key columns are found too.
      const names: string[] = [];
      for (let i = 0; i < n; i++) names.push(src.slice(starts[i], ends[i]));
      const plan = planColumns(names, contract, where);
      sourceIdx = keyCols.map((c) => plan.sourceIndex[c]);
      width = n;
      return;
    }
    const ord = ordinal++;
    if (n !== width) return;
    for (let k = 0; k < keyCols.length; k++) {
      const si = sourceIdx[k];
      // Mirrors the main pass: empty is the default or null; a bad value is a reject there.
      const clean = cleaners[k];
      const t = clean && si >= 0 ? clean(src.slice(starts[si], ends[si])) : undefined;
      const v =
        t === null ? defaults[k] : t !== undefined ? plain[k](t) : si < 0 || starts[si] === ends[si] ? defaults[k] : parsers[k](src, starts[si], ends[si]);
      if (v === INVALID) return;
      key[keyCols[k]] = v;
    }
    FingerprintSet.fingerprint(keyOf(key, keyCols), fp1, fp2, 0);
    const h1 = fp1[0];
    const h2 = fp2[0];
    const p = h1 >>> 24;
    const at = fill[p]++ * 3;
    const b = bufs[p];
    b[at] = h1;
    b[at + 1] = h2;
    b[at + 2] = ord;
    if (fill[p] === SLOTS) spill(p);
  };
  try {
    for await (const text of decodeText(source, fmt.encoding, where, limits)) scanner.push(text, onRow);
    scanner.end(onRow);
    const candidates = new Uint8Array((ordinal >>> 3) + 1);
    const entries = new Uint32Array(SLOTS * 3);
    for (let p = 0; p < PARTS; p++) {
      spill(p);
      markRepeats(fds[p], entries, candidates);
    }
    return candidates;
  } finally {
    for (const fd of fds) closeSync(fd);
    rmSync(spillDir, { recursive: true, force: true });
  }
}

/** Reads one partition's (h1, h2, ordinal) entries and sets the bit of every row whose fingerprint repeats. */
function markRepeats(fd: number, chunk: Uint32Array, candidates: Uint8Array): void {
  // First ordinal per fingerprint, in an open-addressing table sized to the partition.
  let cap = 1 << 12;
  let hi = new Uint32Array(cap);
  let lo = new Uint32Array(cap);
  let first = new Int32Array(cap).fill(-1);
  let size = 0;
  const mark = (o: number) => (candidates[o >>> 3] |= 1 << (o & 7));
  const insert = (h1: number, h2: number, o: number) => {
    let i = (h2 ^ Math.imul(h1, 0x9e3779b1)) & (cap - 1);
    while (first[i] !== -1) {
      if (hi[i] === h1 && lo[i] === h2) {
        mark(first[i]);
        mark(o);
        return;
      }
      i = (i + 1) & (cap - 1);
    }
    hi[i] = h1;
    lo[i] = h2;
    first[i] = o;
    size++;
  };
  const bytes = new Uint8Array(chunk.buffer);
  let pos = 0;
  for (;;) {
    const got = readSync(fd, bytes, 0, bytes.length, pos);
    if (got <= 0) break;
    pos += got;
    for (let e = 0; e + 3 <= got / 4; e += 3) {
      if ((size + 1) * 2 > cap) {
        const [oh, ol, of] = [hi, lo, first];
        cap *= 2;
        hi = new Uint32Array(cap);
        lo = new Uint32Array(cap);
        first = new Int32Array(cap).fill(-1);
        size = 0;
        for (let i = 0; i < of.length; i++) if (of[i] !== -1) insert(oh[i], ol[i], of[i]);
      }
      insert(chunk[e], chunk[e + 1], chunk[e + 2]);
    }
  }
}

import { recentHash, step1 } from '../base/hash';
import { detach } from '../base/strings';
import type { Aggregate, Contract } from '../contract/contract';
import { DATE_PART } from '../contract/input';
import { DistinctCounter, type DistinctDoc, DistinctQueue } from './distinct';
import { checkSum, exactRatio, exactSum, GoldOverflow, lessThan, measureType, toJson, type PartialDoc } from './measures';
import type { OutColumn } from '../parquet/writer';
import { GOLD_UPDATED_AT } from '../contract/audit';
import { canonicalDecimal, decimalSpec } from '../typing/decimal';
import type { Typed } from '../typing/values';

export { measureType, type PartialDoc } from './measures';

/**
 * Gold: declared aggregates per silver partition, built from mergeable
 * partials. Transform computes one partial per (file, partition) while it
 * writes silver; Publish merges every partial of a touched partition. A rerun
 * overwrites its own partial, so gold is the same whatever the order or the
 * number of times files were processed, and Publish never rereads silver.
 *
 * count, sum, min, max and avg are exact: integer and decimal sums run as a
 * JS number while |sum| <= 2^53 - 1 and spill into a bigint beyond, and a sum
 * past its result type (BIGINT, DECIMAL(38,s)) throws GoldOverflow (a file's
 * own: quarantined; over merged partials: null, see rows()); string min/max compare by UTF-8 bytes, as SQL engines do.
 * Each gold row carries `_updated_at`, the latest landing time of its rows. count_distinct is exact up
 * to EXACT_LIMIT (2048) distinct values per group and partition (a set of
 * 64-bit hashes), then a HyperLogLog estimate (2^14 registers, 16 KB, standard
 * error 0.81%), so its memory is bounded whatever the input size; its output
 * is the rounded estimate. See gold/distinct.ts.
 *
 * The hot path (addRow) allocates nothing and keeps no reference to the row:
 * groups are found in an open-addressing table over a hash of the group
 * values, and per-group state lives in flat arrays, one slot per measured
 * column shared by all its measures (sum and avg of a column add once).
 * That state is private to Aggregator and every method touches it, which is
 * why this file is longer than most: split, the table and the arrays would
 * have to be exposed to each other.
 */

const SAFE = Number.MAX_SAFE_INTEGER;
const SUM = 1;
const MIN = 2;
const MAX = 4;
const DISTINCT = 8;
const NON_NULL = 16;
const NUMERIC = SUM | MIN | MAX;
const FLAG = { count: 0, sum: SUM, avg: SUM, min: MIN, max: MAX, count_distinct: DISTINCT } as const;

const f64 = new Float64Array(1);
const i32 = new Int32Array(f64.buffer);

/** Fold one group value into a 32-bit hash (numbers and bigints of equal value hash alike). */
function mix(h: number, v: Typed): number {
  if (typeof v === 'string') {
    for (let i = 0; i < v.length; i++) h = step1(h, v.charCodeAt(i));
    h ^= v.length;
  } else if (typeof v === 'number' || typeof v === 'bigint') {
    const x = typeof v === 'number' ? v : Number(v);
    if ((x | 0) === x) h = step1(h, x);
    else {
      f64[0] = x;
      h = step1(h, i32[0]) ^ i32[1];
    }
  } else h ^= v === null ? 0x3c6ef372 : v ? 0x1b873593 : 0x2c1b3c6d;
  h = Math.imul(h ^ (h >>> 15), 0x85ebca6b);
  return h ^ (h >>> 13);
}

/** Same value, as a Map key would see it (NaN equals NaN). */
const same = (a: Typed, b: Typed) => a === b || (typeof a === 'number' && typeof b === 'number' && Number.isNaN(a) && Number.isNaN(b));

/**
 * An aggregate as the contract writes it, as text: group entries as written (`year(d)`) with their
 * columns' types, measures with their function, column, filter and the column's type. The gold view
 * (gold/view.ts) rewrites aggregates onto derived columns named by position, so it computes this
 * from the aggregate it was given and passes it on (`ShapedAggregate`).
 */
export function aggregateShape(agg: Aggregate, types: ReadonlyMap<string, string>): string {
  const typeOf = (c: string) => types.get(DATE_PART.exec(c)?.[2] ?? c) ?? null;
  return JSON.stringify([
    agg.groupBy.map((g) => [g, typeOf(g)]),
    agg.measures.map((m) => [m.fn, m.column ?? null, m.where ?? null, m.column ? typeOf(m.column) : null]),
  ]);
}

/** An aggregate rewritten by the gold view, carrying the shape of the one it was written as. */
export type ShapedAggregate = Aggregate & { shape?: string };

export class Aggregator {
  readonly columns: OutColumn[];
  private readonly types: Map<string, string>;
  private readonly nk: number;
  private readonly groupIdx: Int32Array;
  private readonly identity: Int32Array;
  private readonly g0: number;
  private readonly g1: number;
  /** Measured columns ("slots"): row position, what to track, decimal or not. */
  private readonly S: number;
  private readonly slotCol: Int32Array;
  private readonly slotFlags: Int32Array;
  private readonly slotDecimal: boolean[];
  /** Summed exactly (integer and decimal columns). */
  private readonly slotExact: boolean[];
  private readonly slotNames: string[];
  /** Per measure: its slot (-1 for count(*)) and its flag. */
  private readonly mSlot: number[];
  private readonly mFlag: number[];
  /**
   * What a measure's partial entry contributes when merged: measures on one
   * column share a slot, so its non-null count, sum and distinct state are
   * taken once, from the first measure that tracks them (they are equal).
   */
  private readonly mOwns: number[];

  // Group table: slots hold group id + 1; keys are flat, nk per group.
  private table = new Int32Array(16);
  private hashes = new Int32Array(8);
  private keys: Typed[] = [];
  private n = 0;
  private cap = 8;

  // Per-group state. count by group; the rest by group * S + slot.
  // Numbers (and decimals that are safe integers) run in Float64Arrays: min/max start as
  // NaN (none yet). Everything else (decimals beyond 2^53, strings, booleans) goes to the
  // generic arrays: sumBig, minX, maxX.
  private count = new Float64Array(8);
  private nonNull: Float64Array;
  private sum: Float64Array;
  private minN: Float64Array;
  private maxN: Float64Array;
  private sumBig: bigint[] = [];
  private minX: Typed[] = [];
  private maxX: Typed[] = [];
  private distinct: (DistinctCounter | undefined)[] = [];
  /** count_distinct values on their way to `distinct` (drained before any read or merge of it). */
  private readonly pending = new DistinctQueue(this.distinct);

  /**
   * What a partial's values mean: the group columns and measures, by position, with their column
   * types. A partial written under another gold definition (a measure inserted, a column's scale
   * changed) would be read wrongly by position: merge() refuses it.
   */
  readonly shape: string;

  constructor(
    readonly agg: Aggregate,
    contract: Contract,
  ) {
    this.types = new Map(contract.columns.map((c) => [c.name, c.type]));
    this.shape = (agg as ShapedAggregate).shape ?? aggregateShape(agg, this.types);
    const index = new Map(contract.columns.map((c, i) => [c.name, i]));
    this.nk = agg.groupBy.length;
    this.groupIdx = Int32Array.from(agg.groupBy.map((g) => index.get(g)!));
    this.identity = Int32Array.from(agg.groupBy.map((_, i) => i));
    this.g0 = this.groupIdx[0] ?? -1;
    this.g1 = this.groupIdx[1] ?? -1;
    const cols: string[] = [];
    const flags: number[] = [];
    this.mSlot = agg.measures.map((m) => {
      if (!m.column) return -1;
      let s = cols.indexOf(m.column);
      if (s < 0) {
        s = cols.push(m.column) - 1;
        flags.push(0);
      }
      flags[s] |= FLAG[m.fn];
      return s;
    });
    this.mFlag = agg.measures.map((m) => FLAG[m.fn]);
    const taken = cols.map(() => 0);
    this.mOwns = this.mFlag.map((f, m) => {
      const s = this.mSlot[m];
      if (s < 0) return 0;
      const owns = (f | NON_NULL) & ~taken[s] & (NON_NULL | SUM | DISTINCT);
      taken[s] |= owns;
      return owns;
    });
    this.S = cols.length;
    this.slotCol = Int32Array.from(cols.map((c) => index.get(c)!));
    this.slotFlags = Int32Array.from(flags);
    this.slotDecimal = cols.map((c) => decimalSpec(this.types.get(c)!) !== undefined);
    this.slotNames = cols;
    this.slotExact = cols.map((c) => exactSum(this.types.get(c)));
    this.nonNull = new Float64Array(this.cap * this.S);
    this.sum = new Float64Array(this.cap * this.S);
    this.minN = new Float64Array(this.cap * this.S).fill(NaN);
    this.maxN = new Float64Array(this.cap * this.S).fill(NaN);
    this.columns = [
      ...agg.groupBy.map((g) => ({ name: g, type: this.types.get(g)! as OutColumn['type'], nullable: true })),
      ...agg.measures.map((m) => ({
        name: m.as,
        type: measureType(m.fn, m.column && this.types.get(m.column)),
        nullable: m.fn !== 'count' && m.fn !== 'count_distinct',
      })),
      GOLD_UPDATED_AT,
    ];
  }

  /** Landing time of the rows added by addRow (the stage's file); NaN when unknown. */
  ingestedAt = NaN;
  /** Per group: the latest landing time of its rows. */
  private updated = new Float64Array(8).fill(NaN);

  /** The id of the group of these key values (read from `src` at `idx`), created when new; values are copied. */
  private group(src: readonly Typed[], idx: Int32Array): number {
    const nk = this.nk;
    let h = 0x9747b28c | 0; // int32, as the hashes array stores it (with no group columns it is the hash)
    for (let k = 0; k < nk; k++) h = mix(h, src[idx[k]]);
    const table = this.table;
    const mask = table.length - 1;
    const keys = this.keys;
    let i = h & mask;
    for (;;) {
      const g = table[i] - 1;
      if (g < 0) break;
      if (this.hashes[g] === h) {
        let k = 0;
        const base = g * nk;
        while (k < nk && same(keys[base + k], src[idx[k]])) k++;
        if (k === nk) return g;
      }
      i = (i + 1) & mask;
    }
    return this.create(src, idx, h, i);
  }

  /**
   * Group + 1 of two-string keys seen lately, 1024 buckets of two by recentHash of each string
   * (base/hash.ts): a repeated pair is found by comparing the two strings, without hashing them
   * in full for the table.
   */
  private readonly recent2 = new Int32Array(2048);

  /** group() for the common one- and two-column keys: the generic loops cost a third of the row. */
  private group2(row: readonly Typed[]): number {
    const a = row[this.g0];
    const b = row[this.g1];
    const keys = this.keys;
    const recent = this.recent2;
    let slot = -1;
    if (typeof a === 'string' && typeof b === 'string') {
      slot = ((recentHash(a) ^ Math.imul(recentHash(b), 0x85ebca6b)) >>> 21) & 2046;
      // Strings are equal under === exactly when same() says so.
      let g = recent[slot] - 1;
      if (g >= 0 && keys[2 * g] === a && keys[2 * g + 1] === b) return g;
      g = recent[slot + 1] - 1;
      if (g >= 0 && keys[2 * g] === a && keys[2 * g + 1] === b) return g;
    }
    const h = mix(mix(0x9747b28c, a), b);
    const table = this.table;
    const mask = table.length - 1;
    let i = h & mask;
    let g: number;
    for (;;) {
      g = table[i] - 1;
      if (g < 0) {
        g = this.create(row, this.groupIdx, h, i);
        break;
      }
      if (this.hashes[g] === h && same(keys[2 * g], a) && same(keys[2 * g + 1], b)) break;
      i = (i + 1) & mask;
    }
    if (slot >= 0) {
      // The newest pair in the bucket's first way, the one it displaces in the second.
      recent[slot + 1] = recent[slot];
      recent[slot] = g + 1;
    }
    return g;
  }

  private group1(row: readonly Typed[]): number {
    const a = row[this.g0];
    const h = mix(0x9747b28c, a);
    const table = this.table;
    const mask = table.length - 1;
    let i = h & mask;
    for (;;) {
      const g = table[i] - 1;
      if (g < 0) break;
      if (this.hashes[g] === h && same(this.keys[g], a)) return g;
      i = (i + 1) & mask;
    }
    return this.create(row, this.groupIdx, h, i);
  }

  private create(src: readonly Typed[], idx: Int32Array, h: number, at: number): number {
    const g = this.n++;
    if (g === this.cap) this.grow();
    for (let k = 0; k < this.nk; k++) {
      // A copy, not the row's value: a long string may be a slice of its whole input chunk.
      const v = src[idx[k]];
      this.keys.push(typeof v === 'string' ? detach(v) : v);
    }
    this.hashes[g] = h;
    this.updated[g] = this.ingestedAt;
    this.table[at] = g + 1;
    for (let s = 0; s < this.S; s++) {
      this.sumBig.push(0n);
      this.minX.push(null);
      this.maxX.push(null);
      this.distinct.push(this.slotFlags[s] & DISTINCT ? new DistinctCounter() : undefined);
    }
    if (this.n * 2 > this.table.length) {
      const table = new Int32Array(this.table.length * 2);
      const mask = table.length - 1;
      for (let j = 0; j < this.n; j++) {
        let i = this.hashes[j] & mask;
        while (table[i] !== 0) i = (i + 1) & mask;
        table[i] = j + 1;
      }
      this.table = table;
    }
    return g;
  }

  private grow(): void {
    const cap = this.cap * 2;
    const widen = (a: Float64Array, size: number, fill = 0) => {
      const b = new Float64Array(size).fill(fill);
      b.set(a);
      return b;
    };
    this.count = widen(this.count, cap);
    this.updated = widen(this.updated, cap, NaN);
    this.nonNull = widen(this.nonNull, cap * this.S);
    this.sum = widen(this.sum, cap * this.S);
    this.minN = widen(this.minN, cap * this.S, NaN);
    this.maxN = widen(this.maxN, cap * this.S, NaN);
    const hashes = new Int32Array(cap);
    hashes.set(this.hashes);
    this.hashes = hashes;
    this.cap = cap;
  }

  /** Add one typed row laid out in contract column order. Values are copied out; the row may be reused. */
  addRow(row: readonly Typed[]): void {
    const nk = this.nk;
    const g = nk === 2 ? this.group2(row) : nk === 1 ? this.group1(row) : this.group(row, this.groupIdx);
    this.count[g]++;
    const S = this.S;
    const slotCol = this.slotCol;
    const slotFlags = this.slotFlags;
    for (let s = 0, i = g * S; s < S; s++, i++) {
      const v = row[slotCol[s]];
      if (v === null) continue;
      this.nonNull[i]++;
      const f = slotFlags[s];
      if (f & NUMERIC) this.addValue(i, s, f, v);
      if (f & DISTINCT) this.pending.add(i, v);
    }
  }

  /**
   * Sum, min and max of one value (`f` says which). A decimal runs as a JS
   * number while it and the sum are safe integers, so results stay exact and
   * the hot path neither allocates nor compares bigints.
   */
  private addValue(i: number, s: number, f: number, v: Typed): void {
    let x: number;
    const exact = this.slotExact[s];
    // A decimal number is a safe scaled integer (typing/decimal.ts: Scaled), an integer one a safe integer;
    // a bigint may still be one (merged partials).
    if (typeof v === 'number') x = v;
    else if (typeof v === 'bigint' && exact && (x = Number(v)) <= SAFE && x >= -SAFE) {
      // safe decimal
    } else return this.addOther(i, f, v);
    if (f & SUM) {
      const t = this.sum[i] + x;
      if (!exact || (t <= SAFE && t >= -SAFE)) this.sum[i] = t;
      else this.sumBig[i] += BigInt(x);
    }
    if (f & MIN && !(x >= this.minN[i])) this.minN[i] = x;
    if (f & MAX && !(x <= this.maxN[i])) this.maxN[i] = x;
  }

  private addOther(i: number, f: number, v: Typed): void {
    if (f & SUM) {
      if (typeof v === 'bigint') this.sumBig[i] += v;
      else if (typeof v === 'number') this.sum[i] += v;
      else if (typeof v === 'boolean') this.sum[i] += v ? 1 : 0;
    }
    if (f & MIN && v !== null && (this.minX[i] === null || lessThan(v, this.minX[i]))) this.minX[i] = typeof v === 'string' ? detach(v) : v;
    if (f & MAX && v !== null && (this.maxX[i] === null || lessThan(this.maxX[i], v))) this.maxX[i] = typeof v === 'string' ? detach(v) : v;
  }

  private extreme(i: number, max: boolean): Typed {
    const n = max ? this.maxN[i] : this.minN[i];
    const x = max ? this.maxX[i] : this.minX[i];
    const a: Typed = Number.isNaN(n) ? null : n;
    if (a === null || x === null) return a ?? x;
    return (max ? (x as number) > a : (x as number) < a) ? x : a;
  }

  /** The sum; an exact one in canonical form (typing/decimal.ts: Scaled), checked against its result type. */
  private total(i: number, s: number, check = true): number | bigint {
    if (!this.slotExact[s] || this.sumBig[i] === 0n) return this.sum[i];
    const t = canonicalDecimal(BigInt(this.sum[i]) + this.sumBig[i]);
    if (check) checkSum(t, this.slotDecimal[s], `sum(${this.slotNames[s]}) of a group in gold ${this.agg.name}`);
    return t;
  }

  /** Throws GoldOverflow when any sum is past its result type (the stage checks its file's partial). */
  checkOverflow(): void {
    // Only a sum measure has a result type to overflow: an average is a double.
    const summed = [...new Set(this.agg.measures.flatMap((m, k) => (m.fn === 'sum' ? [this.mSlot[k]] : [])))];
    for (let g = 0; g < this.n; g++) for (const s of summed) this.total(g * this.S + s, s);
  }

  toPartial(): PartialDoc {
    this.pending.drain();
    const groups: PartialDoc['groups'] = [];
    for (let g = 0; g < this.n; g++) {
      groups.push({
        keys: this.keys.slice(g * this.nk, (g + 1) * this.nk).map(toJson),
        updatedAt: !Number.isNaN(this.updated[g]) ? this.updated[g] : undefined,
        accs: this.agg.measures.map((_, m) => {
          const s = this.mSlot[m];
          const f = this.mFlag[m];
          if (s < 0) return { count: this.count[g], nonNull: 0, sum: 0, min: null, max: null, distinct: undefined };
          const i = g * this.S + s;
          // Exact whatever its size (merged partials may come back in range); checked where it is a result.
          const sum = f & SUM ? this.total(i, s, false) : 0;
          return {
            count: this.count[g],
            nonNull: this.nonNull[i],
            sum: toJson(sum) as string | number,
            min: f & MIN ? toJson(this.extreme(i, false)) : null,
            max: f & MAX ? toJson(this.extreme(i, true)) : null,
            distinct: f & DISTINCT ? this.distinct[i]!.toDoc() : undefined,
          };
        }),
      });
    }
    return { aggregate: this.agg.name, shape: this.shape, groups };
  }

  /**
   * Merges a partial written by another run (or file) into this one; false (nothing added) for a
   * partial of another shape (see `shape`).
   */
  merge(doc: PartialDoc): boolean {
    if (doc.shape !== undefined && doc.shape !== this.shape) return false;
    this.pending.drain();
    const back = (v: Typed, col: string | undefined): Typed => {
      if (v === null || !col) return v;
      const type = this.types.get(col)!;
      if (decimalSpec(type)) return canonicalDecimal(BigInt(v as string | number));
      // An integer past 2^53 is stored as its digits: back to the stage's form, a number while safe
      // and a bigint beyond (the same canonical form as a scaled decimal).
      if (type === 'integer' && typeof v === 'string') return canonicalDecimal(BigInt(v));
      return type === 'double' && typeof v === 'string' ? Number(v) : v; // 'Infinity', '-Infinity', 'NaN'
    };
    for (const pg of doc.groups) {
      const g = this.group(
        pg.keys.map((k, i) => back(k, this.agg.groupBy[i])),
        this.identity,
      );
      if (pg.accs.length) this.count[g] += pg.accs[0].count;
      if (pg.updatedAt !== undefined && !(this.updated[g] >= pg.updatedAt)) this.updated[g] = pg.updatedAt;
      pg.accs.forEach((p, m) => {
        const s = this.mSlot[m];
        if (s === undefined || s < 0) return;
        const i = g * this.S + s;
        const f = this.mFlag[m];
        const owns = this.mOwns[m];
        const col = this.agg.measures[m].column;
        if (owns & NON_NULL) this.nonNull[i] += p.nonNull;
        if (owns & SUM) {
          if (this.slotExact[s]) this.addValue(i, s, SUM, BigInt(p.sum));
          else this.sum[i] += Number(p.sum);
        }
        const min = back(p.min, col);
        const max = back(p.max, col);
        if (f & MIN && min !== null) this.addValue(i, s, MIN, min);
        if (f & MAX && max !== null) this.addValue(i, s, MAX, max);
        if (owns & DISTINCT && p.distinct) this.distinct[i]!.merge(p.distinct as DistinctDoc | (string | number | boolean)[]);
      });
    }
    return true;
  }

  /**
   * The gold rows. A sum past its type throws GoldOverflow, unless `overflow`
   * is given: then that sum is null and `overflow` is told the measure (gold
   * merged from many files, where no one file is to blame: see Publish).
   * An average is a double, computed from the exact sum, so it never overflows.
   */
  rows(overflow?: (measure: string) => void): Typed[][] {
    this.pending.drain();
    const out: { key: string; row: Typed[] }[] = [];
    for (let g = 0; g < this.n; g++) {
      const keys = this.keys.slice(g * this.nk, (g + 1) * this.nk);
      const row = [
        ...keys,
        ...this.agg.measures.map((m, k): Typed => {
          const s = this.mSlot[k];
          const i = g * this.S + s;
          switch (m.fn) {
            case 'count':
              return m.column ? this.nonNull[i] : this.count[g];
            case 'count_distinct':
              return this.distinct[i]!.size;
            case 'sum':
              if (!this.nonNull[i]) return null;
              try {
                return this.total(i, s);
              } catch (e) {
                if (!overflow || !(e instanceof GoldOverflow)) throw e;
                overflow(m.as);
                return null;
              }
            case 'avg': {
              if (!this.nonNull[i]) return null;
              const sum = this.total(i, s, false);
              if (!this.slotExact[s]) return (sum as number) / this.nonNull[i];
              const scale = decimalSpec(this.types.get(m.column!)!)?.scale ?? 0;
              return exactRatio(BigInt(sum), BigInt(this.nonNull[i]) * 10n ** BigInt(scale));
            }
            case 'min':
              return this.extreme(i, false);
            case 'max':
              return this.extreme(i, true);
          }
        }),
        !Number.isNaN(this.updated[g]) ? this.updated[g] : null,
      ];
      out.push({ key: JSON.stringify(keys.map(toJson)), row });
    }
    // Deterministic order: identical inputs give byte-identical gold files.
    return out.sort((x, y) => (x.key < y.key ? -1 : x.key > y.key ? 1 : 0)).map((r) => r.row);
  }
}

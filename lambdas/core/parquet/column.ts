import { Bytes } from './bytes';
import { Phys, type EncoderColumn } from './schema';
import { RecentStrings } from '../base/hash';
import { detach } from '../base/strings';
import type { Value } from './values';

export { ENC, Phys, physicalOf, type EncoderColumn } from './schema';

/**
 * One column chunk being built: values are encoded as they arrive into typed
 * buffers (definition levels, fixed-width values, a string dictionary or PLAIN
 * bytes), then cut into pages (parquet/pages.ts) with statistics
 * (parquet/stats.ts) at flush. One class with per-type append loops (the
 * stage's hottest code after the scanner), which is why the file runs long.
 */

/** A string chunk stays dictionary-encoded up to this many distinct values... */
const DICT_MAX = 4096;
/** ...and this many characters of them (4096 long values would pin megabytes per column and partition). */
const DICT_MAX_CHARS = 1 << 20;
const TWO32 = 4294967296;

/** One column's values for the row group being built. */
export class ColumnBuffer {
  // Small at first: a file per partition, thousands of partitions (they grow on demand).
  defs: Uint8Array = new Uint8Array(64);
  count = 0;
  nulls = 0;
  /** Fixed-width values (8 bytes a slot for INT64/DOUBLE, 4 for INT32, 1 for BOOLEAN). */
  fixed = new Bytes(256);
  /** Dictionary state for strings: ids per value, distinct values in order. */
  dict: Map<string, number> | undefined = new Map();
  dictValues: string[] = [];
  dictChars = 0;
  ids: Int32Array = new Int32Array(64);
  nIds = 0;
  plain = new Bytes(256);
  min: number | bigint | undefined;
  max: number | bigint | undefined;
  private readonly f64 = new Float64Array(1);
  private readonly b64 = new BigInt64Array(this.f64.buffer);
  private readonly u8 = new Uint8Array(this.f64.buffer);

  constructor(
    readonly col: EncoderColumn,
    readonly phys: Phys,
    readonly typeLength: number,
  ) {
    if (phys !== Phys.BYTE_ARRAY) this.dict = undefined;
    this.runnable = phys === Phys.BYTE_ARRAY || phys === Phys.INT64 || phys === Phys.INT32;
  }

  get bytes(): number {
    return this.count + this.fixed.len + this.plain.len + this.nIds * 4;
  }

  /** Memory held, used or not: buffers keep their grown size across row groups. */
  get retainedBytes(): number {
    return this.defs.length + this.fixed.buf.length + this.plain.buf.length + this.ids.length * 4 + this.dictChars * 2;
  }

  /** Capacity beyond what the buffered values use. */
  get spareBytes(): number {
    return this.defs.length - this.count + this.fixed.buf.length - this.fixed.len + this.plain.buf.length - this.plain.len + (this.ids.length - this.nIds) * 4;
  }

  /** Back to tiny buffers (they grow again on demand). Only between row groups (nothing buffered). */
  release(): void {
    if (this.count) return;
    this.defs = new Uint8Array(16);
    this.fixed = new Bytes(16);
    this.plain = new Bytes(16);
    this.ids = new Int32Array(16);
  }

  /** Typed views over `fixed.buf`, remade when it grows (Parquet and every Lambda CPU are little-endian). */
  private viewOf: Uint8Array | undefined;
  private i32: Int32Array = new Int32Array(0);
  private f64s: Float64Array = new Float64Array(0);

  private views(): void {
    const b = this.fixed.buf;
    this.viewOf = b;
    this.i32 = new Int32Array(b.buffer, b.byteOffset, b.byteLength >>> 2);
    this.f64s = new Float64Array(b.buffer, b.byteOffset, b.byteLength >>> 3);
  }

  append(v: Value): void {
    if (this.runLen) this.settle(true);
    if (v === null || v === undefined) return this.appendNull();
    this.present();
    switch (this.phys) {
      case Phys.BYTE_ARRAY:
        return this.string(v as string);
      case Phys.INT64:
        return typeof v === 'bigint' ? this.bigint64(v) : this.int64(v as number);
      case Phys.DOUBLE:
        return this.double(v as number);
      case Phys.INT32:
        return this.int32(v as number);
      case Phys.BOOLEAN:
        return this.bool(v as boolean);
      case Phys.FIXED:
        return this.fixedDecimal(v as number | bigint);
    }
  }

  /**
   * Column c of rows[order[from]] .. rows[order[from + n - 1]]: append() for a
   * batch, with the type dispatch taken once rather than per value.
   */
  appendColumn(rows: readonly (readonly Value[])[], order: Int32Array, from: number, n: number, c: number): void {
    const end = from + n;
    if (this.runLen === this.count && this.runnable) {
      // Run mode: every value of the chunk so far is one value (the audit columns), counted only.
      let k = from;
      if (this.runLen === 0) {
        const v = rows[order[k]][c];
        if (typeof v === (this.phys === Phys.BYTE_ARRAY ? 'string' : 'number')) this.runValue = v as string | number;
      }
      const run = this.runValue;
      if (run !== null) while (k < end && rows[order[k]][c] === run) k++;
      this.runLen += k - from;
      this.count += k - from;
      if (k === end) return;
      this.settle(true);
      from = k;
    }
    switch (this.phys) {
      case Phys.BYTE_ARRAY:
        for (let k = from; k < end; k++) {
          const v = rows[order[k]][c];
          if (v === null) this.appendNull();
          else {
            this.present();
            this.string(v as string);
          }
        }
        return;
      case Phys.INT64:
        for (let k = from; k < end; k++) {
          const v = rows[order[k]][c];
          if (v === null) this.appendNull();
          else {
            this.present();
            if (typeof v === 'bigint') this.bigint64(v);
            else this.int64(v as number);
          }
        }
        return;
      case Phys.DOUBLE:
        for (let k = from; k < end; k++) {
          const v = rows[order[k]][c];
          if (v === null) this.appendNull();
          else {
            this.present();
            this.double(v as number);
          }
        }
        return;
      case Phys.INT32:
        for (let k = from; k < end; k++) {
          const v = rows[order[k]][c];
          if (v === null) this.appendNull();
          else {
            this.present();
            this.int32(v as number);
          }
        }
        return;
      default:
        for (let k = from; k < end; k++) this.append(rows[order[k]][c]);
    }
  }

  /** Integer and string chunks start in run mode (see appendColumn). */
  private readonly runnable: boolean;
  private runValue: string | number | null = null;
  /** Values in run mode (== count while in it; 0 once settled). */
  private runLen = 0;

  /**
   * Leaves run mode: the run becomes what appending it value by value would
   * have made. At flush (`values` false) an integer run is left as its
   * extremes alone: a chunk of one value is written from them (parquet/pages.ts).
   */
  settle(values = false): void {
    const n = this.runLen;
    if (!n) return;
    this.runLen = 0;
    const v = this.runValue!;
    if (this.col.nullable) {
      while (this.defs.length < n) this.growDefs();
      this.defs.fill(1, 0, n);
    }
    if (this.phys === Phys.BYTE_ARRAY) {
      const own = detach(v as string);
      this.dict!.set(own, 0);
      this.dictValues.push(own);
      this.dictChars += own.length;
      if (this.ids.length < n) this.ids = new Int32Array(Math.max(n, this.ids.length * 2));
      this.ids.fill(0, 0, n);
      this.nIds = n;
      this.lastStr = own;
      this.lastId = 0;
      return;
    }
    const x = v as number;
    if (!values) {
      this.minN = this.maxN = x;
      return;
    }
    this.count = 0;
    for (let i = 0; i < n; i++) {
      this.count++;
      if (this.phys === Phys.INT64) this.int64(x);
      else this.int32(x);
    }
  }

  private appendNull(): void {
    if (!this.col.nullable) throw new Error(`null in required Parquet column ${this.col.name}`);
    if (this.count === this.defs.length) this.growDefs();
    this.defs[this.count++] = 0;
    this.nulls++;
  }

  /** A value follows: definition levels are kept for nullable columns only (a required column has none). */
  private present(): void {
    if (this.col.nullable) {
      if (this.count === this.defs.length) this.growDefs();
      this.defs[this.count] = 1;
    }
    this.count++;
  }

  private int64(n: number): void {
    const f = this.fixed;
    f.ensure(8);
    if (this.viewOf !== f.buf) this.views();
    // Two's complement halves of a safe integer, without a BigInt.
    const hi = Math.floor(n / TWO32);
    const k = f.len >>> 2;
    this.i32[k] = n - hi * TWO32;
    this.i32[k + 1] = hi;
    f.len += 8;
    if (n < this.minN) this.minN = n;
    if (n > this.maxN) this.maxN = n;
  }

  private double(n: number): void {
    const f = this.fixed;
    f.ensure(8);
    if (this.viewOf !== f.buf) this.views();
    this.f64s[f.len >>> 3] = n;
    f.len += 8;
    if (n < this.minN) this.minN = n;
    if (n > this.maxN) this.maxN = n;
  }

  private int32(n: number): void {
    const f = this.fixed;
    f.ensure(4);
    if (this.viewOf !== f.buf) this.views();
    this.i32[f.len >>> 2] = n;
    f.len += 4;
    if (n < this.minN) this.minN = n;
    if (n > this.maxN) this.maxN = n;
  }

  private bool(v: boolean): void {
    const f = this.fixed;
    f.ensure(1);
    f.buf[f.len++] = v ? 1 : 0;
  }

  private growDefs(): void {
    const d = new Uint8Array(Math.max(16, this.count * 2));
    d.set(this.defs);
    this.defs = d;
  }

  /** Numbers' extremes (NaN never compares, so a NaN is left out); bigints' in min/max. */
  minN = Infinity;
  maxN = -Infinity;

  private bigint64(v: bigint): void {
    const f = this.fixed;
    f.ensure(8);
    this.b64[0] = v;
    f.buf.set(this.u8, f.len);
    f.len += 8;
    if (this.min === undefined || v < this.min) this.min = v;
    if (this.max === undefined || v > this.max) this.max = v;
  }

  private fixedDecimal(v: number | bigint): void {
    const n = this.typeLength;
    const f = this.fixed;
    f.ensure(n);
    const big = BigInt(v);
    if (this.min === undefined || big < this.min) this.min = big;
    if (this.max === undefined || big > this.max) this.max = big;
    let x = BigInt.asUintN(n * 8, big);
    for (let i = n - 1; i >= 0; i--) {
      f.buf[f.len + i] = Number(x & 0xffn);
      x >>= 8n;
    }
    f.len += n;
  }

  private lastStr: string | undefined;
  private lastId = 0;
  /** Recent dictionary entries; valid for the current dictionary only. */
  private readonly recent = new RecentStrings();

  private string(s: string): void {
    const dict = this.dict;
    if (dict) {
      // The same string as the last one (constant columns such as _source_key, runs in sorted input).
      if (s === this.lastStr && this.nIds < this.ids.length) {
        this.ids[this.nIds++] = this.lastId;
        return;
      }
      // A long value may be a slice of a whole input chunk: what is kept is a copy (base/strings.ts).
      const long = s.length >= 13;
      let id = this.recent.get(s);
      if (id < 0) {
        id = dict.get(s) ?? -1;
        if (id < 0) {
          // Past 1024 entries with most values distinct, a dictionary will not pay: PLAIN now,
          // rather than after 4096 inserts (each chunk decides afresh, so this is paid per chunk).
          if (dict.size >= DICT_MAX || this.dictChars > DICT_MAX_CHARS || (dict.size >= 1024 && dict.size * 2 > this.nIds)) {
            this.toPlain();
            this.plain.str(s);
            return;
          }
          id = dict.size;
          const own = detach(s);
          dict.set(own, id);
          this.dictValues.push(own);
          this.dictChars += own.length;
        }
        this.recent.set(long ? this.dictValues[id] : s, id);
      }
      this.lastStr = long ? this.dictValues[id] : s;
      this.lastId = id;
      if (this.nIds === this.ids.length) {
        const next = new Int32Array(this.nIds * 2);
        next.set(this.ids);
        this.ids = next;
      }
      this.ids[this.nIds++] = id;
      return;
    }
    this.plain.str(s);
  }

  /** Too many distinct values: this chunk is written PLAIN (the values so far re-encoded once). */
  private toPlain(): void {
    for (let i = 0; i < this.nIds; i++) this.plain.str(this.dictValues[this.ids[i]]);
    this.dict = undefined;
    this.dictValues = [];
    this.dictChars = 0;
    this.nIds = 0;
  }

  /**
   * Ready for the next row group. Buffers are kept for reuse unless a large
   * row group grew them past 4 MB, so memory follows what is buffered now.
   */
  reset(): void {
    const big = 4 << 20;
    this.count = 0;
    this.nulls = 0;
    this.fixed = this.fixed.buf.length > big ? new Bytes(8192) : ((this.fixed.len = 0), this.fixed);
    this.plain = this.plain.buf.length > big ? new Bytes(8192) : ((this.plain.len = 0), this.plain);
    if (this.defs.length > big) this.defs = new Uint8Array(1024);
    if (this.ids.length * 4 > big) this.ids = new Int32Array(1024);
    this.nIds = 0;
    // A fresh dictionary per chunk (a reader decodes each chunk on its own; some mis-read
    // files whose chunks mix dictionary and PLAIN for one column across row groups).
    this.dict = this.phys === Phys.BYTE_ARRAY ? new Map() : undefined;
    this.recent.clear();
    this.lastStr = undefined;
    this.runLen = 0;
    this.runValue = null;
    this.dictValues = [];
    this.dictChars = 0;
    this.min = undefined;
    this.max = undefined;
    this.minN = Infinity;
    this.maxN = -Infinity;
  }
}

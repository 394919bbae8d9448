import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { decimalSpec, type Typed } from './types';
import { encodeStruct, type ThriftStruct } from './thrift';

/**
 * A streaming Parquet writer built for the stage's hot loop: each value is
 * encoded into typed-array column buffers as the row arrives (the row array
 * itself is never kept), and a row group is written when the buffers reach a
 * byte budget. Pages are data page v1, uncompressed: PLAIN for numbers,
 * dictionary (RLE_DICTIONARY) for strings while a chunk has few distinct
 * values, PLAIN once it has many. Statistics (null count; min/max of numeric
 * columns) let Athena and DuckDB skip row groups.
 */

export interface EncoderColumn {
  name: string;
  type: string;
  nullable: boolean;
}

const enum Phys {
  BOOLEAN = 0,
  INT32 = 1,
  INT64 = 2,
  DOUBLE = 5,
  BYTE_ARRAY = 6,
  FIXED = 7,
}
const CONVERTED = { UTF8: 0, DECIMAL: 5, DATE: 6, TIMESTAMP_MILLIS: 9 };
const ENC = { PLAIN: 0, RLE: 3, RLE_DICTIONARY: 8 };
/** A string chunk stays dictionary-encoded up to this many distinct values. */
const DICT_MAX = 4096;
const TWO32 = 4294967296;
const utf8 = new TextEncoder();

/** Growable byte buffer. */
class Bytes {
  buf: Uint8Array;
  len = 0;
  constructor(size = 4096) {
    this.buf = new Uint8Array(size);
  }
  ensure(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }
  u32(v: number): void {
    this.ensure(4);
    const b = this.buf;
    b[this.len++] = v & 255;
    b[this.len++] = (v >>> 8) & 255;
    b[this.len++] = (v >>> 16) & 255;
    b[this.len++] = (v >>> 24) & 255;
  }
  /** Length-prefixed UTF-8, ASCII written directly. */
  str(s: string): void {
    const n = s.length;
    this.ensure(4 + n);
    const at = this.len;
    const b = this.buf;
    let i = 0;
    for (; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c > 127) break;
      b[at + 4 + i] = c;
    }
    let size = n;
    if (i < n) {
      this.ensure(4 + n * 3);
      size = utf8.encodeInto(s, this.buf.subarray(at + 4)).written;
    }
    this.len = at;
    this.u32(size);
    this.len = at + 4 + size;
  }
  varint(n: number): void {
    this.ensure(5);
    while (n >= 0x80) {
      this.buf[this.len++] = (n & 0x7f) | 0x80;
      n >>>= 7;
    }
    this.buf[this.len++] = n;
  }
  add(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
  }
}

function physicalOf(col: EncoderColumn): { phys: Phys; typeLength?: number; converted?: number; precision?: number; scale?: number } {
  switch (col.type) {
    case 'string':
      return { phys: Phys.BYTE_ARRAY, converted: CONVERTED.UTF8 };
    case 'integer':
      return { phys: Phys.INT64 };
    case 'double':
      return { phys: Phys.DOUBLE };
    case 'boolean':
      return { phys: Phys.BOOLEAN };
    case 'date':
      return { phys: Phys.INT32, converted: CONVERTED.DATE };
    case 'timestamp':
      return { phys: Phys.INT64, converted: CONVERTED.TIMESTAMP_MILLIS };
    default: {
      const spec = decimalSpec(col.type);
      if (!spec) throw new Error(`no Parquet type for column ${col.name}: ${col.type}`);
      const { precision, scale } = spec;
      if (precision <= 18) return { phys: Phys.INT64, converted: CONVERTED.DECIMAL, precision, scale };
      return { phys: Phys.FIXED, typeLength: Math.ceil((precision * Math.log2(10) + 1) / 8), converted: CONVERTED.DECIMAL, precision, scale };
    }
  }
}

/** One column's values for the row group being built. */
class ColumnBuffer {
  defs: Uint8Array = new Uint8Array(1024);
  count = 0;
  nulls = 0;
  /** Fixed-width values (8 bytes a slot for INT64/DOUBLE, 4 for INT32, 1 for BOOLEAN). */
  fixed = new Bytes(8192);
  /** Dictionary state for strings: ids per value, distinct values in order. */
  dict: Map<string, number> | undefined = new Map();
  dictValues: string[] = [];
  ids: Int32Array = new Int32Array(1024);
  nIds = 0;
  plain = new Bytes(8192);
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
  }

  get bytes(): number {
    return this.count + this.fixed.len + this.plain.len + this.nIds * 4;
  }

  append(v: Typed): void {
    if (this.count === this.defs.length) {
      const d = new Uint8Array(this.count * 2);
      d.set(this.defs);
      this.defs = d;
    }
    if (v === null || v === undefined) {
      if (!this.col.nullable) throw new Error(`null in required Parquet column ${this.col.name}`);
      this.defs[this.count++] = 0;
      this.nulls++;
      return;
    }
    this.defs[this.count++] = 1;
    switch (this.phys) {
      case Phys.BYTE_ARRAY:
        return this.string(v as string);
      case Phys.INT64:
        return this.int64(v as number | bigint);
      case Phys.DOUBLE: {
        const n = v as number;
        this.f64[0] = n;
        this.fixed.ensure(8);
        this.fixed.buf.set(this.u8, this.fixed.len);
        this.fixed.len += 8;
        this.track(n);
        return;
      }
      case Phys.INT32: {
        const n = v as number;
        this.fixed.u32(n);
        this.track(n);
        return;
      }
      case Phys.BOOLEAN:
        this.fixed.ensure(1);
        this.fixed.buf[this.fixed.len++] = v ? 1 : 0;
        return;
      case Phys.FIXED:
        return this.fixedDecimal(v as bigint);
    }
  }

  private track(n: number | bigint): void {
    if (this.min === undefined || n < this.min) this.min = n;
    if (this.max === undefined || n > this.max) this.max = n;
  }

  private int64(v: number | bigint): void {
    const f = this.fixed;
    f.ensure(8);
    if (typeof v === 'bigint') {
      this.b64[0] = v;
      f.buf.set(this.u8, f.len);
      f.len += 8;
    } else {
      // Two's complement halves of a safe integer, without a BigInt.
      const hi = Math.floor(v / TWO32);
      f.u32(v - hi * TWO32);
      f.u32(hi | 0);
    }
    this.track(v);
  }

  private fixedDecimal(v: bigint): void {
    const n = this.typeLength;
    const f = this.fixed;
    f.ensure(n);
    let x = BigInt.asUintN(n * 8, v);
    for (let i = n - 1; i >= 0; i--) {
      f.buf[f.len + i] = Number(x & 0xffn);
      x >>= 8n;
    }
    f.len += n;
  }

  private string(s: string): void {
    const dict = this.dict;
    if (dict) {
      let id = dict.get(s);
      if (id === undefined) {
        if (dict.size >= DICT_MAX) {
          this.toPlain();
          this.plain.str(s);
          return;
        }
        id = dict.size;
        // A long value may be a slice of a whole 1 MB input chunk: keep a copy, not the chunk.
        const own = s.length >= 13 ? (' ' + s).slice(1) : s;
        dict.set(own, id);
        this.dictValues.push(own);
      }
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
  private highCardinality = false;

  private toPlain(): void {
    this.highCardinality = true;
    for (let i = 0; i < this.nIds; i++) this.plain.str(this.dictValues[this.ids[i]]);
    this.dict = undefined;
    this.dictValues = [];
    this.nIds = 0;
  }

  /** Definition levels as one RLE/bit-packed hybrid stream (bit width 1), length-prefixed. */
  private defLevels(out: Bytes): void {
    const start = out.len;
    out.u32(0);
    const d = this.defs;
    let i = 0;
    while (i < this.count) {
      let j = i + 1;
      while (j < this.count && d[j] === d[i]) j++;
      out.varint((j - i) << 1);
      out.ensure(1);
      out.buf[out.len++] = d[i];
      i = j;
    }
    const len = out.len - start - 4;
    const b = out.buf;
    b[start] = len & 255;
    b[start + 1] = (len >>> 8) & 255;
    b[start + 2] = (len >>> 16) & 255;
    b[start + 3] = (len >>> 24) & 255;
  }

  /**
   * Encoded pages of this chunk: the dictionary page body (if any) and the data
   * page body as parts, written one after the other without joining them.
   */
  pages(): { dictionary?: Uint8Array; dictCount: number; data: Uint8Array[]; size: number; encoding: number } {
    const head = new Bytes(64);
    if (this.col.nullable) this.defLevels(head);
    let dictionary: Uint8Array | undefined;
    let body: Uint8Array;
    let encoding = ENC.PLAIN;
    if (this.dict && this.dictValues.length) {
      const dict = new Bytes();
      for (const v of this.dictValues) dict.str(v);
      dictionary = dict.buf.subarray(0, dict.len);
      const width = Math.max(1, Math.ceil(Math.log2(Math.max(this.dictValues.length, 2))));
      head.ensure(1);
      head.buf[head.len++] = width;
      const ids = new Bytes(Math.ceil(this.nIds / 8) * width + 8);
      bitPack(this.ids, this.nIds, width, ids);
      body = ids.buf.subarray(0, ids.len);
      encoding = ENC.RLE_DICTIONARY;
    } else if (this.phys === Phys.BYTE_ARRAY) body = this.plain.buf.subarray(0, this.plain.len);
    else if (this.phys === Phys.BOOLEAN) {
      const n = this.fixed.len;
      body = new Uint8Array(Math.ceil(n / 8));
      for (let i = 0; i < n; i++) if (this.fixed.buf[i]) body[i >>> 3] |= 1 << (i & 7);
    } else body = this.fixed.buf.subarray(0, this.fixed.len);
    const h = head.buf.subarray(0, head.len);
    return { dictionary, dictCount: this.dictValues.length, data: [h, body], size: h.length + body.length, encoding };
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
    // A column that outgrew the dictionary once is written PLAIN from then on.
    this.dict = this.phys === Phys.BYTE_ARRAY && !this.highCardinality ? new Map() : undefined;
    this.dictValues = [];
    this.min = undefined;
    this.max = undefined;
  }

  statistics(): ThriftStruct {
    const s: ThriftStruct = { 3: { i64: this.nulls } };
    if (this.min !== undefined && this.max !== undefined) {
      const enc = (v: number | bigint) => {
        if (this.phys === Phys.INT32) return new Uint8Array(new Int32Array([Number(v)]).buffer);
        if (this.phys === Phys.DOUBLE) return new Uint8Array(new Float64Array([Number(v)]).buffer);
        return new Uint8Array(new BigInt64Array([BigInt(v)]).buffer);
      };
      s[5] = { bin: enc(this.max) };
      s[6] = { bin: enc(this.min) };
    }
    return s;
  }
}

/** RLE/bit-packed hybrid, all bit-packed: groups of 8 values, LSB first. */
function bitPack(values: Int32Array, n: number, width: number, out: Bytes): void {
  const groups = Math.ceil(n / 8);
  out.varint((groups << 1) | 1);
  out.ensure(groups * width);
  const b = out.buf;
  let pos = out.len;
  let acc = 0;
  let bits = 0;
  for (let i = 0; i < groups * 8; i++) {
    acc |= (i < n ? values[i] : 0) << bits;
    bits += width;
    while (bits >= 8) {
      b[pos++] = acc & 255;
      acc >>>= 8;
      bits -= 8;
    }
  }
  out.len = pos;
}

export interface ParquetFileWriterOptions {
  /** Buffered bytes at which a row group is written. @default 32 MiB */
  rowGroupBytes?: number;
  /** Rows at which a row group is written whatever its size. @default 1_000_000 */
  rowGroupRows?: number;
  kv?: Record<string, string>;
  createdBy?: string;
}

export class ParquetFileWriter {
  private readonly fd: number;
  private offset = 0;
  private readonly schema: ReturnType<typeof physicalOf>[];
  private readonly buffers: ColumnBuffer[];
  private readonly rowGroups: ThriftStruct[] = [];
  private pending = 0;
  rows = 0;

  constructor(
    readonly path: string,
    private readonly columns: EncoderColumn[],
    private readonly opts: ParquetFileWriterOptions = {},
  ) {
    this.schema = columns.map(physicalOf);
    this.buffers = columns.map((c, i) => new ColumnBuffer(c, this.schema[i].phys, this.schema[i].typeLength ?? 0));
    mkdirSync(dirname(path), { recursive: true });
    this.fd = openSync(path, 'w');
    this.write(new TextEncoder().encode('PAR1'));
  }

  private write(b: Uint8Array): void {
    let done = 0;
    while (done < b.length) done += writeSync(this.fd, b, done, b.length - done);
    this.offset += b.length;
  }

  get bufferedBytes(): number {
    let n = 0;
    for (const b of this.buffers) n += b.bytes;
    return n;
  }

  get buffered(): number {
    return this.pending;
  }

  /** Encodes the row's values now; the array is not kept. */
  appendRow(row: readonly Typed[]): void {
    const bufs = this.buffers;
    for (let c = 0; c < bufs.length; c++) bufs[c].append(row[c]);
    this.rows++;
    if (++this.pending >= (this.opts.rowGroupRows ?? 1_000_000) || ((this.pending & 1023) === 0 && this.bufferedBytes >= (this.opts.rowGroupBytes ?? 32 << 20))) this.flushRowGroup();
  }

  flushRowGroup(): void {
    if (!this.pending) return;
    const chunks: ThriftStruct[] = [];
    let total = 0;
    this.buffers.forEach((buf, c) => {
      const start = this.offset;
      const { dictionary, dictCount, data, size: dataSize, encoding } = buf.pages();
      let dictOffset: number | undefined;
      if (dictionary) {
        dictOffset = this.offset;
        this.write(encodeStruct({ 1: { i32: 2 }, 2: { i32: dictionary.length }, 3: { i32: dictionary.length }, 7: { struct: { 1: { i32: dictCount }, 2: { i32: ENC.PLAIN } } } }));
        this.write(dictionary);
      }
      const dataOffset = this.offset;
      this.write(encodeStruct({ 1: { i32: 0 }, 2: { i32: dataSize }, 3: { i32: dataSize }, 5: { struct: { 1: { i32: buf.count }, 2: { i32: encoding }, 3: { i32: ENC.RLE }, 4: { i32: ENC.RLE } } } }));
      for (const part of data) this.write(part);
      const size = this.offset - start;
      total += size;
      chunks.push({
        2: { i64: start },
        3: {
          struct: {
            1: { i32: this.schema[c].phys },
            2: { list: 'i32', items: dictionary ? [ENC.PLAIN, ENC.RLE, ENC.RLE_DICTIONARY] : [ENC.PLAIN, ENC.RLE] },
            3: { list: 'bin', items: [this.columns[c].name] },
            4: { i32: 0 },
            5: { i64: buf.count },
            6: { i64: size },
            7: { i64: size },
            9: { i64: dataOffset },
            11: dictOffset === undefined ? undefined : { i64: dictOffset },
            12: { struct: buf.statistics() },
          },
        },
      });
    });
    this.rowGroups.push({ 1: { list: 'struct', items: chunks }, 2: { i64: total }, 3: { i64: this.pending } });
    this.pending = 0;
    for (const b of this.buffers) b.reset();
  }

  finish(): void {
    this.flushRowGroup();
    const schema: ThriftStruct[] = [
      { 4: { bin: 'root' }, 5: { i32: this.columns.length } },
      ...this.columns.map((col, i): ThriftStruct => {
        const p = this.schema[i];
        return {
          1: { i32: p.phys },
          2: p.typeLength === undefined ? undefined : { i32: p.typeLength },
          3: { i32: col.nullable ? 1 : 0 },
          4: { bin: col.name },
          6: p.converted === undefined ? undefined : { i32: p.converted },
          7: p.scale === undefined ? undefined : { i32: p.scale },
          8: p.precision === undefined ? undefined : { i32: p.precision },
        };
      }),
    ];
    const meta = encodeStruct({
      1: { i32: 1 },
      2: { list: 'struct', items: schema },
      3: { i64: this.rows },
      4: { list: 'struct', items: this.rowGroups },
      5: { list: 'struct', items: Object.entries(this.opts.kv ?? {}).map(([k, v]) => ({ 1: { bin: k }, 2: { bin: v } })) },
      6: { bin: this.opts.createdBy ?? 'landing-to-lake' },
    });
    this.write(meta);
    const tail = new Uint8Array(8);
    new DataView(tail.buffer).setUint32(0, meta.length, true);
    tail.set(new TextEncoder().encode('PAR1'), 4);
    this.write(tail);
    closeSync(this.fd);
  }
}

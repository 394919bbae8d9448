import { Bytes, bitPack } from './bytes';
import { ENC, Phys, type ColumnBuffer } from './column';

/**
 * A column chunk cut into data pages (v1) of about PAGE_BYTES each before
 * compression: several pages per chunk keep the compressor's input in cache
 * and let readers with a page index skip within a row group. Pages split at
 * row boundaries (no repetition levels, so a row is one value or one null).
 */

export const PAGE_BYTES = 1 << 20;

export interface DataPage {
  /** Rows in the page (values and nulls). */
  rows: number;
  /** Definition levels + values, uncompressed. */
  parts: Uint8Array[];
  size: number;
}

export interface ChunkPages {
  dictionary?: Uint8Array;
  dictCount: number;
  encoding: number;
  pages: DataPage[];
}

/** Definition levels of rows [from, to) as one length-prefixed RLE stream (bit width 1). */
function defLevels(defs: Uint8Array, from: number, to: number, out: Bytes): void {
  const start = out.len;
  out.u32(0);
  let i = from;
  while (i < to) {
    let j = i + 1;
    while (j < to && defs[j] === defs[i]) j++;
    out.varint((j - i) << 1);
    out.ensure(1);
    out.buf[out.len++] = defs[i];
    i = j;
  }
  const len = out.len - start - 4;
  out.buf[start] = len & 255;
  out.buf[start + 1] = (len >>> 8) & 255;
  out.buf[start + 2] = (len >>> 16) & 255;
  out.buf[start + 3] = (len >>> 24) & 255;
}

const FIXED_WIDTH: Partial<Record<Phys, number>> = { [Phys.INT32]: 4, [Phys.INT64]: 8, [Phys.DOUBLE]: 8 };

/**
 * An integer column holding one value in this chunk (the audit columns
 * _ingested_at and _contract_version, a constant source column): a
 * one-entry dictionary and a run of id 0 per page, instead of the value
 * repeated for the compressor to find.
 */
function constantOf(b: ColumnBuffer): Uint8Array | undefined {
  if ((b.phys !== Phys.INT64 && b.phys !== Phys.INT32) || b.min !== undefined || b.minN !== b.maxN) return undefined;
  return b.phys === Phys.INT64 ? new Uint8Array(new BigInt64Array([BigInt(b.minN)]).buffer) : new Uint8Array(new Int32Array([b.minN]).buffer);
}

/** An integer chunk of at most this many distinct values is dictionary-encoded (quantities, codes, flags). */
const INT_DICT_MAX = 256;

/**
 * Integer chunks with few distinct values: the dictionary (PLAIN values) and
 * each value's id, or undefined as soon as the chunk has too many (timestamps,
 * amounts and line numbers give up within a few hundred values). At a byte or
 * less a value instead of 8, the compressor has far less to read.
 */
function integerDictionary(b: ColumnBuffer): { dictionary: Uint8Array; ids: Int32Array; size: number } | undefined {
  if ((b.phys !== Phys.INT64 && b.phys !== Phys.INT32) || b.min !== undefined) return undefined;
  const wide = b.phys === Phys.INT64;
  const n = b.fixed.len >>> (wide ? 3 : 2);
  if (n < 2 * INT_DICT_MAX) return undefined;
  const i32 = new Int32Array(b.fixed.buf.buffer, b.fixed.buf.byteOffset, b.fixed.len >>> 2);
  const ids = new Int32Array(n);
  const map = new Map<number, number>();
  let lastKey = NaN;
  let lastId = -1;
  for (let k = 0; k < n; k++) {
    // INT64 as written by ColumnBuffer.int64: two's complement halves of a safe integer.
    const key = wide ? (i32[2 * k] >>> 0) + i32[2 * k + 1] * 4294967296 : i32[k];
    if (key === lastKey) {
      ids[k] = lastId;
      continue;
    }
    let id = map.get(key);
    if (id === undefined) {
      if (map.size === INT_DICT_MAX) return undefined;
      id = map.size;
      map.set(key, id);
    }
    ids[k] = lastId = id;
    lastKey = key;
  }
  const dictionary = new Uint8Array(map.size * (wide ? 8 : 4));
  const dv = new DataView(dictionary.buffer);
  for (const [key, id] of map) {
    if (wide) dv.setBigInt64(id * 8, BigInt(key), true);
    else dv.setInt32(id * 4, key, true);
  }
  return { dictionary, ids, size: map.size };
}

/** The row after the last one of a PLAIN string page starting at row r0 (value bytes from plainAt): ~pageBytes of values. */
function sizedPageEnd(b: ColumnBuffer, r0: number, plainAt: number, pageBytes: number): number {
  const p = b.plain.buf;
  const defs = b.col.nullable ? b.defs : undefined;
  let at = plainAt;
  let r = r0;
  // A run of nulls costs a bit a row: capped so a page's levels stay small too.
  while (r < b.count && (r === r0 || (at - plainAt < pageBytes && r - r0 < 1 << 20))) {
    if (!defs || defs[r]) at += 4 + (p[at] | (p[at + 1] << 8) | (p[at + 2] << 16) | (p[at + 3] << 24));
    r++;
  }
  return r;
}

export function chunkPages(b: ColumnBuffer, pageBytes = PAGE_BYTES): ChunkPages {
  const constant = constantOf(b);
  if (constant) return constantPages(b, constant, pageBytes);
  const ints = integerDictionary(b);
  const dictionary = ints ? ints.dictionary : b.dict && b.dictValues.length ? dictionaryPage(b.dictValues) : undefined;
  const dictCount = ints ? ints.size : b.dictValues.length;
  const idsOf = ints ? ints.ids : b.ids;
  const width = dictionary ? Math.max(1, Math.ceil(Math.log2(Math.max(dictCount, 2)))) : 0;
  const nPages = Math.max(1, Math.ceil(b.bytes / pageBytes));
  const perPage = Math.ceil(b.count / nPages) || 1;
  const pages: DataPage[] = [];
  const w = b.phys === Phys.FIXED ? b.typeLength : (FIXED_WIDTH[b.phys] ?? 0);
  let v = 0; // values (non-null) before the page
  let plainAt = 0; // byte offset of value v in the PLAIN string buffer
  // PLAIN strings of skewed sizes (nulls, then long values) would make one page of nearly every
  // byte if rows were split evenly: their pages end where their bytes reach pageBytes instead.
  const bySize = !dictionary && b.phys === Phys.BYTE_ARRAY && nPages > 1;
  for (let r0 = 0; r0 < b.count || (r0 === 0 && pages.length === 0); ) {
    const r1 = bySize ? sizedPageEnd(b, r0, plainAt, pageBytes) : Math.min(b.count, r0 + perPage);
    const head = new Bytes(64);
    let v1 = r1;
    if (b.col.nullable) {
      defLevels(b.defs, r0, r1, head);
      v1 = v;
      for (let r = r0; r < r1; r++) v1 += b.defs[r];
    }
    let body: Uint8Array;
    if (dictionary) {
      head.ensure(1);
      head.buf[head.len++] = width;
      const ids = new Bytes(Math.ceil((v1 - v) / 8) * width + 8);
      if (v1 > v) bitPack(idsOf.subarray(v, v1), v1 - v, width, ids);
      body = ids.buf.subarray(0, ids.len);
    } else if (b.phys === Phys.BYTE_ARRAY) {
      const p = b.plain.buf;
      const from = plainAt;
      for (let k = v; k < v1; k++) plainAt += 4 + (p[plainAt] | (p[plainAt + 1] << 8) | (p[plainAt + 2] << 16) | (p[plainAt + 3] << 24));
      body = p.subarray(from, plainAt);
    } else if (b.phys === Phys.BOOLEAN) {
      body = new Uint8Array(Math.ceil((v1 - v) / 8));
      const f = b.fixed.buf;
      for (let k = v; k < v1; k++) if (f[k]) body[(k - v) >>> 3] |= 1 << ((k - v) & 7);
    } else body = b.fixed.buf.subarray(v * w, v1 * w);
    const h = head.buf.subarray(0, head.len);
    pages.push({ rows: r1 - r0, parts: [h, body], size: h.length + body.length });
    v = v1;
    r0 = r1;
    if (r1 >= b.count) break;
  }
  return { dictionary, dictCount, encoding: dictionary ? ENC.RLE_DICTIONARY : ENC.PLAIN, pages };
}

function dictionaryPage(values: string[]): Uint8Array {
  const d = new Bytes();
  for (const s of values) d.str(s);
  return d.buf.subarray(0, d.len);
}

function constantPages(b: ColumnBuffer, value: Uint8Array, pageBytes: number): ChunkPages {
  // Pages by rows as the column would have had them PLAIN, so a page index stays as fine-grained.
  const perPage = Math.max(1, Math.ceil(pageBytes / value.length));
  const pages: DataPage[] = [];
  for (let r0 = 0; r0 < b.count; r0 += perPage) {
    const r1 = Math.min(b.count, r0 + perPage);
    const head = new Bytes(64);
    let n = r1 - r0;
    if (b.col.nullable) {
      defLevels(b.defs, r0, r1, head);
      n = 0;
      for (let r = r0; r < r1; r++) n += b.defs[r];
    }
    head.ensure(1);
    head.buf[head.len++] = 1; // bit width 1 (a width of 0 trips some readers)
    if (n) {
      head.varint(n << 1); // one RLE run of id 0
      head.ensure(1);
      head.buf[head.len++] = 0;
    }
    const h = head.buf.subarray(0, head.len);
    pages.push({ rows: r1 - r0, parts: [h], size: h.length });
  }
  return { dictionary: value, dictCount: 1, encoding: ENC.RLE_DICTIONARY, pages };
}

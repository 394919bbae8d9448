/**
 * A raw Snappy compressor (the block format Parquet's SNAPPY codec uses; no
 * framing). Greedy matching through a 16K-entry hash table of 4-byte
 * sequences, 64 KB blocks so every copy fits a 2-byte offset. It trades ratio
 * for simplicity, as the format intends; any Snappy decoder reads its output.
 */

const BLOCK = 1 << 16;
const HASH_BITS = 14;

function varint(out: Uint8Array, pos: number, n: number): number {
  while (n >= 0x80) {
    out[pos++] = (n & 0x7f) | 0x80;
    n >>>= 7;
  }
  out[pos++] = n;
  return pos;
}

function literal(src: Uint8Array, from: number, to: number, out: Uint8Array, pos: number): number {
  const n = to - from - 1;
  if (n < 0) return pos;
  if (n < 60) out[pos++] = n << 2;
  else if (n < 0x100) {
    out[pos++] = 60 << 2;
    out[pos++] = n;
  } else if (n < 0x10000) {
    out[pos++] = 61 << 2;
    out[pos++] = n & 255;
    out[pos++] = n >>> 8;
  } else {
    out[pos++] = 62 << 2;
    out[pos++] = n & 255;
    out[pos++] = (n >>> 8) & 255;
    out[pos++] = n >>> 16;
  }
  out.set(src.subarray(from, to), pos);
  return pos + to - from;
}

/** Copies of up to 64 bytes each (the 2-byte-offset form). */
function copy(offset: number, len: number, out: Uint8Array, pos: number): number {
  while (len > 0) {
    // Never leave a tail shorter than 4: split 65..67 as 60 + rest.
    const n = len > 64 ? (len < 68 ? 60 : 64) : len;
    out[pos++] = ((n - 1) << 2) | 2;
    out[pos++] = offset & 255;
    out[pos++] = offset >>> 8;
    len -= n;
  }
  return pos;
}

const load32 = (b: Uint8Array, i: number) => b[i] | (b[i + 1] << 8) | (b[i + 2] << 16) | (b[i + 3] << 24);
const hash = (v: number) => Math.imul(v, 0x1e35a7bd) >>> (32 - HASH_BITS);

export function maxCompressedLength(n: number): number {
  return 32 + n + Math.ceil(n / 6);
}

export function snappyCompress(src: Uint8Array): Uint8Array {
  const out = new Uint8Array(maxCompressedLength(src.length));
  let pos = varint(out, 0, src.length);
  const table = new Int32Array(1 << HASH_BITS);
  for (let start = 0; start < src.length; start += BLOCK) {
    const end = Math.min(src.length, start + BLOCK);
    table.fill(-1);
    let lit = start;
    let i = start;
    let skip = 32;
    while (i + 4 <= end - 4) {
      const v = load32(src, i);
      const h = hash(v);
      const cand = table[h];
      table[h] = i;
      if (cand < start || load32(src, cand) !== v) {
        // No match: step faster through data that does not compress.
        i += skip++ >>> 5;
        continue;
      }
      skip = 32;
      let len = 4;
      while (i + len < end && src[cand + len] === src[i + len]) len++;
      pos = literal(src, lit, i, out, pos);
      pos = copy(i - cand, len, out, pos);
      i += len;
      lit = i;
      if (i + 4 <= end) table[hash(load32(src, i - 1))] = i - 1;
    }
    pos = literal(src, lit, end, out, pos);
  }
  return out.subarray(0, pos);
}

/** The decoder, for tests and for reading our own files back. */
export function snappyUncompress(src: Uint8Array): Uint8Array {
  let pos = 0;
  let n = 0;
  for (let shift = 0; ; shift += 7) {
    const b = src[pos++];
    n += (b & 0x7f) * 2 ** shift;
    if (b < 0x80) break;
  }
  const out = new Uint8Array(n);
  let o = 0;
  while (pos < src.length) {
    const tag = src[pos++];
    const kind = tag & 3;
    if (kind === 0) {
      let len = tag >>> 2;
      if (len >= 60) {
        const bytes = len - 59;
        len = 0;
        for (let k = 0; k < bytes; k++) len |= src[pos++] << (8 * k);
      }
      len++;
      out.set(src.subarray(pos, pos + len), o);
      pos += len;
      o += len;
      continue;
    }
    let len: number;
    let off: number;
    if (kind === 1) {
      len = ((tag >>> 2) & 7) + 4;
      off = ((tag >>> 5) << 8) | src[pos++];
    } else if (kind === 2) {
      len = (tag >>> 2) + 1;
      off = src[pos] | (src[pos + 1] << 8);
      pos += 2;
    } else {
      len = (tag >>> 2) + 1;
      off = load32(src, pos) >>> 0;
      pos += 4;
    }
    if (off === 0 || off > o) throw new Error('snappy: bad copy offset');
    for (let k = 0; k < len; k++, o++) out[o] = out[o - off];
  }
  if (o !== n) throw new Error('snappy: length mismatch');
  return out;
}

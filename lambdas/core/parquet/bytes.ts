/** Growable byte buffers and the RLE/bit-packed hybrid, for the Parquet encoder. */

const utf8 = new TextEncoder();

/** Growable byte buffer. */
export class Bytes {
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

/** RLE/bit-packed hybrid, all bit-packed: groups of 8 values, LSB first. */
export function bitPack(values: Int32Array, n: number, width: number, out: Bytes): void {
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

/**
 * The few pieces of Thrift's compact protocol that Parquet metadata needs:
 * structs of i8/i16/i32/i64/binary/bool/list/struct fields, written into a growable
 * buffer. Field ids are written as deltas, as the protocol requires.
 */

const T = { TRUE: 1, FALSE: 2, BYTE: 3, I16: 4, I32: 5, I64: 6, BINARY: 8, LIST: 9, STRUCT: 12 } as const;

export type ThriftValue =
  | { i8: number }
  | { i16: number }
  | { i32: number }
  | { i64: number | bigint }
  | { bin: Uint8Array | string }
  | { bool: boolean }
  | { list: 'i32' | 'bin' | 'struct'; items: (number | string | Uint8Array | ThriftStruct)[] }
  | { struct: ThriftStruct };

/** Field id → value; undefined fields are skipped. */
export type ThriftStruct = Record<number, ThriftValue | undefined>;

const utf8 = new TextEncoder();

export class CompactWriter {
  buf = new Uint8Array(1024);
  len = 0;

  private ensure(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }

  byte(b: number): void {
    this.ensure(1);
    this.buf[this.len++] = b;
  }

  varint(n: number): void {
    // Unsigned, up to 2^53: division keeps it exact beyond 32 bits.
    this.ensure(10);
    while (n >= 0x80) {
      this.buf[this.len++] = (n % 0x80) | 0x80;
      n = Math.floor(n / 0x80);
    }
    this.buf[this.len++] = n;
  }

  zigzag(n: number | bigint): void {
    if (typeof n === 'bigint') {
      let z = n >= 0n ? n << 1n : (-n << 1n) - 1n;
      this.ensure(10);
      while (z >= 0x80n) {
        this.buf[this.len++] = Number(z & 0x7fn) | 0x80;
        z >>= 7n;
      }
      this.buf[this.len++] = Number(z);
      return;
    }
    this.varint(n >= 0 ? n * 2 : -n * 2 - 1);
  }

  bytes(b: Uint8Array | string): void {
    const data = typeof b === 'string' ? utf8.encode(b) : b;
    this.varint(data.length);
    this.ensure(data.length);
    this.buf.set(data, this.len);
    this.len += data.length;
  }

  struct(s: ThriftStruct): void {
    let last = 0;
    for (const key of Object.keys(s)) {
      const id = Number(key);
      const v = s[id];
      if (v === undefined) continue;
      const type =
        'i8' in v
          ? T.BYTE
          : 'i16' in v
            ? T.I16
            : 'i32' in v
              ? T.I32
              : 'i64' in v
                ? T.I64
                : 'bin' in v
                  ? T.BINARY
                  : 'bool' in v
                    ? v.bool
                      ? T.TRUE
                      : T.FALSE
                    : 'list' in v
                      ? T.LIST
                      : T.STRUCT;
      const delta = id - last;
      if (delta > 0 && delta <= 15) this.byte((delta << 4) | type);
      else {
        this.byte(type);
        this.zigzag(id);
      }
      last = id;
      if ('i8' in v) this.byte(v.i8 & 0xff);
      else if ('i16' in v) this.zigzag(v.i16);
      else if ('i32' in v) this.zigzag(v.i32);
      else if ('i64' in v) this.zigzag(v.i64);
      else if ('bin' in v) this.bytes(v.bin);
      else if ('list' in v) {
        const et = v.list === 'i32' ? T.I32 : v.list === 'bin' ? T.BINARY : T.STRUCT;
        const n = v.items.length;
        if (n < 15) this.byte((n << 4) | et);
        else {
          this.byte(0xf0 | et);
          this.varint(n);
        }
        for (const item of v.items) {
          if (v.list === 'i32') this.zigzag(item as number);
          else if (v.list === 'bin') this.bytes(item as string | Uint8Array);
          else this.struct(item as ThriftStruct);
        }
      } else if ('struct' in v) this.struct(v.struct);
    }
    this.byte(0);
  }

  take(): Uint8Array {
    return this.buf.subarray(0, this.len);
  }
}

export function encodeStruct(s: ThriftStruct): Uint8Array {
  const w = new CompactWriter();
  w.struct(s);
  return w.take();
}

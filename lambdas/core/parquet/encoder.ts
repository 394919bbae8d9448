import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { ColumnBuffer, ENC, physicalOf, type EncoderColumn } from './column';
import { CODEC_ID, compress, concat, DEFAULT_CODEC, type Codec } from './compress';
import { chunkPages } from './pages';
import { columnOrders, createdBy, schemaElements } from './schema';
import { statisticsOf } from './stats';
import { encodeStruct, type ThriftStruct } from './thrift';
import type { Value } from './values';

/**
 * A streaming Parquet writer built for the stage's hot loop: each value is
 * encoded into typed-array column buffers as the row arrives (the row array
 * itself is never kept), and a row group is written when the buffers reach a
 * byte budget. Data pages v1, compressed (ZSTD by default): PLAIN for numbers,
 * a fresh dictionary per chunk for strings while it has few distinct values,
 * PLAIN past that. Statistics on every column (parquet/stats.ts), logical
 * types and column orders in the footer (parquet/schema.ts).
 *
 * The file descriptor is opened when there is something to write and may be
 * closed between row groups (FilePool): a file per partition, thousands of
 * partitions, must not take thousands of descriptors.
 */

export type { EncoderColumn };

export interface ParquetFileWriterOptions {
  /** Buffered bytes at which a row group is written. @default 32 MiB */
  rowGroupBytes?: number;
  /** Rows at which a row group is written whatever its size. @default 1_000_000 */
  rowGroupRows?: number;
  kv?: Record<string, string>;
  createdBy?: string;
  /** @default 'zstd' */
  compression?: Codec;
  /** Uncompressed bytes per data page (parquet/pages.ts). */
  pageBytes?: number;
  /** Shares a bounded number of open descriptors among many writers. */
  pool?: FilePool;
}

const MAGIC = new TextEncoder().encode('PAR1');

/**
 * At most `max` descriptors open among the writers that use it: the least
 * recently written is closed (its writer reopens for append when it next writes).
 */
export class FilePool {
  private readonly open = new Map<ParquetFileWriter, true>();
  constructor(readonly max = 64) {}

  touch(w: ParquetFileWriter): void {
    if (this.open.delete(w)) return void this.open.set(w, true);
    this.open.set(w, true);
    if (this.open.size > this.max) {
      const oldest = this.open.keys().next().value!;
      this.open.delete(oldest);
      oldest.closeFd();
    }
  }

  forget(w: ParquetFileWriter): void {
    this.open.delete(w);
  }

  get size(): number {
    return this.open.size;
  }
}

export class ParquetFileWriter {
  private fd: number | undefined;
  private created = false;
  private done = false;
  /** Bytes of the file so far, the magic included (written with the first row group or the footer). */
  private offset = MAGIC.length;
  private readonly schema: ReturnType<typeof physicalOf>[];
  private readonly buffers: ColumnBuffer[];
  private readonly rowGroups: ThriftStruct[] = [];
  private readonly codec: Codec;
  private pending = 0;
  rows = 0;

  constructor(
    readonly path: string,
    private readonly columns: EncoderColumn[],
    private readonly opts: ParquetFileWriterOptions = {},
  ) {
    this.schema = columns.map(physicalOf);
    this.buffers = columns.map((c, i) => new ColumnBuffer(c, this.schema[i].phys, this.schema[i].typeLength ?? 0));
    this.codec = opts.compression ?? DEFAULT_CODEC;
    mkdirSync(dirname(path), { recursive: true });
  }

  private write(b: Uint8Array): void {
    if (this.fd === undefined) {
      // First write truncates (a rerun overwrites); later ones append where the file ends.
      this.fd = openSync(this.path, this.created ? 'a' : 'w');
      if (!this.created) {
        this.created = true;
        this.put(MAGIC);
      }
    }
    this.opts.pool?.touch(this);
    this.put(b);
    this.offset += b.length;
  }

  private put(b: Uint8Array): void {
    let done = 0;
    while (done < b.length) done += writeSync(this.fd!, b, done, b.length - done);
  }

  /** Close the descriptor (the pool's call, or the end); the file stays open for writing. */
  closeFd(): void {
    if (this.fd === undefined) return;
    const fd = this.fd;
    this.fd = undefined;
    this.opts.pool?.forget(this);
    closeSync(fd);
  }

  /** Give up: close the descriptor, write nothing more. */
  abort(): void {
    this.done = true;
    this.closeFd();
  }

  get bufferedBytes(): number {
    let n = 0;
    for (const b of this.buffers) n += b.bytes;
    return n;
  }

  /** Memory held by the column buffers, including capacity kept for the next row group. */
  get retainedBytes(): number {
    let n = 0;
    for (const b of this.buffers) n += b.retainedBytes;
    return n;
  }

  /** Capacity held beyond what the buffered rows use (what a release would give back, near enough). */
  get spareBytes(): number {
    let n = 0;
    for (const b of this.buffers) n += b.spareBytes;
    return n;
  }

  get columnCount(): number {
    return this.buffers.length;
  }

  /** Write what is buffered and shrink the buffers: for a file that may see no more rows for a while. */
  flushAndRelease(): void {
    this.flushRowGroup();
    for (const b of this.buffers) b.release();
    this.closeFd();
  }

  get buffered(): number {
    return this.pending;
  }

  /** Encodes the row's values now; the array is not kept. */
  appendRow(row: readonly Value[]): void {
    const bufs = this.buffers;
    for (let c = 0; c < bufs.length; c++) bufs[c].append(row[c]);
    this.added(1);
  }

  /**
   * Rows rows[order[from]] .. (n of them), column by column. Returns how many
   * it took: it stops at a row-group boundary, so call again for the rest.
   */
  appendRows(rows: readonly (readonly Value[])[], order: Int32Array, from: number, n: number): number {
    const m = Math.min(n, (this.opts.rowGroupRows ?? 1_000_000) - this.pending);
    const bufs = this.buffers;
    for (let c = 0; c < bufs.length; c++) bufs[c].appendColumn(rows, order, from, m, c);
    this.added(m);
    return m;
  }

  /** Counts m appended rows; writes the row group when full, by rows or (checked every 1024 rows) by bytes. */
  private added(m: number): void {
    const before = this.pending;
    this.pending += m;
    this.rows += m;
    if (
      this.pending >= (this.opts.rowGroupRows ?? 1_000_000) ||
      (before >>> 10 !== this.pending >>> 10 && this.bufferedBytes >= (this.opts.rowGroupBytes ?? 32 << 20))
    )
      this.flushRowGroup();
  }

  /** One page: header then (compressed) body. Returns [uncompressed, compressed] bytes written, header included. */
  private page(header: ThriftStruct, parts: Uint8Array[], size: number): [number, number] {
    const raw = this.codec === 'none' ? undefined : concat(parts, size);
    const body = raw && compress(this.codec, raw);
    header[2] = { i32: size };
    header[3] = { i32: body ? body.length : size };
    const h = encodeStruct(header);
    this.write(h);
    if (body) this.write(body);
    else for (const p of parts) this.write(p);
    return [h.length + size, h.length + (body ? body.length : size)];
  }

  flushRowGroup(): void {
    if (!this.pending || this.done) return;
    const chunks: ThriftStruct[] = [];
    const groupStart = this.offset;
    let total = 0;
    let totalCompressed = 0;
    this.buffers.forEach((buf, c) => {
      const start = this.offset;
      buf.settle();
      const { dictionary, dictCount, encoding, pages } = chunkPages(buf, this.opts.pageBytes);
      let raw = 0;
      let packed = 0;
      let dictOffset: number | undefined;
      if (dictionary) {
        dictOffset = this.offset;
        const [u, z] = this.page({ 1: { i32: 2 }, 7: { struct: { 1: { i32: dictCount }, 2: { i32: ENC.PLAIN } } } }, [dictionary], dictionary.length);
        raw += u;
        packed += z;
      }
      const dataOffset = this.offset;
      for (const p of pages) {
        const [u, z] = this.page(
          { 1: { i32: 0 }, 5: { struct: { 1: { i32: p.rows }, 2: { i32: encoding }, 3: { i32: ENC.RLE }, 4: { i32: ENC.RLE } } } },
          p.parts,
          p.size,
        );
        raw += u;
        packed += z;
      }
      total += raw;
      totalCompressed += packed;
      chunks.push({
        2: { i64: start },
        3: {
          struct: {
            1: { i32: this.schema[c].phys },
            2: { list: 'i32', items: dictionary ? [ENC.PLAIN, ENC.RLE, ENC.RLE_DICTIONARY] : [ENC.PLAIN, ENC.RLE] },
            3: { list: 'bin', items: [this.columns[c].name] },
            4: { i32: CODEC_ID[this.codec] },
            5: { i64: buf.count },
            6: { i64: raw },
            7: { i64: packed },
            9: { i64: dataOffset },
            11: dictOffset === undefined ? undefined : { i64: dictOffset },
            12: { struct: statisticsOf(buf) },
          },
        },
      });
    });
    this.rowGroups.push({
      1: { list: 'struct', items: chunks },
      2: { i64: total },
      3: { i64: this.pending },
      5: { i64: groupStart },
      6: { i64: totalCompressed },
      // An i16 in the spec: past 32,767 row groups it cannot be given (it is optional).
      7: this.rowGroups.length <= 0x7fff ? { i16: this.rowGroups.length } : undefined,
    });
    this.pending = 0;
    for (const b of this.buffers) b.reset();
  }

  finish(): void {
    if (this.done) return;
    try {
      this.flushRowGroup();
      const meta = encodeStruct({
        1: { i32: 1 },
        2: { list: 'struct', items: schemaElements(this.columns) },
        3: { i64: this.rows },
        4: { list: 'struct', items: this.rowGroups },
        5: { list: 'struct', items: Object.entries(this.opts.kv ?? {}).map(([k, v]) => ({ 1: { bin: k }, 2: { bin: v } })) },
        6: { bin: this.opts.createdBy ?? createdBy() },
        7: { list: 'struct', items: columnOrders(this.columns.length) },
      });
      this.write(meta);
      const tail = new Uint8Array(8);
      new DataView(tail.buffer).setUint32(0, meta.length, true);
      tail.set(MAGIC, 4);
      this.write(tail);
    } finally {
      this.abort();
    }
  }
}

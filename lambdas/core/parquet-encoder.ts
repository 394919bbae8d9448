import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { ColumnBuffer, ENC, physicalOf, type EncoderColumn } from './parquet-column';
import { encodeStruct, type ThriftStruct } from './thrift';
import type { Typed } from './types';

/**
 * A streaming Parquet writer built for the stage's hot loop: each value is
 * encoded into typed-array column buffers as the row arrives (the row array
 * itself is never kept), and a row group is written when the buffers reach a
 * byte budget. Pages are data page v1, uncompressed: PLAIN for numbers,
 * dictionary (RLE_DICTIONARY) for strings while a chunk has few distinct
 * values, PLAIN once it has many. Statistics (null count; min/max of numeric
 * columns) let Athena and DuckDB skip row groups. Column chunks are built in
 * parquet-column.ts.
 */

export type { EncoderColumn };

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
  }

  get buffered(): number {
    return this.pending;
  }

  /** Encodes the row's values now; the array is not kept. */
  appendRow(row: readonly Typed[]): void {
    const bufs = this.buffers;
    for (let c = 0; c < bufs.length; c++) bufs[c].append(row[c]);
    this.added(1);
  }

  /**
   * Rows rows[order[from]] .. (n of them), column by column. Returns how many
   * it took: it stops at a row-group boundary, so call again for the rest.
   */
  appendRows(rows: readonly (readonly Typed[])[], order: Int32Array, from: number, n: number): number {
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
    if (this.pending >= (this.opts.rowGroupRows ?? 1_000_000) || (before >>> 10 !== this.pending >>> 10 && this.bufferedBytes >= (this.opts.rowGroupBytes ?? 32 << 20))) this.flushRowGroup();
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

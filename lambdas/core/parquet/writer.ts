import type { Codec } from './compress';
import { FilePool, ParquetFileWriter } from './encoder';
import type { Value } from './values';

/**
 * Silver and gold Parquet output: one file per partition, each a streaming
 * ParquetFileWriter. Memory is bounded by bytes across all open files: when
 * the buffered total passes the budget, the file holding the most writes a
 * row group, whatever the file size or the number of partitions it spans.
 * Buffers keep their grown size across row groups (regrowing them cost ~5% of
 * the stage), so a file that stops receiving rows gives them back, and past 3x
 * the budget held, so do the files with the most spare capacity: otherwise,
 * with input sorted by partition (or a trickle of late rows into older ones),
 * every such partition pinned a row group's worth of buffers (30 partitions:
 * ~290 MB held for a 16 MB budget). Open descriptors are bounded too
 * (FilePool, 64 by default): 3,000 dates in one file open no more than that.
 */

export interface OutColumn {
  name: string;
  /** A contract column type: string, integer, double, boolean, date, timestamp or decimal(p,s). */
  type: string;
  nullable: boolean;
}

export interface WrittenFile {
  partition: string;
  path: string;
  rows: number;
}

/** Spare capacity an idle file may keep: 64 KB, plus what its shrunk buffers hold (wide tables). */
const idleAllowance = (f: ParquetFileWriter) => (64 << 10) + 128 * f.columnCount;

/** Writes rows into one Parquet file per partition value. */
export class PartitionedParquetWriter {
  private readonly files = new Map<string, ParquetFileWriter>();
  private appended = 0;
  private readonly rowsAtCheck = new Map<string, number>();

  constructor(
    private readonly columns: OutColumn[],
    private readonly pathFor: (partition: string) => string,
    /** Rows per row group at most. @default 1_000_000 */
    private readonly rowGroupRows = 1_000_000,
    private readonly kv: Record<string, string> = {},
    /** Bytes buffered across all partitions before the largest is flushed. @default 16 MiB */
    private readonly maxBufferedBytes = 16 << 20,
    private readonly compression?: Codec,
    private readonly pool = new FilePool(),
  ) {}

  /** Encodes the row now (the caller may reuse the array). */
  append(partition: string, row: readonly Value[]): void {
    this.fileFor(partition).appendRow(row);
    this.appendedRows(1);
  }

  /** append() for rows[order[from]] .. (n rows, in that order), all of one partition. */
  appendMany(partition: string, rows: readonly (readonly Value[])[], order: Int32Array, from: number, n: number): void {
    const f = this.fileFor(partition);
    for (let k = from, end = from + n; k < end; ) k += f.appendRows(rows, order, k, end - k);
    this.appendedRows(n);
  }

  private fileFor(partition: string): ParquetFileWriter {
    let f = this.files.get(partition);
    if (!f) {
      f = new ParquetFileWriter(this.pathFor(partition), this.columns, {
        rowGroupRows: this.rowGroupRows,
        rowGroupBytes: this.maxBufferedBytes,
        kv: this.kv,
        compression: this.compression,
        pool: this.pool,
      });
      this.files.set(partition, f);
    }
    return f;
  }

  /** Summing buffer sizes is a walk over the files: do it each time the count passes a multiple of 4096. */
  private appendedRows(n: number): void {
    const before = this.appended;
    this.appended += n;
    if (before >>> 12 !== this.appended >>> 12) this.enforceBudget();
  }

  private enforceBudget(): void {
    let buffered = 0;
    let held = 0;
    let largest: ParquetFileWriter | undefined;
    let largestBytes = 0;
    for (const [partition, f] of this.files) {
      // A file that took no row since the last check (a finished partition, when input is
      // sorted by partition) writes its tail and gives its grown buffers back.
      const seen = this.rowsAtCheck.get(partition);
      this.rowsAtCheck.set(partition, f.rows);
      if (seen === f.rows && f.spareBytes > idleAllowance(f)) f.flushAndRelease();
      const b = f.bufferedBytes;
      buffered += b;
      held += f.retainedBytes;
      if (b > largestBytes) {
        largestBytes = b;
        largest = f;
      }
    }
    if (buffered > this.maxBufferedBytes && largest) largest.flushRowGroup();
    // Files that still take the odd row (late events into older partitions) are never idle,
    // yet hold the buffers of their last big row group: past 3x the budget, the files with
    // the most spare capacity write what they have and shrink, down to 2x.
    if (held > 3 * this.maxBufferedBytes) {
      const bySpare = [...this.files.values()].sort((a, b) => b.spareBytes - a.spareBytes);
      for (const f of bySpare) {
        if (held <= 2 * this.maxBufferedBytes || f.spareBytes <= idleAllowance(f)) break;
        const before = f.retainedBytes;
        f.flushAndRelease();
        held -= before - f.retainedBytes;
      }
    }
  }

  /** Memory held by all open files' buffers (what the budget bounds). */
  get retainedBytes(): number {
    let n = 0;
    for (const f of this.files.values()) n += f.retainedBytes;
    return n;
  }

  /** Descriptors open right now (bounded by the pool). */
  get openFiles(): number {
    return this.pool.size;
  }

  finish(): WrittenFile[] {
    const out: WrittenFile[] = [];
    try {
      for (const [partition, f] of this.files) {
        f.finish();
        out.push({ partition, path: f.path, rows: f.rows });
      }
    } finally {
      this.abort();
    }
    return out.sort((a, b) => a.partition.localeCompare(b.partition));
  }

  /** Close every descriptor without writing more (the stage failed; its work directory is discarded). */
  abort(): void {
    for (const f of this.files.values()) f.abort();
  }
}

/** Write a small, fully materialised table (gold aggregates). */
export function writeParquetFile(path: string, columns: OutColumn[], rows: Value[][], kv: Record<string, string> = {}, compression?: Codec): void {
  const f = new ParquetFileWriter(path, columns, { kv, compression });
  for (const r of rows) f.appendRow(r);
  f.finish();
}

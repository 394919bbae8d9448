import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { ParquetWriter, fileWriter } from 'hyparquet-writer';
import type { ColumnType } from './contract';
import { decimalSpec, type Typed } from './types';

/**
 * Parquet output. Rows are buffered per partition as column arrays and flushed
 * as one row group every `rowGroupSize` rows; across partitions the total
 * buffered is capped too (the fullest buffer is flushed first), so memory is
 * bounded whatever the file size or the number of partitions it spans.
 */

export interface OutColumn {
  name: string;
  type: ColumnType;
  nullable: boolean;
}

// hyparquet's SchemaElement type is structural; keep our own narrow copy.
interface SchemaElement {
  name: string;
  type?: 'BOOLEAN' | 'INT32' | 'INT64' | 'DOUBLE' | 'BYTE_ARRAY' | 'FIXED_LEN_BYTE_ARRAY';
  type_length?: number;
  converted_type?: 'UTF8' | 'DATE' | 'TIMESTAMP_MILLIS' | 'DECIMAL';
  repetition_type?: 'REQUIRED' | 'OPTIONAL';
  num_children?: number;
  precision?: number;
  scale?: number;
}

export function schemaElement(col: OutColumn): SchemaElement {
  const repetition_type = col.nullable ? 'OPTIONAL' : 'REQUIRED';
  const base = { name: col.name, repetition_type } as const;
  switch (col.type) {
    case 'string':
      return { ...base, type: 'BYTE_ARRAY', converted_type: 'UTF8' };
    case 'integer':
      return { ...base, type: 'INT64' };
    case 'double':
      return { ...base, type: 'DOUBLE' };
    case 'boolean':
      return { ...base, type: 'BOOLEAN' };
    case 'date':
      return { ...base, type: 'INT32', converted_type: 'DATE' };
    case 'timestamp':
      return { ...base, type: 'INT64', converted_type: 'TIMESTAMP_MILLIS' };
    default: {
      const { precision, scale } = decimalSpec(col.type)!;
      if (precision <= 18) return { ...base, type: 'INT64', converted_type: 'DECIMAL', precision, scale };
      const type_length = Math.ceil((precision * Math.log2(10) + 1) / 8);
      return { ...base, type: 'FIXED_LEN_BYTE_ARRAY', type_length, converted_type: 'DECIMAL', precision, scale };
    }
  }
}

/** Values as hyparquet-writer wants them for the physical type. */
function physical(col: OutColumn, values: Typed[]): unknown[] {
  if (col.type === 'integer' || col.type === 'timestamp') {
    return values.map((v) => (v === null ? null : BigInt(v as number)));
  }
  return values;
}

export interface WrittenFile {
  partition: string;
  path: string;
  rows: number;
}

class OneFile {
  private readonly writer: ParquetWriter;
  private buffers: Typed[][];
  private pending = 0;
  rows = 0;

  constructor(
    readonly path: string,
    private readonly columns: OutColumn[],
    private readonly rowGroupSize: number,
    kv: Record<string, string>,
  ) {
    mkdirSync(dirname(path), { recursive: true });
    this.writer = new ParquetWriter({
      writer: fileWriter(path),
      schema: [{ name: 'root', num_children: columns.length }, ...columns.map(schemaElement)] as never,
      codec: 'SNAPPY',
      kvMetadata: Object.entries(kv).map(([key, value]) => ({ key, value })),
      createdBy: 'landing-to-lake',
    });
    this.buffers = columns.map(() => []);
  }

  /** Returns true when the row group was flushed. */
  append(row: Typed[]): boolean {
    for (let c = 0; c < this.buffers.length; c++) this.buffers[c].push(row[c]);
    this.rows++;
    if (++this.pending >= this.rowGroupSize) {
      this.flush();
      return true;
    }
    return false;
  }

  get buffered(): number {
    return this.pending;
  }

  flush(): void {
    if (!this.pending) return;
    const n = this.pending;
    this.writer.write({
      columnData: this.columns.map((col, c) => ({ name: col.name, data: physical(col, this.buffers[c]) as never })),
      rowGroupSize: n,
    });
    this.buffers = this.columns.map(() => []);
    this.pending = 0;
  }

  finish(): void {
    this.flush();
    this.writer.finish();
  }
}

/** Writes rows into one Parquet file per partition value. */
export class PartitionedParquetWriter {
  private readonly files = new Map<string, OneFile>();
  private buffered = 0;

  constructor(
    private readonly columns: OutColumn[],
    private readonly pathFor: (partition: string) => string,
    private readonly rowGroupSize = 65536,
    private readonly kv: Record<string, string> = {},
    /** Rows buffered across all partitions before the fullest is flushed early. */
    private readonly maxBufferedRows = 131072,
  ) {}

  append(partition: string, row: Typed[]): void {
    let f = this.files.get(partition);
    if (!f) {
      f = new OneFile(this.pathFor(partition), this.columns, this.rowGroupSize, this.kv);
      this.files.set(partition, f);
    }
    const before = f.buffered;
    this.buffered += f.append(row) ? -before : 1;
    if (this.buffered > this.maxBufferedRows) {
      let fullest = f;
      for (const other of this.files.values()) if (other.buffered > fullest.buffered) fullest = other;
      this.buffered -= fullest.buffered;
      fullest.flush();
    }
  }

  finish(): WrittenFile[] {
    const out: WrittenFile[] = [];
    for (const [partition, f] of this.files) {
      f.finish();
      out.push({ partition, path: f.path, rows: f.rows });
    }
    return out.sort((a, b) => a.partition.localeCompare(b.partition));
  }
}

/** Write a small, fully materialised table (gold aggregates). */
export function writeParquetFile(path: string, columns: OutColumn[], rows: Typed[][], kv: Record<string, string> = {}): void {
  const f = new OneFile(path, columns, Math.max(rows.length, 1), kv);
  for (const r of rows) f.append(r);
  f.finish();
}

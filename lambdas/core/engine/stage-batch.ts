import { InMemoryDeduper, type Deduper } from '../quality/dedupe';
import type { PartitionAggregates } from '../gold/partitions';
import type { PartitionedParquetWriter } from '../parquet/writer';
import type { RowCounts } from '../lake/manifest';
import type { Typed } from '../typing/values';

/** Rows deduplicated and written together. */
const BATCH = 512; // 256 to 1024 measure alike; 4096 is ~15% slower (the batch falls out of L2)

export interface BatchSink {
  readonly dedupe: Deduper | undefined;
  readonly writer: PartitionedParquetWriter;
  readonly gold: PartitionAggregates;
  readonly counts: RowCounts;
  /** The partition (silver dt=...) of a typed row; the same string object for the same partition. */
  partitionOf(row: Typed[]): string;
}

/**
 * Valid rows on their way to silver and gold, 512 at a time, in file order.
 *
 * - Dedupe: the in-memory deduper takes the batch at once, so its table's
 *   cache misses overlap (InMemoryDeduper.keepMany); a table of millions of
 *   keys cost a ~130 ns miss per row one at a time, the stage's largest cost.
 * - Writing: kept rows are grouped by partition (a counting sort, file order
 *   kept within each), and the writer and gold take each group column by
 *   column, the type dispatch paid once per column rather than per value.
 *
 * Rows are typed straight into the batch (slot()), so nothing is copied.
 */
export class RowBatch {
  private readonly rows: Typed[][] = [];
  private n = 0;
  private readonly ordinals = new Int32Array(BATCH);
  private readonly keep = new Uint8Array(BATCH);
  private readonly partOf = new Int32Array(BATCH);
  private readonly offsets = new Int32Array(BATCH);
  private readonly order = new Int32Array(BATCH);
  private readonly names: string[] = [];
  // Partition name -> group within the current batch, direct-mapped and stamped per batch.
  private readonly slotGen = new Int32Array(1024);
  private readonly slotGroup = new Int32Array(1024);
  private gen = 0;

  constructor(
    private readonly sink: BatchSink,
    private readonly width: number,
  ) {}

  /** The array the next row is to be typed into. */
  slot(): Typed[] {
    return (this.rows[this.n] ??= new Array<Typed>(this.width).fill(null));
  }

  /**
   * Takes the row (slot(), or a row to copy there); `ordinal` is its position
   * among the file's data rows. Returns the array for the next row (slot()).
   */
  push(row: Typed[], ordinal: number): Typed[] {
    const slot = this.slot();
    if (slot !== row) for (let c = 0; c < this.width; c++) slot[c] = row[c];
    this.ordinals[this.n] = ordinal;
    if (++this.n === BATCH) this.flush();
    return this.slot();
  }

  flush(): void {
    const { rows, keep, sink } = this;
    const n = this.n;
    this.n = 0;
    if (!n) return;
    const dedupe = sink.dedupe;
    if (dedupe instanceof InMemoryDeduper) dedupe.keepMany(rows, n, keep);
    else if (dedupe) for (let k = 0; k < n; k++) keep[k] = dedupe.keep(rows[k], this.ordinals[k]) ? 1 : 0;
    else keep.fill(1, 0, n);

    const { partOf, offsets, names } = this;
    let groups = 0;
    this.gen++;
    for (let k = 0; k < n; k++) {
      if (!keep[k]) {
        sink.counts.rowsDeduplicated++;
        partOf[k] = -1;
        continue;
      }
      const dt = sink.partitionOf(rows[k]);
      const g = this.groupOf(dt, groups);
      if (g === groups) {
        names[groups++] = dt;
        offsets[g] = 0;
      }
      partOf[k] = g;
      offsets[g]++;
    }
    let kept = 0;
    for (let g = 0; g < groups; g++) {
      const c = offsets[g];
      offsets[g] = kept;
      kept += c;
    }
    const order = this.order;
    for (let k = 0; k < n; k++) if (partOf[k] >= 0) order[offsets[partOf[k]]++] = k;
    let from = 0;
    for (let g = 0; g < groups; g++) {
      const m = offsets[g] - from;
      sink.writer.appendMany(names[g], rows, order, from, m);
      if (sink.gold.enabled) sink.gold.addMany(names[g], rows, order, from, m);
      from = offsets[g];
    }
    sink.counts.rowsOut += kept;
  }

  /** The group of partition `dt` in this batch; `groups` (a new one) if it has none yet. */
  private groupOf(dt: string, groups: number): number {
    const len = dt.length;
    const slot = (len * 31 + dt.charCodeAt(len - 1) * 7 + dt.charCodeAt(len > 1 ? len - 2 : 0)) & 1023;
    if (this.slotGen[slot] === this.gen && this.names[this.slotGroup[slot]] === dt) return this.slotGroup[slot];
    let g = 0;
    while (g < groups && this.names[g] !== dt) g++;
    this.slotGen[slot] = this.gen;
    this.slotGroup[slot] = g;
    return g;
  }
}

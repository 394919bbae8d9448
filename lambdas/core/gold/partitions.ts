import type { Contract } from '../contract/contract';
import { Aggregator } from './gold';
import type { PartialDoc } from './measures';
import type { Typed } from '../typing/values';

/** Per-partition aggregators for every gold aggregate of a contract: the stage's side of gold. */
export class PartitionAggregates {
  private readonly byPartition = new Map<string, Aggregator[]>();

  constructor(
    private readonly contract: Contract,
    /** The file's landing time (epoch ms): its groups' `_updated_at`. */
    private readonly ingestedAt = NaN,
  ) {}

  get enabled(): boolean {
    return this.contract.gold.length > 0;
  }

  /** Feed rows[order[from]] .. (n rows), all of one partition; nothing of the rows is kept. */
  addMany(partition: string, rows: readonly Typed[][], order: Int32Array, from: number, n: number): void {
    let aggs = this.byPartition.get(partition);
    if (!aggs) {
      aggs = this.contract.gold.map((g) => {
        const a = new Aggregator(g, this.contract);
        a.ingestedAt = this.ingestedAt;
        return a;
      });
      this.byPartition.set(partition, aggs);
    }
    for (const a of aggs) for (let k = from, end = from + n; k < end; k++) a.addRow(rows[order[k]]);
  }

  /** Throws GoldOverflow when a sum of this file alone is already past its result type. */
  checkOverflow(): void {
    for (const aggs of this.byPartition.values()) for (const a of aggs) a.checkOverflow();
  }

  partials(): Map<string, PartialDoc[]> {
    return new Map([...this.byPartition].map(([dt, aggs]) => [dt, aggs.map((a) => a.toPartial())]));
  }
}

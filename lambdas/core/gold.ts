import type { Aggregate, Contract } from './contract';
import type { OutColumn } from './parquet';
import { DistinctCounter, type DistinctDoc } from './distinct';
import { decimalSpec, type Typed } from './types';

/**
 * Gold: declared aggregates per silver partition, built from mergeable
 * partials. Transform computes one partial per (file, partition) while it
 * writes silver; Publish merges every partial of a touched partition. A rerun
 * overwrites its own partial, so gold is the same whatever the order or the
 * number of times files were processed, and Publish never rereads silver.
 */

/**
 * One measure's running state. Decimal sums run as a JS number while that is
 * exact (|sum| < 2^53) and spill the excess into a bigint, so the hot path
 * allocates nothing and results stay exact.
 */
type Acc = { count: number; nonNull: number; sum: number; sumBig: bigint; min: Typed; max: Typed; distinct?: DistinctCounter };

/** JSON form of a partial: bigints as strings tagged by the column type. */
export interface PartialDoc {
  aggregate: string;
  groups: { keys: Typed[]; accs: { count: number; nonNull: number; sum: string | number; min: Typed; max: Typed; distinct?: DistinctDoc | (string | number | boolean)[] }[] }[];
}

export function measureType(fn: string, colType: string | undefined): OutColumn['type'] {
  if (fn === 'count' || fn === 'count_distinct') return 'integer';
  if (fn === 'avg') return 'double';
  if (fn === 'sum' && colType && decimalSpec(colType)) return `decimal(38,${decimalSpec(colType)!.scale})`;
  return (colType ?? 'integer') as OutColumn['type'];
}

const toJson = (v: Typed): Typed => (typeof v === 'bigint' ? v.toString() : v);
const SAFE = Number.MAX_SAFE_INTEGER;
const FN = { count: 0, sum: 1, avg: 1, min: 2, max: 3, count_distinct: 4 } as const;

type Group = { keys: Typed[]; accs: Acc[] };

export class Aggregator {
  /** Nested maps, one level per group-by column, so no key string is built per row. */
  private readonly root = new Map<Typed, unknown>();
  private readonly groups: Group[] = [];
  readonly columns: OutColumn[];
  private readonly types: Map<string, string>;
  private readonly groupIdx: number[];
  private readonly measureIdx: number[];
  private readonly kinds: number[];
  private readonly isDecimal: boolean[];

  constructor(
    readonly agg: Aggregate,
    contract: Contract,
  ) {
    this.types = new Map(contract.columns.map((c) => [c.name, c.type]));
    const index = new Map(contract.columns.map((c, i) => [c.name, i]));
    this.groupIdx = agg.groupBy.map((g) => index.get(g)!);
    this.measureIdx = agg.measures.map((m) => (m.column ? index.get(m.column)! : -1));
    this.kinds = agg.measures.map((m) => FN[m.fn]);
    this.isDecimal = agg.measures.map((m) => m.column !== undefined && decimalSpec(this.types.get(m.column)!) !== undefined);
    this.columns = [
      ...agg.groupBy.map((g) => ({ name: g, type: this.types.get(g)! as OutColumn['type'], nullable: true })),
      ...agg.measures.map((m) => ({ name: m.as, type: measureType(m.fn, m.column && this.types.get(m.column)), nullable: m.fn !== 'count' && m.fn !== 'count_distinct' })),
    ];
  }

  /** The accumulators of the group of these key values (read from `row` at `idx`, or from `keys`). */
  private group(row: readonly Typed[], idx: readonly number[] | undefined): Acc[] {
    const n = this.groupIdx.length;
    let level: Map<Typed, unknown> = this.root;
    for (let k = 0; k < n; k++) {
      const v = row[idx ? idx[k] : k];
      let next = level.get(v);
      if (next === undefined) {
        if (k === n - 1) {
          const keys: Typed[] = new Array(n);
          for (let j = 0; j < n; j++) keys[j] = row[idx ? idx[j] : j];
          const g: Group = { keys, accs: this.agg.measures.map((m) => ({ count: 0, nonNull: 0, sum: 0, sumBig: 0n, min: null, max: null, distinct: m.fn === 'count_distinct' ? new DistinctCounter() : undefined })) };
          this.groups.push(g);
          next = g;
        } else next = new Map<Typed, unknown>();
        level.set(v, next);
      }
      if (k === n - 1) return (next as Group).accs;
      level = next as Map<Typed, unknown>;
    }
    // No group-by columns: one group.
    if (!this.groups.length) this.groups.push({ keys: [], accs: this.agg.measures.map((m) => ({ count: 0, nonNull: 0, sum: 0, sumBig: 0n, min: null, max: null, distinct: m.fn === 'count_distinct' ? new DistinctCounter() : undefined })) });
    return this.groups[0].accs;
  }

  private addSum(a: Acc, v: number | bigint): void {
    if (typeof v === 'bigint') {
      const n = Number(v);
      const s = a.sum + n;
      if (n <= SAFE && n >= -SAFE && s <= SAFE && s >= -SAFE) a.sum = s;
      else a.sumBig += v;
    } else a.sum += v;
  }

  /** Add one typed row laid out in contract column order. Values are copied out; the row may be reused. */
  addRow(row: readonly Typed[]): void {
    const accs = this.group(row, this.groupIdx);
    const kinds = this.kinds;
    for (let m = 0; m < accs.length; m++) {
      const a = accs[m];
      a.count++;
      const i = this.measureIdx[m];
      if (i < 0) continue;
      const v = row[i];
      if (v === null) continue;
      a.nonNull++;
      switch (kinds[m]) {
        case 1:
          this.addSum(a, v as number | bigint);
          break;
        case 2:
          if (a.min === null || v < a.min) a.min = v;
          break;
        case 3:
          if (a.max === null || v > a.max) a.max = v;
          break;
        case 4:
          a.distinct!.add(v);
          break;
      }
    }
  }

  private total(a: Acc, m: number): number | bigint {
    return this.isDecimal[m] ? BigInt(a.sum) + a.sumBig : a.sum;
  }

  toPartial(): PartialDoc {
    return {
      aggregate: this.agg.name,
      groups: this.groups.map(({ keys, accs }) => ({
        keys: keys.map(toJson),
        accs: accs.map((a, m) => {
          const sum = this.total(a, m);
          return { count: a.count, nonNull: a.nonNull, sum: typeof sum === 'bigint' ? sum.toString() : sum, min: toJson(a.min), max: toJson(a.max), distinct: a.distinct?.toDoc() };
        }),
      })),
    };
  }

  /** Merge a partial written by another run (or file) into this one. */
  merge(doc: PartialDoc): void {
    const back = (v: Typed, col: string | undefined): Typed => (v !== null && col && decimalSpec(this.types.get(col)!) ? BigInt(v as string) : v);
    for (const g of doc.groups) {
      const accs = this.group(g.keys.map((k, i) => back(k, this.agg.groupBy[i])), undefined);
      g.accs.forEach((p, m) => {
        const a = accs[m];
        const col = this.agg.measures[m].column;
        a.count += p.count;
        a.nonNull += p.nonNull;
        if (this.isDecimal[m]) a.sumBig += BigInt(p.sum);
        else a.sum += Number(p.sum);
        const min = back(p.min, col);
        const max = back(p.max, col);
        if (min !== null && (a.min === null || min < a.min)) a.min = min;
        if (max !== null && (a.max === null || max > a.max)) a.max = max;
        if (a.distinct && p.distinct) a.distinct.merge(p.distinct);
      });
    }
  }

  rows(): Typed[][] {
    const out = this.groups.map(({ keys, accs }) => [
      ...keys,
      ...this.agg.measures.map((m, i): Typed => {
        const a = accs[i];
        switch (m.fn) {
          case 'count':
            return m.column ? a.nonNull : a.count;
          case 'count_distinct':
            return a.distinct!.size;
          case 'sum':
            return a.nonNull ? this.total(a, i) : null;
          case 'avg': {
            if (!a.nonNull) return null;
            const scale = decimalSpec(this.types.get(m.column!)!)?.scale;
            const sum = this.total(a, i);
            return scale !== undefined ? Number(sum) / 10 ** scale / a.nonNull : Number(sum) / a.nonNull;
          }
          case 'min':
            return a.min;
          case 'max':
            return a.max;
        }
      }),
    ]);
    // Deterministic order: identical inputs give byte-identical gold files.
    const key = (r: Typed[]) => JSON.stringify(r.slice(0, this.agg.groupBy.length).map(toJson));
    return out.sort((x, y) => (key(x) < key(y) ? -1 : key(x) > key(y) ? 1 : 0));
  }
}

/** Per-partition aggregators for every gold aggregate of a contract. */
export class PartitionAggregates {
  private readonly byPartition = new Map<string, Aggregator[]>();

  constructor(private readonly contract: Contract) {}

  get enabled(): boolean {
    return this.contract.gold.length > 0;
  }

  add(partition: string, row: Typed[]): void {
    let aggs = this.byPartition.get(partition);
    if (!aggs) {
      aggs = this.contract.gold.map((g) => new Aggregator(g, this.contract));
      this.byPartition.set(partition, aggs);
    }
    for (const a of aggs) a.addRow(row);
  }

  partials(): Map<string, PartialDoc[]> {
    return new Map([...this.byPartition].map(([dt, aggs]) => [dt, aggs.map((a) => a.toPartial())]));
  }
}

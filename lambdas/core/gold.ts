import type { Aggregate, Contract } from './contract';
import type { OutColumn } from './parquet';
import { decimalSpec, type Typed } from './types';

/**
 * Gold: declared aggregates per silver partition, built from mergeable
 * partials. Transform computes one partial per (file, partition) while it
 * writes silver; Publish merges every partial of a touched partition. A rerun
 * overwrites its own partial, so gold is the same whatever the order or the
 * number of times files were processed, and Publish never rereads silver.
 */

type Acc = { count: number; nonNull: number; sum: number | bigint; min: Typed; max: Typed; distinct?: Set<string | number | boolean> };

/** JSON form of a partial: bigints as strings tagged by the column type. */
export interface PartialDoc {
  aggregate: string;
  groups: { keys: Typed[]; accs: { count: number; nonNull: number; sum: string | number; min: Typed; max: Typed; distinct?: (string | number | boolean)[] }[] }[];
}

export function measureType(fn: string, colType: string | undefined): OutColumn['type'] {
  if (fn === 'count' || fn === 'count_distinct') return 'integer';
  if (fn === 'avg') return 'double';
  if (fn === 'sum' && colType && decimalSpec(colType)) return `decimal(38,${decimalSpec(colType)!.scale})`;
  return (colType ?? 'integer') as OutColumn['type'];
}

const toJson = (v: Typed): Typed => (typeof v === 'bigint' ? v.toString() : v);

export class Aggregator {
  private readonly groups = new Map<string, { keys: Typed[]; accs: Acc[] }>();
  readonly columns: OutColumn[];
  private readonly types: Map<string, string>;
  private readonly groupIdx: number[];
  private readonly measureIdx: number[];

  constructor(
    readonly agg: Aggregate,
    contract: Contract,
  ) {
    this.types = new Map(contract.columns.map((c) => [c.name, c.type]));
    const index = new Map(contract.columns.map((c, i) => [c.name, i]));
    this.groupIdx = agg.groupBy.map((g) => index.get(g)!);
    this.measureIdx = agg.measures.map((m) => (m.column ? index.get(m.column)! : -1));
    this.columns = [
      ...agg.groupBy.map((g) => ({ name: g, type: this.types.get(g)! as OutColumn['type'], nullable: true })),
      ...agg.measures.map((m) => ({ name: m.as, type: measureType(m.fn, m.column && this.types.get(m.column)), nullable: m.fn !== 'count' && m.fn !== 'count_distinct' })),
    ];
  }

  private group(keys: Typed[]): Acc[] {
    let id = '';
    for (let i = 0; i < keys.length; i++) id += keys[i] === null ? '\u0000\u0001' : `${keys[i]}\u0001`;
    let g = this.groups.get(id);
    if (!g) {
      g = { keys, accs: this.agg.measures.map((m) => ({ count: 0, nonNull: 0, sum: 0, min: null, max: null, distinct: m.fn === 'count_distinct' ? new Set() : undefined })) };
      this.groups.set(id, g);
    }
    return g.accs;
  }

  /** Add one typed row laid out in contract column order (the engine's own rows). */
  addRow(row: Typed[]): void {
    const gi = this.groupIdx;
    const keys: Typed[] = new Array(gi.length);
    for (let k = 0; k < gi.length; k++) keys[k] = row[gi[k]];
    const accs = this.group(keys);
    for (let m = 0; m < accs.length; m++) {
      const a = accs[m];
      a.count++;
      const i = this.measureIdx[m];
      if (i < 0) continue;
      const v = row[i];
      if (v === null) continue;
      a.nonNull++;
      switch (this.agg.measures[m].fn) {
        case 'sum':
        case 'avg':
          a.sum = typeof v === 'bigint' ? BigInt(a.sum) + v : Number(a.sum) + Number(v);
          break;
        case 'min':
          if (a.min === null || v < a.min) a.min = v;
          break;
        case 'max':
          if (a.max === null || v > a.max) a.max = v;
          break;
        case 'count_distinct':
          a.distinct!.add(typeof v === 'bigint' ? v.toString() : v);
          break;
      }
    }
  }

  toPartial(): PartialDoc {
    return {
      aggregate: this.agg.name,
      groups: [...this.groups.values()].map(({ keys, accs }) => ({
        keys: keys.map(toJson),
        accs: accs.map((a) => ({ count: a.count, nonNull: a.nonNull, sum: typeof a.sum === 'bigint' ? a.sum.toString() : a.sum, min: toJson(a.min), max: toJson(a.max), distinct: a.distinct ? [...a.distinct] : undefined })),
      })),
    };
  }

  /** Merge a partial written by another run (or file) into this one. */
  merge(doc: PartialDoc): void {
    const back = (v: Typed, col: string | undefined): Typed => (v !== null && col && decimalSpec(this.types.get(col)!) ? BigInt(v as string) : v);
    for (const g of doc.groups) {
      const accs = this.group(g.keys.map((k, i) => back(k, this.agg.groupBy[i])));
      g.accs.forEach((p, m) => {
        const a = accs[m];
        const col = this.agg.measures[m].column;
        a.count += p.count;
        a.nonNull += p.nonNull;
        const isDec = col !== undefined && decimalSpec(this.types.get(col)!) !== undefined;
        a.sum = isDec ? BigInt(a.sum) + BigInt(p.sum) : Number(a.sum) + Number(p.sum);
        const min = back(p.min, col);
        const max = back(p.max, col);
        if (min !== null && (a.min === null || min < a.min)) a.min = min;
        if (max !== null && (a.max === null || max > a.max)) a.max = max;
        if (a.distinct && p.distinct) for (const d of p.distinct) a.distinct.add(d);
      });
    }
  }

  rows(): Typed[][] {
    const out = [...this.groups.values()].map(({ keys, accs }) => [
      ...keys,
      ...this.agg.measures.map((m, i): Typed => {
        const a = accs[i];
        switch (m.fn) {
          case 'count':
            return m.column ? a.nonNull : a.count;
          case 'count_distinct':
            return a.distinct!.size;
          case 'sum':
            return a.nonNull ? a.sum : null;
          case 'avg': {
            if (!a.nonNull) return null;
            const scale = decimalSpec(this.types.get(m.column!)!)?.scale;
            return scale !== undefined ? Number(a.sum) / 10 ** scale / a.nonNull : Number(a.sum) / a.nonNull;
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

import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects } from 'hyparquet';
import type { Aggregate, Contract } from './contract';
import type { OutColumn } from './parquet';
import { decimalSpec, type Typed } from './types';

/**
 * Gold: declared aggregates over a whole silver partition. Recomputed from all
 * of the partition's silver files each time, so the result is the same however
 * many times, and in whatever order, the files were processed.
 */

type Acc = { count: number; sum: number | bigint; min: Typed; max: Typed; distinct: Set<unknown>; nonNull: number };

/** Values read back from Parquet, normalised to the engine's Typed form. */
export function normalise(v: unknown, type: string): Typed {
  if (v === null || v === undefined) return null;
  const dec = decimalSpec(type);
  if (dec) return typeof v === 'bigint' ? v : BigInt(Math.round(Number(v) * 10 ** dec.scale));
  if (v instanceof Date) return type === 'date' ? Math.round(v.getTime() / 86400000) : v.getTime();
  if (typeof v === 'bigint') return Number(v);
  return v as Typed;
}

export function measureType(fn: string, colType: string | undefined): OutColumn['type'] {
  if (fn === 'count' || fn === 'count_distinct') return 'integer';
  if (fn === 'avg') return 'double';
  if (fn === 'sum' && colType && decimalSpec(colType)) return `decimal(38,${decimalSpec(colType)!.scale})`;
  return (colType ?? 'integer') as OutColumn['type'];
}

export class Aggregator {
  private readonly groups = new Map<string, { keys: Typed[]; accs: Acc[] }>();
  readonly columns: OutColumn[];
  private readonly types: Map<string, string>;

  constructor(
    private readonly agg: Aggregate,
    contract: Contract,
  ) {
    this.types = new Map(contract.columns.map((c) => [c.name, c.type]));
    this.columns = [
      ...agg.groupBy.map((g) => ({ name: g, type: this.types.get(g)! as OutColumn['type'], nullable: true })),
      ...agg.measures.map((m) => ({ name: m.as, type: measureType(m.fn, m.column && this.types.get(m.column)), nullable: m.fn !== 'count' && m.fn !== 'count_distinct' })),
    ];
  }

  add(row: Record<string, unknown>): void {
    const keys = this.agg.groupBy.map((g) => normalise(row[g], this.types.get(g)!));
    const id = JSON.stringify(keys, (_, v) => (typeof v === 'bigint' ? v.toString() : v));
    let g = this.groups.get(id);
    if (!g) {
      g = { keys, accs: this.agg.measures.map(() => ({ count: 0, sum: 0, min: null, max: null, distinct: new Set(), nonNull: 0 })) };
      this.groups.set(id, g);
    }
    this.agg.measures.forEach((m, i) => {
      const a = g!.accs[i];
      a.count++;
      if (!m.column) return;
      const v = normalise(row[m.column], this.types.get(m.column)!);
      if (v === null) return;
      a.nonNull++;
      if (m.fn === 'sum' || m.fn === 'avg') a.sum = typeof v === 'bigint' ? BigInt(a.sum) + v : Number(a.sum) + Number(v);
      if (m.fn === 'min' && (a.min === null || v < a.min)) a.min = v;
      if (m.fn === 'max' && (a.max === null || v > a.max)) a.max = v;
      if (m.fn === 'count_distinct') a.distinct.add(typeof v === 'bigint' ? v.toString() : v);
    });
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
            return a.distinct.size;
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
    return out.sort((x, y) => {
      const a = JSON.stringify(x.slice(0, this.agg.groupBy.length), (_, v) => (typeof v === 'bigint' ? v.toString() : v));
      const b = JSON.stringify(y.slice(0, this.agg.groupBy.length), (_, v) => (typeof v === 'bigint' ? v.toString() : v));
      return a < b ? -1 : a > b ? 1 : 0;
    });
  }
}

/** Feed a local Parquet file to aggregators, one row group at a time. */
export async function scanParquet(path: string, columns: string[], onRows: (rows: Record<string, unknown>[]) => void): Promise<number> {
  const file = await asyncBufferFromFile(path);
  const metadata = await parquetMetadataAsync(file);
  const present = new Set(metadata.schema.map((s) => s.name));
  const cols = columns.filter((c) => present.has(c));
  let start = 0;
  for (const rg of metadata.row_groups) {
    const n = Number(rg.num_rows);
    const rows = (await parquetReadObjects({ file, metadata, columns: cols, rowStart: start, rowEnd: start + n })) as Record<string, unknown>[];
    onRows(rows);
    start += n;
  }
  return start;
}

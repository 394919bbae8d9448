import type { Column, Contract } from '../contract/contract';
import { compileExpression, type CompiledExpression } from '../quality/expression';
import { aggregateShape, type ShapedAggregate } from './gold';
import { PartitionAggregates } from './partitions';
import { DATE_PART, groupColumnName } from '../contract/input';
import type { Typed } from '../typing/values';

/**
 * Gold's date-part grouping (`"groupBy": ["year(obs_date)"]`) and filtered
 * measures (`"where": "precip_in > 0"`), as a view in front of gold/gold.ts: the
 * aggregates see a contract with derived columns appended to each row
 * (`year_obs_date`; a measure's column, or 1 for count, where the filter
 * holds and null elsewhere), so the aggregation engine itself is unchanged.
 * Publish merges partials against the same view.
 */

export interface GoldView {
  /** The contract gold/gold.ts sees: derived columns appended, aggregates rewritten onto them. */
  contract: Contract;
  /** Writes a row's derived values after its own; undefined when the contract needs none. */
  derive: ((row: readonly Typed[], out: Typed[]) => void) | undefined;
}

export function goldView(contract: Contract): GoldView {
  const derived: { col: Column; expr: CompiledExpression | undefined; part?: string; source: number; one?: boolean }[] = [];
  const base = contract.columns;
  const index = new Map(base.map((c, i) => [c.name, i]));
  const types = new Map(base.map((c) => [c.name, c.type]));
  const gold: ShapedAggregate[] = contract.gold.map((agg, a) => ({
    ...agg,
    // What the aggregate means, from the contract's own text: the derived names below are by position.
    shape: aggregateShape(agg, types),
    groupBy: agg.groupBy.map((entry) => {
      const m = DATE_PART.exec(entry);
      if (!m) return entry;
      const name = groupColumnName(entry);
      if (!derived.some((d) => d.col.name === name)) {
        derived.push({ col: { name, type: m[1] === 'date' ? 'date' : 'integer', nullable: true }, expr: undefined, part: entry, source: index.get(m[2])! });
      }
      return name;
    }),
    measures: agg.measures.map((measure, k) => {
      const { where, ...rest } = measure;
      if (!where) return rest;
      const name = `_where_${a}_${k}`;
      const source = measure.column ? index.get(measure.column)! : -1;
      derived.push({
        col: { name, type: source >= 0 ? base[source].type : 'integer', nullable: true },
        expr: compileExpression(where, base),
        source,
        one: source < 0,
      });
      return { ...rest, column: name };
    }),
  }));
  if (!derived.length) return { contract, derive: undefined };
  const width = base.length;
  const parts = derived.map((d) => (d.part ? datePart(d.part, base) : undefined));
  return {
    contract: { ...contract, columns: [...base, ...derived.map((d) => d.col)], gold },
    derive: (row, out) => {
      for (let c = 0; c < width; c++) out[c] = row[c];
      for (let i = 0; i < derived.length; i++) {
        const d = derived[i];
        const part = parts[i];
        out[width + i] = part ? part(row) : d.expr!.evaluate(row) === true ? (d.one ? 1 : row[d.source]) : null;
      }
    },
  };
}

/** year/month/day/hour/date of a date or timestamp column, null for null. */
function datePart(entry: string, columns: readonly Column[]): (row: readonly Typed[]) => Typed {
  const [, fn, col] = DATE_PART.exec(entry)!;
  const i = columns.findIndex((c) => c.name === col);
  const ts = columns[i].type === 'timestamp';
  return (row) => {
    const v = row[i];
    if (v === null) return null;
    const ms = ts ? (v as number) : (v as number) * 86400000;
    if (fn === 'date') return Math.floor(ms / 86400000);
    const d = new Date(ms);
    return fn === 'year' ? d.getUTCFullYear() : fn === 'month' ? d.getUTCMonth() + 1 : fn === 'day' ? d.getUTCDate() : d.getUTCHours();
  };
}

/** PartitionAggregates over the view: rows get their derived values on the way in. */
export function goldAggregates(contract: Contract, ingestedAt?: number): PartitionAggregates {
  const view = goldView(contract);
  return view.derive ? new DerivedAggregates(view.contract, view.derive, ingestedAt) : new PartitionAggregates(contract, ingestedAt);
}

class DerivedAggregates extends PartitionAggregates {
  private ext: Typed[][] = [];
  constructor(
    contract: Contract,
    private readonly derive: (row: readonly Typed[], out: Typed[]) => void,
    ingestedAt?: number,
  ) {
    super(contract, ingestedAt);
  }

  override addMany(partition: string, rows: readonly Typed[][], order: Int32Array, from: number, n: number): void {
    const ext = this.ext;
    while (ext.length < rows.length) ext.push([]);
    for (let k = from; k < from + n; k++) this.derive(rows[order[k]], ext[order[k]]);
    super.addMany(partition, ext, order, from, n);
  }
}

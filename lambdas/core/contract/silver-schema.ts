import type { Contract } from './contract';
import type { OutColumn } from '../parquet/writer';

/**
 * The one definition of silver's columns, in file order: the contract's
 * columns, the audit columns (where each row came from), then the source
 * columns kept by `evolution.onAddedColumns: keep`, as strings under
 * predictable names. The Glue catalog's table columns derive from
 * silverColumns(contract) too, so tables and files cannot drift apart.
 */

/** Audit columns of every silver row. Prefixed with `_` so they cannot collide with contract columns (reserved). */
export const AUDIT_COLUMNS: readonly OutColumn[] = [
  /** The landing object key the row was read from. */
  { name: '_source_key', type: 'string', nullable: false },
  /** The landing object's S3 version id (null where the bucket has none, e.g. local runs). */
  { name: '_source_version', type: 'string', nullable: true },
  /** When the object landed (the same for every rerun of that version, so reruns write identical files). */
  { name: '_ingested_at', type: 'timestamp', nullable: false },
  /** The row's line in the source (CSV: the physical line its record starts on; JSON Lines: its line). */
  { name: '_source_line', type: 'integer', nullable: false },
  /** The contract version the row was typed with. */
  { name: '_contract_version', type: 'integer', nullable: false },
];

/** Gold's audit column: the latest `_ingested_at` of the files whose rows a gold row aggregates. */
export const GOLD_UPDATED_AT: OutColumn = { name: '_updated_at', type: 'timestamp', nullable: true };

/** Names a contract column may not take (compared case-insensitively): the partition key and the audit columns. */
export const RESERVED_NAMES: readonly string[] = ['dt', ...AUDIT_COLUMNS.map((c) => c.name), GOLD_UPDATED_AT.name];

export function isReserved(name: string): boolean {
  return RESERVED_NAMES.includes(name.toLowerCase());
}

/**
 * Silver names of kept source columns: lower case, anything outside
 * [a-z0-9_] as `_`, a leading digit prefixed with `_`; a name already taken
 * (case-insensitively: a contract column, an audit column, an earlier kept
 * one) gets `_2`, `_3`, ... in header order.
 */
export function keptColumnNames(contract: Contract, source: readonly string[]): string[] {
  const taken = new Set([...contract.columns.map((c) => c.name.toLowerCase()), ...RESERVED_NAMES]);
  return source.map((raw) => {
    let base = raw.trim().toLowerCase().replace(/[^a-z0-9_]/g, '_') || 'column';
    if (/^[0-9]/.test(base)) base = `_${base}`;
    let name = base;
    for (let k = 2; taken.has(name); k++) name = `${base}_${k}`;
    taken.add(name);
    return name;
  });
}

/** Silver's columns for a contract, with the kept source columns of one file (by their source names). */
export function silverColumns(contract: Contract, kept: readonly string[] = []): OutColumn[] {
  return [
    ...contract.columns.map((c) => ({ name: c.name, type: c.type, nullable: c.nullable })),
    ...AUDIT_COLUMNS,
    ...keptColumnNames(contract, kept).map((name) => ({ name, type: 'string' as const, nullable: true })),
  ];
}

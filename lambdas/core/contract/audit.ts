import type { OutColumn } from '../parquet/writer';

/**
 * The audit columns the pipeline adds to every silver and gold row, and the
 * names a contract may therefore not take.
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

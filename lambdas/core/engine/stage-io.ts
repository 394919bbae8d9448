import type { Contract } from '../contract/contract';
import type { ColumnPlan } from '../contract/evolution';
import type { PartialDoc } from '../gold/measures';
import type { RowCounts } from '../lake/manifest';
import type { OutColumn, WrittenFile } from '../parquet/writer';

/** What the stage takes (one landed file and where to write) and what it gives back (counts, reasons, files). */

export interface StageInput {
  contract: Contract;
  source: AsyncIterable<Uint8Array>;
  dataset: string;
  key: string;
  /** Partition used when the contract has no partitionBy (and for null partition values). */
  ingestDate: string;
  workDir: string;
  /** Stable id of this file, used in output file names so a rerun overwrites. */
  fileId: string;
  /** The landing object's version id: silver's `_source_version`. */
  sourceVersion?: string;
  /** When the object landed (epoch ms): silver's `_ingested_at`, gold's `_updated_at`. @default ingestDate's midnight UTC */
  ingestedAt?: number;
  rowGroupSize?: number;
  /** Size of the source object in bytes, to choose the dedupe strategy. */
  sizeBytes?: number;
  /** Opens the source again from the start: enables the dedupe pre-pass on large CSV files. */
  reopen?: () => Promise<AsyncIterable<Uint8Array>>;
  /**
   * Above this many expected rows, CSV dedupe uses the disk-backed pre-pass
   * instead of an in-memory table of every key.
   * @default 2_500_000 (about 40 MB of table)
   */
  inMemoryDedupeRows?: number;
}

export interface StageResult {
  counts: RowCounts;
  /** Rejects and warnings per rule id. */
  reasons: Record<string, number>;
  warnings: Record<string, number>;
  silver: WrittenFile[];
  /** JSON Lines of rejected rows, if any. */
  quarantinePath?: string;
  /** JSON Lines of dropped duplicate rows, when the contract keeps them and there were any. */
  duplicatesPath?: string;
  columns: OutColumn[];
  /** Gold partials of this file, per silver partition. */
  partials: Map<string, PartialDoc[]>;
  plan: Pick<ColumnPlan, 'matchedVersion' | 'added' | 'missing' | 'renamed' | 'warnings'>;
}

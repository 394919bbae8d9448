import type { ReasonCode } from '../base/errors';

/**
 * The per-file record of what happened: one JSON document per landing key,
 * overwritten on every run, that `pipeline status`/`reconcile` and people read.
 */

export interface FileRef {
  dataset: string;
  bucket: string;
  key: string;
  versionId?: string;
  etag?: string;
  size?: number;
  /** ISO time the object landed; its date is the ingest date of every output. */
  landedAt: string;
}

export interface Manifest {
  manifestVersion: 1;
  status: 'succeeded' | 'quarantined' | 'failed';
  source: FileRef & { sha256?: string };
  execution?: string;
  contractVersion?: number;
  matchedVersion?: number | null;
  schemaChanges?: { added: string[]; missing: string[]; renamed: Record<string, string>; warnings: string[] };
  counts: RowCounts;
  reasons: Record<string, number>;
  warnings: Record<string, number>;
  outputs: { bronze?: string; silver: string[]; gold: string[]; quarantineRows?: string; quarantineFile?: string; duplicates?: string };
  failure?: { reason: ReasonCode; message: string };
  durationsMs: Record<string, number>;
  startedAt?: string;
  finishedAt: string;
}

/** Rows of one file by fate: the stage counts them, the manifest records them, metrics and `pipeline status` report them. */
export interface RowCounts {
  rowsIn: number;
  rowsOut: number;
  rowsQuarantined: number;
  rowsDeduplicated: number;
  rowsWarned: number;
}

export const emptyCounts = (): RowCounts => ({ rowsIn: 0, rowsOut: 0, rowsQuarantined: 0, rowsDeduplicated: 0, rowsWarned: 0 });

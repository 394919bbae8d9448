import type { FileRef, Manifest } from '../core/manifest';

/** The document each state hands to the next. Small: references, never data. */
export interface FileState extends FileRef {
  execution?: string;
  /** Date (UTC) the object landed: the ingest_date of every output. */
  ingestDate?: string;
  startedAt?: string;
  contractVersion?: number;
  matchedVersion?: number | null;
  durationsMs?: Record<string, number>;
  transform?: {
    counts: Manifest['counts'];
    reasons: Record<string, number>;
    warnings: Record<string, number>;
    schemaChanges: NonNullable<Manifest['schemaChanges']>;
    sha256: string;
    bronze: string;
    silver: string[];
    partitions: string[];
    /** Partitions an earlier version of this key wrote to and this one does not. */
    stalePartitions?: string[];
    quarantineRows?: string;
    duplicates?: string;
  };
  /** Added by the state machine's Catch. */
  error?: { Error?: string; Cause?: string };
}

/** Lambda-style entry points are built from a factory so the local runner can inject its own deps. */
export type Handler<I, O> = (event: I) => Promise<O>;

export function lazy<I, O>(build: () => Promise<Handler<I, O>>): Handler<I, O> {
  let h: Promise<Handler<I, O>> | undefined;
  return async (event) => (await (h ??= build()))(event);
}

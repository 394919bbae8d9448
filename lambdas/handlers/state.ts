import type { FileRef, Manifest } from '../core/manifest';

/** The document each state hands to the next. Small whatever the file: references and bounded summaries, never lists per partition. */
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
    /**
     * How many partitions the file's rows are in. Which ones is in the key's
     * outputs record in the lake (core/outputs.ts), never here: a file with
     * thousands of dates would pass Step Functions' 256 KiB state limit.
     */
    partitions: number;
    quarantineRows?: string;
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

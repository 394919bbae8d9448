import type { Logger } from '@aws-lambda-powertools/logger';
import type { Context } from 'aws-lambda';
import type { FileRef, Manifest, RowCounts } from '../core/lake/manifest';

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
    counts: RowCounts;
    reasons: Record<string, number>;
    warnings: Record<string, number>;
    schemaChanges: NonNullable<Manifest['schemaChanges']>;
    sha256: string;
    bronze: string;
    /**
     * How many partitions the file's rows are in. Which ones is in the key's
     * outputs record in the lake (core/lake/outputs.ts), never here: a file with
     * thousands of dates would pass Step Functions' 256 KiB state limit.
     */
    partitions: number;
    quarantineRows?: string;
    duplicates?: string;
  };
  /** Added by the state machine's Catch. */
  error?: { Error?: string; Cause?: string };
}

/** Lambda-style entry points are built from a factory so the local runner can inject its own deps. */
export type Handler<I, O> = (event: I, context?: Context) => Promise<O>;

/**
 * The Lambda entry point: built once per execution environment, on first use.
 * Each invocation's context goes to the logger, so every line carries the
 * request id, the function and whether it was a cold start.
 */
export function lazy<I, O>(build: () => Promise<{ handle: Handler<I, O>; logger: Logger }>): Handler<I, O> {
  let built: Promise<{ handle: Handler<I, O>; logger: Logger }> | undefined;
  return async (event, context) => {
    const { handle, logger } = await (built ??= build());
    if (context) logger.addContext(context);
    return handle(event, context);
  };
}

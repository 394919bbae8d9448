import { DataError, type ErrorContext } from '../base/errors';

/**
 * Bounds on what one file may cost, whatever its shape. Each has a safe
 * default and can be raised per dataset in the contract (`limits`). Hitting
 * one quarantines the file with reason `parse.limit` (shape) or
 * `file.too_large` (volume), naming the limit to raise.
 */
export interface ReadLimits {
  /** Bytes after decompression (and of a plain file). */
  maxDecompressedBytes: number;
  /** Decompressed bytes per compressed byte, checked once 16 MiB have come out (a gzip bomb runs ~1000:1). */
  maxCompressionRatio: number;
  /** Characters in one record: a CSV record (quoted newlines included) or a JSON Lines line / array element. */
  maxRecordLength: number;
  /** Characters in one field value. */
  maxFieldLength: number;
  /** Fields in one record (CSV) or keys in one JSON record. */
  maxColumns: number;
  /** Distinct silver partitions one file may write. */
  maxPartitions: number;
  /** Nesting depth of a JSON value ([[1]] is 2). */
  maxJsonDepth: number;
}

export const DEFAULT_LIMITS: ReadLimits = {
  maxDecompressedBytes: 8 * 1024 ** 3,
  maxCompressionRatio: 200,
  maxRecordLength: 8 * 1024 * 1024,
  maxFieldLength: 4 * 1024 * 1024,
  maxColumns: 2048,
  maxPartitions: 10_000,
  maxJsonDepth: 64,
};

export function limitsOf(partial?: Partial<ReadLimits>): ReadLimits {
  return { ...DEFAULT_LIMITS, ...partial };
}

/** The DataError for a hit limit: what was seen, the limit's name, and how to raise it. */
export function limitError(limit: keyof ReadLimits, what: string, value: number, where: ErrorContext): DataError {
  const reason = limit === 'maxDecompressedBytes' || limit === 'maxCompressionRatio' ? 'file.too_large' : 'parse.limit';
  return new DataError(
    reason,
    `${what} (limits.${limit} = ${value})`,
    where,
    `Fix the producer, or raise limits.${limit} in the contract if this is expected`,
    { limit, value },
  );
}

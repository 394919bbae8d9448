import { DataError, type ErrorContext } from '../base/errors';

/**
 * Bounds on what one file may cost, whatever its shape. Each has a safe
 * default and can be raised per dataset in the contract (`limits`). Hitting
 * one quarantines the file with reason `parse.limit` (shape),
 * `file.too_large` (volume) or `quality.reject_volume` (quarantine rows:
 * quality/quarantine-rows.ts), naming the limit to raise.
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
  /**
   * Bytes of quarantine rows (rejected rows, and dropped duplicates when kept) one file may
   * write: they wait in the stage's ephemeral storage, and a row's JSON can be many times
   * its CSV (column names, escaping), so a file of bad rows would otherwise fill the disk.
   */
  maxQuarantineBytes: number;
}

export const DEFAULT_LIMITS: ReadLimits = {
  maxDecompressedBytes: 8 * 1024 ** 3,
  maxCompressionRatio: 200,
  maxRecordLength: 8 * 1024 * 1024,
  maxFieldLength: 4 * 1024 * 1024,
  maxColumns: 2048,
  maxPartitions: 10_000,
  maxJsonDepth: 64,
  maxQuarantineBytes: 1024 ** 3,
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

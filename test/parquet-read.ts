import * as zlib from 'node:zlib';
import { asyncBufferFromFile, parquetReadObjects, type Compressors } from 'hyparquet';
import { snappyUncompress } from '../lambdas/core/parquet/snappy';

/**
 * hyparquet reads SNAPPY itself but not ZSTD (silver's default): tests read
 * through these decompressors (node:zlib's ZSTD; our own Snappy decoder is
 * checked against hyparquet's in parquet-format.test.ts).
 */

export const compressors: Compressors = {
  ZSTD: (input: Uint8Array) => new Uint8Array(zlib.zstdDecompressSync(input)),
};

export const snappyDecoder = snappyUncompress;

/** Every row of a local Parquet file as objects. */
export async function readParquetObjects(path: string, opts: { columns?: string[] } = {}): Promise<Record<string, unknown>[]> {
  return (await parquetReadObjects({ file: await asyncBufferFromFile(path), compressors, ...opts })) as Record<string, unknown>[];
}

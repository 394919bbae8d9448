import * as zlib from 'node:zlib';
import { snappyCompress } from './snappy';

/**
 * Page compression codecs. ZSTD (Node 24's node:zlib) is the default: the
 * smallest files for the bytes Athena scans and S3 stores; SNAPPY for readers
 * that lack ZSTD; NONE for debugging.
 */

export type Codec = 'zstd' | 'snappy' | 'none';
export const CODECS = ['zstd', 'snappy', 'none'] as const;
export const DEFAULT_CODEC: Codec = 'zstd';

/** Parquet's CompressionCodec enum. */
export const CODEC_ID: Record<Codec, number> = { none: 0, snappy: 1, zstd: 6 };

/**
 * Level 1: on silver's pages (PLAIN timestamps, strings) it measured as small
 * as zstd's default 3 (the 120 MB bench's silver 30.0 MB against 30.7 MB) and
 * ~35% faster on 1 MB pages of timestamps.
 */
export const ZSTD_LEVEL = 1;

/**
 * Below this many bytes a page is stored in a ZSTD frame of one raw
 * (uncompressed) block: each zstdCompressSync call sets up a fresh context
 * (~0.3 ms), which dominated files of many tiny row groups (3,000 partitions
 * of a few rows each), and so small a page gains little from compression.
 */
export const ZSTD_RAW_BELOW = 512;

/** A valid ZSTD frame holding `data` as one raw block (single segment, content size given). */
export function zstdRawFrame(data: Uint8Array): Uint8Array {
  const n = data.length;
  const out = new Uint8Array(4 + 1 + 4 + 3 + n);
  out.set([0x28, 0xb5, 0x2f, 0xfd], 0);
  out[4] = 0xa0; // Frame_Content_Size_flag 2 (4 bytes), Single_Segment_flag, no checksum, no dictionary
  new DataView(out.buffer).setUint32(5, n, true);
  const block = 1 | (n << 3); // last block, type raw, size n
  out[9] = block & 255;
  out[10] = (block >>> 8) & 255;
  out[11] = (block >>> 16) & 255;
  out.set(data, 12);
  return out;
}

export function compress(codec: Codec, data: Uint8Array): Uint8Array {
  if (codec === 'none') return data;
  if (codec === 'snappy') return snappyCompress(data);
  if (data.length < ZSTD_RAW_BELOW) return zstdRawFrame(data);
  return zlib.zstdCompressSync(data, { params: { [zlib.constants.ZSTD_c_compressionLevel]: ZSTD_LEVEL } });
}

let scratch = new Uint8Array(0);

/**
 * One buffer of several parts (a page's levels and values are compressed as
 * one). The buffer is reused by the next call, so compress it before then:
 * a fresh one per page would be a page-sized backing store of garbage each.
 */
export function concat(parts: Uint8Array[], size: number): Uint8Array {
  if (parts.length === 1) return parts[0];
  if (scratch.length < size) scratch = new Uint8Array(Math.max(size, 64 << 10));
  const out = scratch.subarray(0, size);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

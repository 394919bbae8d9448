import { isAscii } from 'node:buffer';
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { DataError } from '../base/errors';
import { sniffBytes } from './framing';
import { limitError, limitsOf, type ReadLimits } from '../contract/limits';

/**
 * Source bytes to text: gzip (by magic bytes, not by name), the text
 * encoding, and the volume limits (decompressed bytes, compression ratio).
 */

/** Counts the bytes that go in, so the decompressed side can be held to a ratio of them. */
async function* counting(source: AsyncIterable<Uint8Array>, counter: { bytes: number }): AsyncGenerator<Uint8Array> {
  for await (const chunk of source) {
    counter.bytes += chunk.length;
    yield chunk;
  }
}

async function* gunzipIfNeeded(source: AsyncIterable<Uint8Array>, counter: { bytes: number; gzip: boolean }): AsyncGenerator<Uint8Array> {
  const it = source[Symbol.asyncIterator]();
  const first = await it.next();
  if (first.done) return;
  const rest = (async function* () {
    try {
      yield first.value;
      for (;;) {
        const n = await it.next();
        if (n.done) return;
        yield n.value;
      }
    } finally {
      // Stopped early (a limit hit, Validate done with the head): close the source (an S3 stream).
      await it.return?.();
    }
  })();
  if (first.value[0] === 0x1f && first.value[1] === 0x8b) {
    counter.gzip = true;
    yield* Readable.from(counting(rest, counter)).pipe(createGunzip()) as AsyncIterable<Buffer>;
  } else {
    yield* rest;
  }
}

/** Whether UTF-8 bytes end with a whole character (no lead byte waiting for continuation bytes). */
export function endsOnCharBoundary(b: Uint8Array): boolean {
  let i = b.length - 1;
  while (i >= 0 && b.length - i <= 4 && (b[i] & 0xc0) === 0x80) i--;
  if (i < 0) return true;
  const lead = b[i];
  const size = lead < 0x80 ? 1 : lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
  return b.length - i >= size;
}

/**
 * Index of the first byte of `b` that starts no valid UTF-8 sequence (overlong
 * forms, surrogates and code points past U+10FFFF included), or -1. Run only
 * once decoding has failed, to report where.
 */
export function firstInvalidUtf8(b: Uint8Array): number {
  for (let i = 0; i < b.length; ) {
    const c = b[i];
    if (c < 0x80) {
      i++;
      continue;
    }
    const n = c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3 : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
    if (!n) return i;
    const lo = c === 0xe0 ? 0xa0 : c === 0xf0 ? 0x90 : 0x80;
    const hi = c === 0xed ? 0x9f : c === 0xf4 ? 0x8f : 0xbf;
    if (i + 1 < b.length && (b[i + 1] < lo || b[i + 1] > hi)) return i;
    for (let k = 2; k < n; k++) if (i + k < b.length && (b[i + k] & 0xc0) !== 0x80) return i;
    i += n;
  }
  return -1;
}

export async function* decodeText(
  source: AsyncIterable<Uint8Array>,
  encoding: 'utf-8' | 'latin1',
  where: { dataset: string; key: string },
  limits: ReadLimits = limitsOf(),
): AsyncGenerator<string> {
  // The byte-order mark is dropped here, not by the decoder: Node's decoder loses a U+FEFF
  // further in when its first call returned no text (a first chunk of half a character).
  const decoder = new TextDecoder(encoding, { fatal: true, ignoreBOM: true });
  let atStart = true;
  let offset = 0;
  const counter = { bytes: 0, gzip: false };
  // ASCII is the same text in every encoding a contract allows, and a latin1 slice makes it
  // in half the time of the streaming decoder (most exports are ASCII throughout). The
  // decoder still sees the first chunk (it drops a byte-order mark only at the start of its
  // stream) and every chunk while it holds the first bytes of a split character.
  let started = false;
  let pending = false;
  let lastBytes = new Uint8Array(0); // the last bytes the decoder saw, to know whether it is mid-character
  let chunk: Uint8Array = lastBytes;
  try {
    for await (chunk of gunzipIfNeeded(source, counter)) {
      if (!chunk.length) continue;
      if (!offset) sniffBytes(chunk, encoding, where);
      offset += chunk.length;
      if (offset > limits.maxDecompressedBytes)
        throw limitError(
          'maxDecompressedBytes',
          `file is larger than ${limits.maxDecompressedBytes} bytes${counter.gzip ? ' once decompressed' : ''}`,
          limits.maxDecompressedBytes,
          where,
        );
      if (counter.gzip && offset > 16 * 1024 * 1024 && offset > limits.maxCompressionRatio * counter.bytes) {
        throw limitError(
          'maxCompressionRatio',
          `gzip expands more than ${limits.maxCompressionRatio}:1 (${offset} bytes from ${counter.bytes}): a decompression bomb, or not data`,
          limits.maxCompressionRatio,
          where,
        );
      }
      let s: string;
      if (started && !pending && isAscii(chunk)) s = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength).toString('latin1');
      else {
        s = decoder.decode(chunk, { stream: true });
        started = true;
        if (encoding === 'utf-8') {
          const window = new Uint8Array(Math.min(4, lastBytes.length + chunk.length));
          const fromChunk = Math.min(window.length, chunk.length);
          window.set(lastBytes.subarray(lastBytes.length - (window.length - fromChunk)));
          window.set(chunk.subarray(chunk.length - fromChunk), window.length - fromChunk);
          lastBytes = window;
          pending = !endsOnCharBoundary(lastBytes);
        }
      }
      if (s && atStart) {
        atStart = false;
        if (s.charCodeAt(0) === 0xfeff) s = s.slice(1);
      }
      if (s) yield s;
    }
    const tail = decoder.decode();
    if (tail) yield atStart && tail.charCodeAt(0) === 0xfeff ? tail.slice(1) : tail;
  } catch (e) {
    if (e instanceof TypeError && /decode|encoded data/i.test(e.message)) {
      // The decoder fails on a chunk: find the byte itself (counting from the file's start, decompressed).
      const bad = firstInvalidUtf8(chunk);
      const at = offset - chunk.length + Math.max(bad, 0);
      const where2 = bad < 0 ? `near byte ${offset}` : `at byte ${at}`;
      throw new DataError(
        'parse.encoding',
        `file is not valid ${encoding} (${where2}${bad < 0 ? ', a character cut off at the end' : `: 0x${chunk[bad].toString(16).padStart(2, '0')}`})`,
        where,
        `Re-export the file as ${encoding} or set format.encoding in the contract`,
        { offset: at },
      );
    }
    if (
      e instanceof Error &&
      /incorrect header check|unexpected end of file|invalid|unknown compression/i.test(e.message) &&
      counter.gzip &&
      !(e instanceof DataError)
    ) {
      throw new DataError('parse.error', `corrupt gzip stream: ${e.message}`, where, 'Re-upload the file');
    }
    throw e;
  }
}

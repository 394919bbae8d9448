import { isAscii } from 'node:buffer';
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import type { Contract } from './contract';
import { CsvParser } from './csv';
import { bounded, DataError } from './errors';
import { sniffBytes } from './framing';
import { JsonArraySplitter, parseJsonRecord } from './json-read';
import { limitError, limitsOf, type ReadLimits } from './limits';

/**
 * Source decoding: gzip (by magic bytes, not by name), text encoding, and the
 * contract's format, turned into a stream of header + record batches.
 */

export type SourceRecord = { line: number; fields: string[]; values?: undefined } | { line: number; values: unknown[]; fields?: undefined; obj: Record<string, unknown> };

export interface RecordBatch {
  /** Set on the first batch: the file's column names. */
  header?: string[];
  records: SourceRecord[];
  /** Records that could not be read at all (malformed JSON lines). */
  malformed: { line: number; raw: string; error: string }[];
}

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

export async function* decodeText(source: AsyncIterable<Uint8Array>, encoding: 'utf-8' | 'latin1', where: { dataset: string; key: string }, limits: ReadLimits = limitsOf()): AsyncGenerator<string> {
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
      if (offset > limits.maxDecompressedBytes) throw limitError('maxDecompressedBytes', `file is larger than ${limits.maxDecompressedBytes} bytes${counter.gzip ? ' once decompressed' : ''}`, limits.maxDecompressedBytes, where);
      if (counter.gzip && offset > 16 * 1024 * 1024 && offset > limits.maxCompressionRatio * counter.bytes) {
        throw limitError('maxCompressionRatio', `gzip expands more than ${limits.maxCompressionRatio}:1 (${offset} bytes from ${counter.bytes}): a decompression bomb, or not data`, limits.maxCompressionRatio, where);
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
      throw new DataError('parse.encoding', `file is not valid ${encoding} (${where2}${bad < 0 ? ', a character cut off at the end' : `: 0x${chunk[bad].toString(16).padStart(2, '0')}`})`, where, `Re-export the file as ${encoding} or set format.encoding in the contract`, { offset: at });
    }
    if (e instanceof Error && /incorrect header check|unexpected end of file|invalid|unknown compression/i.test(e.message) && counter.gzip && !(e instanceof DataError)) {
      throw new DataError('parse.error', `corrupt gzip stream: ${e.message}`, where, 'Re-upload the file');
    }
    throw e;
  }
}

export async function* readRecords(source: AsyncIterable<Uint8Array>, contract: Contract, where: { dataset: string; key: string }): AsyncGenerator<RecordBatch> {
  const fmt = contract.format;
  const limits = limitsOf(contract.limits);
  if (fmt.type === 'csv') {
    const parser = new CsvParser({ ...fmt, limits }, where);
    let header: string[] | undefined = fmt.header ? undefined : contract.columns.map((c) => c.name);
    let sentHeader = false;
    const emit = (recs: ReturnType<CsvParser['push']>): RecordBatch | undefined => {
      let records = recs;
      if (!header) {
        if (!records.length) return undefined;
        header = records[0].fields;
        records = records.slice(1);
      }
      const batch: RecordBatch = { records, malformed: [] };
      if (!sentHeader) {
        batch.header = header;
        sentHeader = true;
      }
      return batch;
    };
    for await (const text of decodeText(source, fmt.encoding, where, limits)) {
      const b = emit(parser.push(text));
      if (b) yield b;
    }
    const last = emit(parser.end());
    if (last) yield last;
    if (!sentHeader) throw new DataError('file.empty', 'file has no header row', where, 'Upload a file with a header line');
    return;
  }

  // JSON: the column names are the union of the keys of the first batch's
  // objects (so a field that only some records carry is still seen by schema
  // evolution); later objects are read by those names, and a rejected record
  // is quarantined whole (its other keys included).
  let names: string[] | undefined;
  let index: Map<string, number> | undefined;
  const isObject = (o: unknown): o is Record<string, unknown> => !!o && typeof o === 'object' && !Array.isArray(o) && !JSON.isRawJSON(o);
  const learnNames = (objs: unknown[]) => {
    if (names) return;
    const seen = new Set<string>();
    for (const o of objs) if (isObject(o)) for (const k of Object.keys(o)) if (seen.size < limits.maxColumns || seen.has(k)) seen.add(k);
    names = [...seen];
    index = new Map(names.map((n, i) => [n, i]));
  };
  const toRecord = (obj: unknown, line: number): SourceRecord | string => {
    if (!isObject(obj)) return 'record is not a JSON object';
    const values = new Array<unknown>(names!.length).fill(undefined);
    for (const k in obj) {
      const v = obj[k];
      // A lone surrogate has no UTF-8 form: writing it would silently turn it into U+FFFD.
      if (typeof v === 'string' && !v.isWellFormed()) return `${bounded(k, 200)} holds a lone surrogate (a \\u escape of half a character): not valid Unicode`;
      const i = index!.get(k);
      if (i !== undefined) values[i] = v;
    }
    return { line, values, obj };
  };

  let line = 0;
  let sentHeader = false;
  let sawRecord = false;
  // Records wait here until enough are seen to learn the column names from.
  let pending: { obj: unknown; line: number; raw: string }[] = [];
  let pendingChars = 0;
  const LEARN_FROM = 1000;
  // ...or fewer, when they are large: what waits here is held in memory.
  const LEARN_FROM_CHARS = 16 * 1024 * 1024;
  const batch = (): RecordBatch => ({ records: [], malformed: [] });
  const addRecords = (texts: string[], out: RecordBatch, lineOf: (i: number) => number): void => {
    for (let t = 0; t < texts.length; t++) {
      const raw = texts[t];
      const ln = lineOf(t);
      if (!raw.trim()) continue;
      sawRecord = true;
      const parsed = parseJsonRecord(raw, limits);
      if (parsed.ok) {
        pending.push({ obj: parsed.value, line: ln, raw });
        pendingChars += raw.length;
      }
      else out.malformed.push({ line: ln, raw, error: parsed.error });
    }
  };
  const release = (out: RecordBatch, final: boolean): RecordBatch => {
    if (!names && pending.length < LEARN_FROM && pendingChars < LEARN_FROM_CHARS && !final) return out;
    learnNames(pending.map((p) => p.obj));
    for (const p of pending) {
      const r = toRecord(p.obj, p.line);
      if (typeof r === 'string') out.malformed.push({ line: p.line, raw: p.raw, error: r });
      else out.records.push(r);
    }
    pending = [];
    if (!sentHeader && names) {
      out.header = names;
      sentHeader = true;
    }
    return out;
  };
  const worth = (b: RecordBatch) => b.records.length || b.malformed.length || b.header;

  // A JSON Lines dataset also takes a JSON array export (a '[' first: no JSON Lines record starts so).
  const texts = decodeText(source, 'utf-8', where, limits);
  const head: string[] = [];
  let firstChar = '';
  // Read by hand: breaking out of a for-await would close the decoder.
  // Blank text before the first record is not kept, only its line count (a blank file may be huge).
  let blankLines = 0;
  for (let n = await texts.next(); !n.done; n = await texts.next()) {
    const m = /\S/.exec(n.value);
    if (m) {
      head.push(n.value);
      firstChar = m[0];
      break;
    }
    for (let i = n.value.indexOf('\n'); i >= 0; i = n.value.indexOf('\n', i + 1)) blankLines++;
  }
  const rest = (async function* () {
    try {
      yield* head;
      for (let n = await texts.next(); !n.done; n = await texts.next()) yield n.value;
    } finally {
      // A reader that stops early (Validate reads only the head) closes the source too.
      await texts.return(undefined);
    }
  })();
  if (fmt.type === 'json' || firstChar === '[') {
    const splitter = new JsonArraySplitter(limits.maxRecordLength);
    const fail = (e: unknown): never => {
      if (e instanceof DataError) throw e;
      if ((e as Error).message === 'the document is empty') throw new DataError('file.empty', 'file has no JSON document (only blank space)', where, 'Upload a JSON array of records');
      if (e instanceof RangeError) throw limitError('maxRecordLength', (e as Error).message, limits.maxRecordLength, where);
      throw new DataError('parse.error', `invalid JSON array: ${(e as Error).message}`, where, 'Send a JSON array of objects ([{...}, {...}]), or use format jsonl for one record per line');
    };
    for await (const text of rest) {
      let elements: string[];
      try {
        elements = splitter.push(text);
      } catch (e) {
        fail(e);
      }
      const first = splitter.count - elements!.length;
      const b = batch();
      addRecords(elements!, b, (i) => first + i + 1);
      const r = release(b, false);
      if (worth(r)) yield r;
    }
    try {
      splitter.end();
    } catch (e) {
      fail(e);
    }
    const last = release(batch(), true);
    if (!sentHeader) last.header = names ?? contract.columns.map((c) => c.name);
    yield last;
    return;
  }

  // JSON Lines. Only the new text is searched for newlines; the line a chunk
  // cuts is carried as pieces, joined once its newline arrives.
  let carry: string[] = [];
  let carryLength = 0;
  line = blankLines;
  for await (const text of rest) {
    let nl = text.indexOf('\n');
    if (nl < 0) {
      carry.push(text);
      carryLength += text.length;
      if (carryLength > limits.maxRecordLength) throw limitError('maxRecordLength', `line ${line + 1} is longer than ${limits.maxRecordLength} characters`, limits.maxRecordLength, { ...where, line: line + 1 });
      continue;
    }
    carry.push(text.slice(0, nl));
    const lines = [carry.length === 1 ? carry[0] : carry.join('')];
    let from = nl + 1;
    while ((nl = text.indexOf('\n', from)) >= 0) {
      lines.push(text.slice(from, nl));
      from = nl + 1;
    }
    carry = from < text.length ? [text.slice(from)] : [];
    carryLength = text.length - from;
    for (const l of lines) if (l.length > limits.maxRecordLength) throw limitError('maxRecordLength', `a line is longer than ${limits.maxRecordLength} characters`, limits.maxRecordLength, where);
    const base = line;
    line += lines.length;
    const b = batch();
    addRecords(lines, b, (i) => base + i + 1);
    const r = release(b, false);
    if (worth(r)) yield r;
  }
  const last = batch();
  if (carry.length) addRecords([carry.join('')], last, () => line + 1);
  release(last, true);
  if (!sawRecord) throw new DataError('file.empty', 'file has no records (only blank lines)', where, 'Upload a file with at least one JSON record per line');
  if (!sentHeader) last.header = names ?? contract.columns.map((c) => c.name);
  yield last;
}

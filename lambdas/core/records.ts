import { isAscii } from 'node:buffer';
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import type { Contract } from './contract';
import { CsvParser } from './csv';
import { DataError } from './errors';

/**
 * Source decoding: gzip (by magic bytes, not by name), text encoding, and the
 * contract's format, turned into a stream of header + record batches.
 */

export type SourceRecord = { line: number; fields: string[]; values?: undefined } | { line: number; values: unknown[]; fields?: undefined };

export interface RecordBatch {
  /** Set on the first batch: the file's column names. */
  header?: string[];
  records: SourceRecord[];
  /** Records that could not be read at all (malformed JSON lines). */
  malformed: { line: number; raw: string; error: string }[];
}

async function* gunzipIfNeeded(source: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  const it = source[Symbol.asyncIterator]();
  const first = await it.next();
  if (first.done) return;
  const rest = (async function* () {
    yield first.value;
    for (;;) {
      const n = await it.next();
      if (n.done) return;
      yield n.value;
    }
  })();
  if (first.value[0] === 0x1f && first.value[1] === 0x8b) {
    yield* Readable.from(rest).pipe(createGunzip()) as AsyncIterable<Buffer>;
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

export async function* decodeText(source: AsyncIterable<Uint8Array>, encoding: 'utf-8' | 'latin1', where: { dataset: string; key: string }): AsyncGenerator<string> {
  // ignoreBOM: the byte-order mark is dropped here, once, at the start of the text. Node 24's
  // streaming decoder also drops a U+FEFF that follows a character split across chunks.
  const decoder = new TextDecoder(encoding, { fatal: true, ignoreBOM: true });
  let atStart = encoding === 'utf-8';
  let offset = 0;
  // ASCII is the same text in every encoding a contract allows, and a latin1 slice makes it
  // in half the time of the streaming decoder (most exports are ASCII throughout). The
  // decoder still sees the first chunk and every chunk while it holds the first bytes of a
  // split character.
  let started = false;
  let pending = false;
  let lastBytes = new Uint8Array(0); // the last bytes the decoder saw, to know whether it is mid-character
  try {
    for await (const chunk of gunzipIfNeeded(source)) {
      if (!chunk.length) continue;
      offset += chunk.length;
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
      if (atStart && s) {
        atStart = false;
        if (s.charCodeAt(0) === 0xfeff) s = s.slice(1);
      }
      if (s) yield s;
    }
    const tail = decoder.decode();
    if (tail) yield atStart && tail.charCodeAt(0) === 0xfeff ? tail.slice(1) : tail;
  } catch (e) {
    if (e instanceof TypeError && /decode|encoded data/i.test(e.message)) {
      throw new DataError('parse.encoding', `file is not valid ${encoding} (near byte ${offset})`, where, `Re-export the file as ${encoding} or set format.encoding in the contract`);
    }
    if (e instanceof Error && /incorrect header check|unexpected end of file/i.test(e.message)) {
      throw new DataError('parse.error', `corrupt gzip stream: ${e.message}`, where, 'Re-upload the file');
    }
    throw e;
  }
}

export async function* readRecords(source: AsyncIterable<Uint8Array>, contract: Contract, where: { dataset: string; key: string }): AsyncGenerator<RecordBatch> {
  const fmt = contract.format;
  if (fmt.type === 'csv') {
    const parser = new CsvParser(fmt, where);
    let header: string[] | undefined = fmt.header ? undefined : contract.columns.map((c) => c.source ?? c.name);
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
    for await (const text of decodeText(source, fmt.encoding, where)) {
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
  // evolution); later objects are read by those names.
  let names: string[] | undefined;
  let index: Map<string, number> | undefined;
  const isObject = (o: unknown): o is Record<string, unknown> => !!o && typeof o === 'object' && !Array.isArray(o);
  const learnNames = (objs: unknown[]) => {
    if (names) return;
    const seen = new Set<string>();
    for (const o of objs) if (isObject(o)) for (const k of Object.keys(o)) seen.add(k);
    if (!seen.size) return;
    names = [...seen];
    index = new Map(names.map((n, i) => [n, i]));
  };
  const toRecord = (obj: unknown, line: number): SourceRecord | string => {
    if (!isObject(obj)) return 'record is not a JSON object';
    const values = new Array<unknown>(names!.length).fill(undefined);
    for (const [k, v] of Object.entries(obj)) {
      const i = index!.get(k);
      if (i !== undefined) values[i] = v;
    }
    return { line, values };
  };

  if (fmt.type === 'json') {
    let text = '';
    for await (const t of decodeText(source, 'utf-8', where)) text += t;
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch (e) {
      throw new DataError('parse.error', `invalid JSON: ${(e as Error).message}`, where, 'Fix the JSON document, or use format jsonl for one record per line');
    }
    if (!Array.isArray(doc)) throw new DataError('parse.error', 'JSON document is not an array of records', where, 'Wrap the records in [ ... ]');
    const batch: RecordBatch = { records: [], malformed: [] };
    learnNames(doc);
    doc.forEach((obj, i) => {
      const r = toRecord(obj, i + 1);
      if (typeof r === 'string') batch.malformed.push({ line: i + 1, raw: JSON.stringify(obj), error: r });
      else batch.records.push(r);
    });
    yield { ...batch, header: names ?? contract.columns.map((c) => c.source ?? c.name) };
    return;
  }

  let carry = '';
  let line = 0;
  let sentHeader = false;
  // Records wait here until enough are seen to learn the column names from.
  let pending: { obj: unknown; line: number; raw: string }[] = [];
  const LEARN_FROM = 1000;
  const parseLines = (lines: string[], final = false): RecordBatch => {
    const batch: RecordBatch = { records: [], malformed: [] };
    for (const raw of lines) {
      line++;
      const trimmed = raw.trim();
      if (!trimmed) continue;
      try {
        pending.push({ obj: JSON.parse(trimmed), line, raw: trimmed });
      } catch (e) {
        batch.malformed.push({ line, raw: trimmed, error: `invalid JSON: ${(e as Error).message}` });
      }
    }
    if (!names && pending.length < LEARN_FROM && !final) return batch;
    learnNames(pending.map((p) => p.obj));
    for (const p of pending) {
      const r = toRecord(p.obj, p.line);
      if (typeof r === 'string') batch.malformed.push({ line: p.line, raw: p.raw, error: r });
      else batch.records.push(r);
    }
    pending = [];
    if (!sentHeader && names) {
      batch.header = names;
      sentHeader = true;
    }
    return batch;
  };
  for await (const text of decodeText(source, 'utf-8', where)) {
    const parts = (carry + text).split('\n');
    carry = parts.pop()!;
    const b = parseLines(parts);
    if (b.records.length || b.malformed.length || b.header) yield b;
  }
  const last = parseLines(carry ? [carry] : [], true);
  if (!sentHeader) last.header = contract.columns.map((c) => c.source ?? c.name);
  yield last;
}

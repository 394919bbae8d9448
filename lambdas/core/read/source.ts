import type { Contract } from '../contract/contract';
import { CsvParser } from './csv';
import { decodeText } from './decode';
import { bounded, DataError } from '../base/errors';
import { JsonArraySplitter, parseJsonRecord } from './json';
import { limitError, limitsOf } from '../contract/limits';

export { decodeText, endsOnCharBoundary, firstInvalidUtf8 } from './decode';

/**
 * Records from a source: decoded text (read/decode.ts) read by the contract's
 * format into a stream of header + record batches.
 */

export type SourceRecord =
  | { line: number; fields: string[]; values?: undefined }
  | { line: number; values: unknown[]; fields?: undefined; obj: Record<string, unknown> };

export interface RecordBatch {
  /** Set on the first batch: the file's column names. */
  header?: string[];
  records: SourceRecord[];
  /** Records that could not be read at all (malformed JSON lines). */
  malformed: { line: number; raw: string; error: string }[];
}

export async function* readRecords(
  source: AsyncIterable<Uint8Array>,
  contract: Contract,
  where: { dataset: string; key: string },
): AsyncGenerator<RecordBatch> {
  const fmt = contract.format;
  const limits = limitsOf(contract.limits);
  if (fmt.type === 'csv') {
    const parser = new CsvParser({ ...fmt, limits }, where);
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
  // Names the column plan reads (contract columns, old names it renames): never left out by
  // the maxColumns cap, and a record carrying one that the learned names lack is rejected, not
  // read without it. Other unlearned keys may only be ignored where the plan drops added columns;
  // a null only where the column it names would be filled with null anyway.
  const planned = new Map<string, boolean>(contract.columns.map((c) => [c.name, c.default !== undefined]));
  for (const [from, to] of Object.entries(contract.evolution.renames)) planned.set(from, planned.get(to) ?? false);
  const ignorable = (k: string, v: unknown) => {
    const hasDefault = planned.get(k.trim());
    return hasDefault === undefined ? contract.evolution.onAddedColumns === 'drop' || v === null : v === null && !hasDefault;
  };
  const learnNames = (objs: unknown[]) => {
    if (names) return;
    const seen = new Set<string>();
    for (const o of objs)
      if (isObject(o)) for (const k of Object.keys(o)) if (seen.size < limits.maxColumns || seen.has(k) || planned.has(k.trim())) seen.add(k);
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
      else if (!ignorable(k, v))
        return `key ${bounded(JSON.stringify(k), 200)} is not among the columns learned from the file's first records (a key that first appears later, or past limits.maxColumns): its value would be lost`;
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
      } else out.malformed.push({ line: ln, raw, error: parsed.error });
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
      if ((e as Error).message === 'the document is empty')
        throw new DataError('file.empty', 'file has no JSON document (only blank space)', where, 'Upload a JSON array of records');
      if (e instanceof RangeError) throw limitError('maxRecordLength', (e as Error).message, limits.maxRecordLength, where);
      throw new DataError(
        'parse.error',
        `invalid JSON array: ${(e as Error).message}`,
        where,
        'Send a JSON array of objects ([{...}, {...}]), or use format jsonl for one record per line',
      );
    };
    for await (const text of rest) {
      let elements: string[];
      try {
        elements = splitter.push(text);
      } catch (e) {
        fail(e);
      }
      const b = batch();
      // The blank lines before the first chunk with text were not given to the splitter.
      addRecords(elements!, b, (i) => blankLines + splitter.lines[i]);
      const r = release(b, false);
      if (worth(r)) yield r;
    }
    try {
      splitter.end();
    } catch (e) {
      fail(e);
    }
    const last = release(batch(), true);
    if (!sentHeader) last.header = names ?? contract.columns.map((c) => c.source ?? c.name);
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
      if (carryLength > limits.maxRecordLength)
        throw limitError('maxRecordLength', `line ${line + 1} is longer than ${limits.maxRecordLength} characters`, limits.maxRecordLength, {
          ...where,
          line: line + 1,
        });
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
    for (const l of lines)
      if (l.length > limits.maxRecordLength)
        throw limitError('maxRecordLength', `a line is longer than ${limits.maxRecordLength} characters`, limits.maxRecordLength, where);
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
  if (!sentHeader) last.header = names ?? contract.columns.map((c) => c.source ?? c.name);
  yield last;
}

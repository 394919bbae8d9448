import { bounded } from '../base/errors';
import { detach } from '../base/strings';
import type { ReadLimits } from '../contract/limits';

/**
 * JSON values read without silent changes: numbers that a double cannot hold
 * exactly (integers beyond 2^53, long decimals, 1e400) keep their source text
 * as a raw JSON number (JSON.rawJSON: typed from the text later, written back
 * verbatim by JSON.stringify), and nesting is bounded without recursion.
 */

declare global {
  interface JSON {
    rawJSON(text: string): RawJson;
    isRawJSON(value: unknown): value is RawJson;
  }
  interface String {
    /** ES2024: false when the string holds a lone surrogate. */
    isWellFormed(): boolean;
  }
}

export interface RawJson {
  readonly rawJSON: string;
}

export const isRawJson = (v: unknown): v is RawJson => typeof v === 'object' && v !== null && JSON.isRawJSON(v);

/**
 * A text holding a number a double may not keep exactly: 16 or more
 * significant digits, or an exponent of 3 digits. Only such texts pay for the
 * reviver (a native JSON.parse is 4x faster without one); a string value that
 * looks alike costs the slower parse, never a wrong value.
 */
const INEXACT = /(?:\d\.?){16}|[eE][+-]?\d{3}/;

const keepSource = (_k: string, v: unknown, ctx?: { source?: string }): unknown => {
  if (typeof v !== 'number' || ctx?.source === undefined) return v;
  // A copy of the text: the source is a slice of the decoded chunk, which a held raw number would keep alive.
  return String(v) === ctx.source ? v : JSON.rawJSON(detach(ctx.source));
};

/** Nesting depth of a parsed value, walked with an explicit stack (stops once past `max`). */
export function depthOf(v: unknown, max: number): number {
  if (typeof v !== 'object' || v === null) return 0;
  let deepest = 1;
  const stack: [object, number][] = [[v, 1]];
  while (stack.length) {
    const [o, d] = stack.pop()!;
    if (d > deepest) deepest = d;
    if (deepest > max) return deepest;
    for (const x of Array.isArray(o) ? o : Object.values(o)) if (typeof x === 'object' && x !== null && !JSON.isRawJSON(x)) stack.push([x, d + 1]);
  }
  return deepest;
}

/**
 * Whether some object in the text repeats a key (JSON.parse keeps only the
 * last value, silently). Every member of every object has exactly one ':'
 * outside strings, so the text's count of those equals the parsed value's count
 * of keys unless a key repeats. Two linear passes, no recursion.
 */
export function repeatsKey(text: string, value: unknown): boolean {
  let colons = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92) i++;
      else if (c === 34) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 58) colons++;
  }
  let keys = 0;
  const stack: unknown[] = [value];
  while (stack.length) {
    const o = stack.pop();
    if (typeof o !== 'object' || o === null || JSON.isRawJSON(o)) continue;
    if (Array.isArray(o)) for (const x of o) stack.push(x);
    else
      for (const k in o) {
        keys++;
        stack.push((o as Record<string, unknown>)[k]);
      }
  }
  return keys !== colons;
}

export type ParsedJson = { ok: true; value: unknown } | { ok: false; error: string };

/** Parse one JSON record's text: its value, or why it is not a record we can read. */
export function parseJsonRecord(text: string, limits: ReadLimits): ParsedJson {
  let value: unknown;
  try {
    // V8's JSON.parse is iterative (any depth); its reviver is not, so depth is checked before one runs.
    value = JSON.parse(text);
  } catch (e) {
    return { ok: false, error: `invalid JSON: ${bounded((e as Error).message, 300)}` };
  }
  // Each level of nesting takes 2 characters and each key at least 4 ("":0,): a shorter text cannot break either limit.
  if (typeof value === 'object' && value !== null) {
    if (text.length > 2 * limits.maxJsonDepth && depthOf(value, limits.maxJsonDepth) > limits.maxJsonDepth)
      return { ok: false, error: `nested deeper than ${limits.maxJsonDepth} levels (limits.maxJsonDepth)` };
    if (text.length > 4 * limits.maxColumns && !Array.isArray(value) && Object.keys(value).length > limits.maxColumns)
      return { ok: false, error: `record has more than ${limits.maxColumns} keys (limits.maxColumns)` };
    if (repeatsKey(text, value))
      return { ok: false, error: 'an object in the record has the same key twice: which value is meant is ambiguous (JSON.parse would keep the last)' };
  }
  if (INEXACT.test(text)) value = JSON.parse(text, keepSource as (k: string, v: unknown) => unknown);
  return { ok: true, value };
}

/**
 * Cuts the elements of a top-level JSON array out of streamed text, so an
 * array of any size is read one element at a time: a character walk that
 * tracks strings and nesting and keeps only the current element's text.
 */
export class JsonArraySplitter {
  /** 0: before '[', 1: between elements, 2: in an element, 3: after ']'. */
  private phase = 0;
  private depth = 0;
  private inString = false;
  private escaped = false;
  private parts: string[] = [];
  private partLength = 0;
  /** Elements read so far (1-based numbering of records). */
  count = 0;
  /** The line (1-based) each element the last push() returned starts on: a record's `_source_line`, as for CSV. */
  lines: number[] = [];
  private line = 1;
  private elementLine = 1;

  constructor(private readonly maxRecordLength: number) {}

  /** Feed text; returns the texts of the elements it completed. Throws a message (string) when the text is not an array. */
  push(text: string): string[] {
    const out: string[] = [];
    this.lines = [];
    let start = this.phase === 2 ? 0 : -1;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      // Never the character read twice below (an element's first, not a newline).
      if (c === 10) this.line++;
      if (this.phase === 2) {
        if (this.inString) {
          if (this.escaped) this.escaped = false;
          else if (c === 92) this.escaped = true;
          else if (c === 34) this.inString = false;
          continue;
        }
        if (c === 34) this.inString = true;
        else if (c === 123 || c === 91) this.depth++;
        else if (c === 125 || c === 93) {
          if (this.depth === 0) {
            // The closing ']' of the array ends the last element.
            if (c === 125) throw new Error(`unbalanced '}' in element ${this.count + 1}`);
            this.take(text, start, i, out);
            this.phase = 3;
            start = -1;
          } else this.depth--;
        } else if (c === 44 && this.depth === 0) {
          this.take(text, start, i, out);
          this.phase = 1;
          start = -1;
        }
        continue;
      }
      if (c === 32 || c === 10 || c === 13 || c === 9 || c === 0xfeff) continue;
      if (this.phase === 0) {
        if (c !== 91) throw new Error('the document is not an array of records');
        this.phase = 1;
      } else if (this.phase === 1) {
        if (c === 93 && this.count === 0 && !this.parts.length) {
          this.phase = 3;
          continue;
        }
        this.phase = 2;
        this.elementLine = this.line;
        start = i;
        i--; // read this character as part of the element
      } else throw new Error('text after the closing ] of the array');
    }
    if (this.phase === 2 && start >= 0) this.keep(text.slice(start));
    return out;
  }

  /** The end of the input: the array must be closed. */
  end(): void {
    if (this.phase === 0) throw new Error('the document is empty');
    if (this.phase !== 3) throw new Error('the array is not closed (the file ends inside it)');
  }

  private keep(s: string): void {
    this.partLength += s.length;
    if (this.partLength > this.maxRecordLength)
      throw new RangeError(`element ${this.count + 1} is longer than ${this.maxRecordLength} characters (limits.maxRecordLength)`);
    this.parts.push(s);
  }

  private take(text: string, start: number, i: number, out: string[]): void {
    this.keep(text.slice(start, i));
    const s = this.parts.length === 1 ? this.parts[0] : this.parts.join('');
    this.parts = [];
    this.partLength = 0;
    if (s.trim() === '') throw new Error(`element ${this.count + 1} is empty`);
    this.count++;
    out.push(s);
    this.lines.push(this.elementLine);
  }
}

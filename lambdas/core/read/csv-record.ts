import { DataError, type ErrorContext } from '../base/errors';
import { limitError, type ReadLimits } from '../contract/limits';

// States of the record assembler (RecordAssembler.state).
const FIELD_START = 0;
const UNQUOTED = 1;
const QUOTED = 2;
/** A quote inside a quoted field: the closing one, or the first of a doubled pair. */
const QUOTE_IN_QUOTED = 3;
/** Text after a closing quote, up to the delimiter (kept: common in exports). */
const AFTER_QUOTE = 4;
/** A carriage return that ends the record only if a newline follows. */
const CR = 5;

/**
 * A record read character by character across any number of chunks: the
 * state, the finished fields and the value being built carry over from one
 * chunk to the next, so every character is looked at once however long the
 * record (a rescan of the carried text would make one long record cost the
 * square of its length). Used for records with quotes and for the one record
 * each chunk boundary cuts.
 */
export class RecordAssembler {
  active = false;
  fields: string[] = [];
  /** The value being built, in pieces joined once at its end (a += per piece builds a rope whose cost grows faster than its length). */
  private parts: string[] = [];
  private valueLength = 0;
  private state = FIELD_START;
  /** The state a pending CR returns to when no newline follows. */
  private crFrom = UNQUOTED;
  private length = 0;
  newlines = 0;
  startLine = 0;
  /** Whether the record had a quoted field (`""` alone is a record with one empty value, a blank line is none). */
  quoted = false;
  private readonly quoteStr: string;
  private readonly pair: string;

  constructor(
    private readonly delim: number,
    private readonly quote: number,
    private readonly limits: ReadLimits,
    private readonly where: ErrorContext,
  ) {
    this.quoteStr = String.fromCharCode(quote);
    this.pair = this.quoteStr + this.quoteStr;
  }

  begin(line: number): void {
    this.active = true;
    this.fields = [];
    this.parts = [];
    this.valueLength = 0;
    this.state = FIELD_START;
    this.length = 0;
    this.newlines = 0;
    this.startLine = line;
    this.quoted = false;
  }

  private add(s: string): void {
    this.parts.push(s);
    this.valueLength += s.length;
  }

  private endField(): void {
    if (this.valueLength > this.limits.maxFieldLength)
      throw limitError(
        'maxFieldLength',
        `a field of line ${this.startLine} is longer than ${this.limits.maxFieldLength} characters`,
        this.limits.maxFieldLength,
        { ...this.where, line: this.startLine },
      );
    if (this.fields.length >= this.limits.maxColumns)
      throw limitError('maxColumns', `line ${this.startLine} has more than ${this.limits.maxColumns} fields`, this.limits.maxColumns, {
        ...this.where,
        line: this.startLine,
      });
    const p = this.parts;
    this.fields.push(p.length === 0 ? '' : p.length === 1 ? p[0] : p.join(''));
    this.parts = [];
    this.valueLength = 0;
  }

  /** Reads buf from `pos`: the position after the record once it ends, or -1 when buf ran out first. */
  feed(buf: string, pos: number): number {
    const len = buf.length;
    const { delim, quote } = this;
    let i = pos;
    const budget = this.limits.maxRecordLength - this.length;
    const stop = len - pos > budget ? pos + budget + 1 : len;
    while (i < stop) {
      switch (this.state) {
        case FIELD_START:
          if (buf.charCodeAt(i) === quote) {
            this.state = QUOTED;
            this.quoted = true;
            i++;
          } else this.state = UNQUOTED;
          break;
        case UNQUOTED:
        case AFTER_QUOTE: {
          const from = i;
          let c = 0;
          while (i < stop && (c = buf.charCodeAt(i)) !== delim && c !== 10 && c !== 13) i++;
          if (i > from) this.add(buf.slice(from, i));
          if (i >= stop) break;
          i++;
          if (c === delim) {
            this.endField();
            this.state = FIELD_START;
          } else if (c === 10) {
            this.endField();
            this.newlines++;
            return this.close(i);
          } else {
            this.crFrom = this.state;
            this.state = CR;
          }
          break;
        }
        case CR:
          if (buf.charCodeAt(i) === 10) {
            this.endField();
            this.newlines++;
            return this.close(i + 1);
          }
          // A lone CR inside a field is data, as on the fast path.
          this.add('\r');
          this.state = this.crFrom;
          break;
        case QUOTED: {
          // Up to the closing quote (or the end of the text), doubled quotes included: one piece, unescaped at once.
          let k = i;
          for (;;) {
            k = buf.indexOf(this.quoteStr, k);
            if (k < 0 || k >= stop) k = stop;
            else if (k + 1 < stop && buf.charCodeAt(k + 1) === quote) {
              k += 2;
              continue;
            }
            break;
          }
          for (let x = buf.indexOf('\n', i); x >= 0 && x < k; x = buf.indexOf('\n', x + 1)) this.newlines++;
          if (k > i) {
            const piece = buf.slice(i, k);
            // split/join gives a flat string; replaceAll builds a rope whose flattening costs more than the text.
            this.add(piece.includes(this.quoteStr) ? piece.split(this.pair).join(this.quoteStr) : piece);
          }
          i = k;
          if (i < stop) {
            this.state = QUOTE_IN_QUOTED;
            i++;
          }
          break;
        }
        case QUOTE_IN_QUOTED:
          if (buf.charCodeAt(i) === quote) {
            this.add(this.quoteStr);
            this.state = QUOTED;
            i++;
          } else this.state = AFTER_QUOTE;
          break;
      }
    }
    this.length += i - pos;
    if (this.length > this.limits.maxRecordLength)
      throw limitError(
        'maxRecordLength',
        `the record starting at line ${this.startLine} is longer than ${this.limits.maxRecordLength} characters`,
        this.limits.maxRecordLength,
        { ...this.where, line: this.startLine },
      );
    if (this.valueLength > this.limits.maxFieldLength) this.endField();
    return -1;
  }

  private close(at: number): number {
    this.active = false;
    return at;
  }

  /** The end of the input: the record so far is complete, unless a quote is still open. */
  finish(): boolean {
    this.active = false;
    if (this.state === QUOTED)
      throw new DataError(
        'parse.error',
        'unterminated quoted field',
        { ...this.where, line: this.startLine },
        'Close the quote or escape it by doubling it ("")',
      );
    if (this.state === CR) this.add('\r');
    this.newlines++; // the end of the input ends the record as a newline would
    if (this.state === FIELD_START && !this.fields.length) return false;
    this.endField();
    return true;
  }
}

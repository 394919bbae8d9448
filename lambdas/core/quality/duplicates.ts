import type { RowCounts } from '../lake/manifest';
import { openSync, writeSync } from 'node:fs';
import { closeQuietly } from './quarantine-rows';
import { keyOf } from './rules';
import { detach, detachAll, detachValues } from '../base/strings';
import type { Typed } from '../typing/values';

/**
 * What happens to valid rows that share a key (contract `onDuplicate`), when
 * the contract asks for more than "first row wins, silently":
 *
 * - first: the first row is kept at once; later ones are dropped.
 * - last: the latest row of a key is held and kept at the end of the file.
 * - quarantine: rows of a key that differ anywhere are all quarantined as
 *   `duplicate_key(<keys>)`; exact copies of a row are dropped as duplicates.
 *
 * Dropped rows are counted (rowsDeduplicated) and, with `keepDuplicates`,
 * written with their line and original fields to a duplicates file.
 *
 * Only keys that can repeat are held: with the CSV pre-pass (quality/dedupe.ts) that is
 * the rows whose key fingerprint occurs more than once; without it (JSON, or
 * no way to reread the source) every keyed row of the file is, so memory then
 * grows with the file's distinct keys as the in-memory deduper's table does.
 */

export type OnDuplicate = 'first' | 'last' | 'quarantine';

export interface DuplicateSink {
  emit(row: Typed[], ordinal: number): void;
  reject(line: number, original: Record<string, unknown>, rule: string, reason: string): void;
  readonly counts: Pick<RowCounts, 'rowsDeduplicated'>;
  /** Counts quarantine-row bytes about to be written; throws past the file's budget (limits.maxQuarantineBytes). */
  spend(bytes: number): void;
}

interface Held {
  row: Typed[];
  content: string;
  ordinal: number;
  line: number;
  original?: Record<string, unknown>;
  conflicted: boolean;
  /** quarantine: exact copies seen so far, dropped at the end unless the key turns out to conflict. */
  copies: { line: number; original: Record<string, unknown> }[];
}

export class DuplicatePolicy {
  private readonly held = new Map<string, Held>();
  private readonly seen = new Set<string>();
  private readonly allIdx: number[];
  private readonly rule: string;
  private fd: number | undefined;
  private pending = '';
  dropped = 0;

  constructor(
    private readonly mode: OnDuplicate,
    private readonly keyIdx: number[],
    keyNames: string[],
    /** Per key column, its value as people read it (typing/parse.ts displayFor). */
    private readonly show: ((v: Typed) => string)[],
    width: number,
    private readonly sink: DuplicateSink,
    /** Bit per data row, set when its key may repeat (CSV pre-pass); undefined: every row may. */
    private readonly candidates: Uint8Array | undefined,
    /** JSON Lines file for dropped rows, or undefined to count them only. */
    private readonly droppedPath: string | undefined,
  ) {
    this.allIdx = Array.from({ length: width }, (_, i) => i);
    this.rule = `duplicate_key(${keyNames.join(',')})`;
  }

  offer(row: Typed[], ordinal: number, line: number, original: () => Record<string, unknown>): void {
    if (this.candidates && !(this.candidates[ordinal >>> 3] & (1 << (ordinal & 7)))) {
      this.sink.emit(row, ordinal);
      return;
    }
    const key = keyOf(row, this.keyIdx);
    if (this.mode === 'first') {
      if (this.seen.has(key)) return this.drop(line, original);
      this.seen.add(detach(key));
      this.sink.emit(row, ordinal);
      return;
    }
    const prev = this.held.get(key);
    const keepOriginal = this.mode === 'quarantine' || this.droppedPath !== undefined;
    // What waits until the end of the file is copied (base/strings.ts): the row's values, and the
    // key, may be slices of their input chunks, and a held row must not keep its chunk alive.
    const entry = (): Held => ({
      row: detachAll(row.slice()),
      content: detach(keyOf(row, this.allIdx)),
      ordinal,
      line,
      original: keepOriginal ? detachValues(original()) : undefined,
      conflicted: false,
      copies: [],
    });
    if (!prev) {
      this.held.set(detach(key), entry());
      return;
    }
    if (this.mode === 'last') {
      this.drop(prev.line, () => prev.original!);
      this.held.set(key, entry()); // the Map keeps the key it already holds (a copy)
      return;
    }
    // quarantine: a copy waits; the first difference sends the key's every row, copies too, to quarantine.
    if (!prev.conflicted && keyOf(row, this.allIdx) === prev.content) {
      prev.copies.push({ line, original: detachValues(original()) });
      return;
    }
    const why = `rows at lines ${prev.line} and ${line} share the key (${this.keyIdx.map((i, k) => (row[i] === null ? 'null' : this.show[k](row[i]))).join(', ')}) with different values`;
    if (!prev.conflicted) {
      prev.conflicted = true;
      this.sink.reject(prev.line, prev.original!, this.rule, why);
      for (const c of prev.copies) this.sink.reject(c.line, c.original, this.rule, why);
      prev.copies = [];
    }
    this.sink.reject(line, original(), this.rule, why);
  }

  /** Emits the held rows in file order; call once the source is read. */
  finish(): void {
    const rows = [...this.held.values()].filter((h) => !h.conflicted).sort((a, b) => a.ordinal - b.ordinal);
    for (const h of rows) {
      this.sink.emit(h.row, h.ordinal);
      for (const c of h.copies) this.drop(c.line, () => c.original);
    }
    this.held.clear();
    try {
      if (this.pending) this.flush();
    } finally {
      this.abort();
    }
  }

  /** Closes the dropped-rows file without writing more (never throws). */
  abort(): void {
    this.pending = '';
    this.fd = closeQuietly(this.fd);
  }

  private drop(line: number, original: () => Record<string, unknown>): void {
    this.dropped++;
    this.sink.counts.rowsDeduplicated++;
    if (this.droppedPath === undefined) return;
    // The quarantine row shape (engine/stage-run.ts reject): the source fields under `row`.
    this.pending += `${JSON.stringify({ _line: line, _rule: this.rule, row: original() })}\n`;
    if (this.pending.length > 65536) this.flush();
  }

  private flush(): void {
    this.sink.spend(Buffer.byteLength(this.pending));
    this.fd ??= openSync(this.droppedPath!, 'w');
    writeSync(this.fd, this.pending);
    this.pending = '';
  }
}

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Column } from '../contract/contract';
import { InMemoryDeduper, type Deduper } from '../quality/dedupe';
import { bounded, DataError, topReasons } from '../base/errors';
import { limitError, limitsOf, type ReadLimits } from '../contract/limits';
import { planColumns, type ColumnPlan } from '../contract/evolution';
import type { PartitionAggregates } from '../gold/partitions';
import { goldAggregates } from '../gold/view';
import { RowBatch, type BatchSink } from './stage-batch';
import { QuarantineRows } from '../quality/quarantine-rows';
import { PartitionedParquetWriter, type OutColumn } from '../parquet/writer';
import type { SourceRecord } from '../read/source';
import { compileRules, type CompiledRule } from '../quality/rules';
import { cleanerFor, type Cleaner } from '../typing/cells';
import { DuplicatePolicy } from '../quality/duplicates';
import type { StageInput } from './stage-io';
import { emptyCounts, type RowCounts } from '../lake/manifest';
import { rangeParserFor, type RangeParser } from '../typing/range-parsers';
import { AUDIT_COLUMNS } from '../contract/audit';
import { silverColumns } from '../contract/silver-schema';
import { contractValue, displayFor, fromJson, parserFor } from '../typing/parse';
import { INVALID, type Parser, type Typed } from '../typing/values';

/**
 * The state of one file's run through the stage: typing, rules, dedupe,
 * partition routing, silver and gold writers, quarantine. One row array is
 * reused for every row; everything downstream copies what it keeps.
 */

const bump = (m: Record<string, number>, k: string) => (m[k] = (m[k] ?? 0) + 1);

/** The instants a partition name can hold: years 0000 to 9999 (UTC). */
const PARTITION_MIN_MS = Date.parse('0000-01-01T00:00:00Z');
const PARTITION_MAX_MS = Date.UTC(10000, 0, 1) - 1;

export class StageRun {
  readonly counts: RowCounts = emptyCounts();
  readonly reasons: Record<string, number> = {};
  readonly warnings: Record<string, number> = {};
  readonly coerced = new Set<string>();
  plan: ColumnPlan | undefined;
  header: string[] = [];
  outColumns: OutColumn[] = [];
  writer: PartitionedParquetWriter | undefined;
  readonly quarantinePath: string;
  private readonly rejects: QuarantineRows;

  private readonly where: { dataset: string; key: string };
  readonly cols: Column[];
  readonly nCols: number;
  readonly parsers: Parser[];
  readonly rangeParsers: RangeParser[];
  readonly defaults: (Typed | undefined)[];
  /** Per column, its nullValues/trim/emptyAs as a function (typing/cells.ts), or undefined. */
  readonly cleaners: (Cleaner | undefined)[];
  private readonly errorRules: CompiledRule[];
  private readonly warnRules: CompiledRule[];
  private readonly keyIdx: number[];
  dedupe: Deduper | undefined;
  /** Set (by useDuplicatePolicy) when the contract asks for more than first-row-wins: then it dedupes, not `dedupe`. */
  duplicates: DuplicatePolicy | undefined;
  /** Position of the current row among the file's data rows (the dedupe pre-pass counts the same way). */
  private ordinal = 0;
  private readonly partIdx: number;
  private readonly partDayMs: number;
  /** partitionGranularity: the unit partitions are numbered in (an hour or a day) and the length of their ISO names. */
  private readonly partUnitMs: number;
  private readonly partLen: number;
  readonly gold: PartitionAggregates;
  /** The one row array every row is typed into; consumers copy what they keep. */
  row: Typed[] = [];
  /** Set by check(): the rule that rejected the row. */
  badRule = '';
  private batch: RowBatch | undefined;
  readonly limits: ReadLimits;
  private readonly auditValues: Typed[];
  /** Where kept source columns start in the row: after the contract's and the audit columns. */
  private readonly extraAt: number;

  constructor(private readonly input: StageInput) {
    const { contract, dataset, key } = input;
    this.where = { dataset, key };
    this.limits = limitsOf(contract.limits);
    this.cols = contract.columns;
    this.nCols = this.cols.length;
    this.parsers = this.cols.map(parserFor);
    this.rangeParsers = this.cols.map(rangeParserFor);
    this.cleaners = this.cols.map((c) => cleanerFor(c, contract.format.type === 'csv' ? 'csv' : 'json'));
    this.defaults = this.cols.map((c, i) => {
      if (c.default === undefined || c.default === null) return c.default;
      const v = contractValue(c.default, this.parsers[i], c.type);
      return v === INVALID ? undefined : v;
    });
    const rules = compileRules(contract);
    this.errorRules = rules.filter((r) => r.severity === 'error');
    this.warnRules = rules.filter((r) => r.severity === 'warn');
    this.keyIdx = contract.keys.map((k) => this.cols.findIndex((c) => c.name === k));
    this.dedupe = this.keyIdx.length ? new InMemoryDeduper(this.keyIdx) : undefined;
    this.partIdx = contract.partitionBy ? this.cols.findIndex((c) => c.name === contract.partitionBy) : -1;
    this.partDayMs = this.partIdx >= 0 && this.cols[this.partIdx].type === 'date' ? 86400000 : 1;
    const granularity = contract.partitionGranularity;
    this.partUnitMs = granularity === 'hour' ? 3600000 : 86400000;
    this.partLen = { hour: 13, day: 10, month: 7, year: 4 }[granularity];
    const ingestedAt = input.ingestedAt ?? Date.parse(input.ingestDate);
    this.auditValues = [key, input.sourceVersion ?? null, ingestedAt, 0, contract.version];
    this.extraAt = this.nCols + AUDIT_COLUMNS.length;
    this.gold = goldAggregates(contract, ingestedAt);
    mkdirSync(input.workDir, { recursive: true });
    this.quarantinePath = join(input.workDir, 'rejects.jsonl');
    this.rejects = new QuarantineRows(this.quarantinePath, this.limits.maxQuarantineBytes, () => this.volumeError());
  }

  /** Hands key dedupe to the contract's onDuplicate policy (quality/duplicates.ts); `candidates` from the CSV pre-pass. */
  useDuplicatePolicy(candidates: Uint8Array | undefined): void {
    const { contract, workDir } = this.input;
    this.dedupe = undefined;
    this.duplicatesPath = contract.keepDuplicates ? join(workDir, 'duplicates.jsonl') : undefined;
    this.duplicates = new DuplicatePolicy(
      contract.onDuplicate,
      this.keyIdx,
      contract.keys,
      this.keyIdx.map((i) => displayFor(this.cols[i])),
      this.nCols + (this.plan?.extra.length ?? 0),
      this,
      candidates,
      this.duplicatesPath,
    );
  }
  duplicatesPath: string | undefined;

  /** Decide the column plan from the file's own column names. */
  start(names: string[]): void {
    const { input } = this;
    this.header = names.map((h) => h.trim());
    const plan = planColumns(this.header, input.contract, this.where);
    this.plan = plan;
    this.outColumns = silverColumns(
      input.contract,
      plan.extra.map((e) => e.name),
    );
    this.writer = new PartitionedParquetWriter(
      this.outColumns,
      (dt) => join(input.workDir, 'silver', `dt=${dt}`, `${input.fileId}.parquet`),
      input.rowGroupSize,
      { dataset: input.dataset, source_key: input.key, contract_version: String(input.contract.version) },
      undefined,
      input.contract.compression,
    );
    this.batch = new RowBatch(this as BatchSink, this.outColumns.length);
    this.row = this.batch.slot();
  }

  /** Audit values (contract/audit.ts), after the contract's columns; the line is the row's own. */
  private audit(row: Typed[], line: number): void {
    const n = this.nCols;
    // Copied from one array: a double read from a number field is boxed anew per store (2M
    // HeapNumbers per 2M rows); read from an array of mixed values it is one shared object.
    const a = this.auditValues;
    row[n] = a[0];
    row[n + 1] = a[1];
    row[n + 2] = a[2];
    row[n + 3] = line;
    row[n + 4] = a[4];
  }

  /**
   * One quarantined row: the metadata at the top under fixed `_` names, the
   * source values under `row` (by column name, so no source column can take a
   * metadata name) and any fields past the header under `_extra`.
   */
  reject(line: number, original: Record<string, unknown> | string, rule: string, reason: string, extra?: unknown[]): void {
    this.counts.rowsQuarantined++;
    bump(this.reasons, rule);
    const doc: Record<string, unknown> = {
      _line: line,
      _rule: rule,
      _reason: bounded(reason, 1000),
      _dataset: this.input.dataset,
      _source_key: this.input.key,
    };
    // A string is a record that could not be read at all: its text, as it came.
    if (typeof original === 'string') doc._raw = original;
    else doc.row = original;
    if (extra?.length) doc._extra = extra;
    this.rejects.add(`${JSON.stringify(doc)}\n`);
  }

  /** Bytes of kept duplicates (quality/duplicates.ts), counted in the quarantine rows' budget. */
  spend(bytes: number): void {
    this.rejects.spend(bytes);
  }

  /**
   * Past limits.maxQuarantineBytes the file is quarantined whole, with the counts so far and the
   * rows written so far (as for quality.reject_ratio: engine/stage.ts).
   */
  private volumeError(): DataError {
    const max = this.limits.maxQuarantineBytes;
    const top = topReasons(this.reasons, 5);
    const { rowsIn, rowsQuarantined, rowsDeduplicated } = this.counts;
    return new DataError(
      'quality.reject_volume',
      `quarantine rows of this file pass ${max} bytes (limits.maxQuarantineBytes) after ${rowsIn} rows read: ${rowsQuarantined} rejected (the first ${this.rejects.linesWritten} kept in the row file), ${rowsDeduplicated} duplicates dropped; top rules: ${top || 'none'}`,
      this.where,
      "Fix the source data (see the top rules), or raise limits.maxQuarantineBytes if the stage's ephemeral storage holds that much",
      {
        limit: 'maxQuarantineBytes',
        value: max,
        reasons: this.reasons,
        counts: { ...this.counts, rowsOut: 0 },
        // Only a file that exists: every rejected row may still have been in the buffer.
        quarantinePath: this.rejects.opened ? this.quarantinePath : undefined,
      },
    );
  }

  original(fields: readonly unknown[]): Record<string, unknown> {
    // A null-prototype object: a column named __proto__ is a key like any other.
    const o: Record<string, unknown> = Object.create(null);
    for (let i = 0; i < this.header.length; i++) o[this.header[i]] = fields[i] ?? null;
    return o;
  }

  /** Reject a CSV record, keeping every field (those past the header under `_extra`). */
  private rejectCsv(line: number, src: string, starts: Int32Array, ends: Int32Array, n: number, rule: string, why: string): void {
    const fields = this.slices(src, starts, ends, n);
    const width = this.header.length;
    this.reject(line, this.original(fields), rule, why, n > width ? fields.slice(width) : undefined);
  }

  invalid(c: number, raw: unknown): string {
    this.badRule = `type(${this.cols[c].name})`;
    const text = typeof raw === 'object' && raw !== null ? JSON.stringify(raw) : String(raw ?? '');
    return `${this.cols[c].name}='${bounded(text, 200)}' is not a valid ${this.cols[c].type}`;
  }

  /** Row rules on the typed row: the failure of the first error rule, or undefined (warnings are counted). */
  check(row: Typed[]): string | undefined {
    if (this.partIdx >= 0) {
      const pv = row[this.partIdx];
      const at = (pv as number) * this.partDayMs;
      // A dt= name has a 4-digit year (ISO 8601's basic range): 10000-01-01 would be '+010000-01-01'.
      if (pv !== null && !(at >= PARTITION_MIN_MS && at <= PARTITION_MAX_MS)) {
        const col = this.cols[this.partIdx];
        this.badRule = `partition_range(${col.name})`;
        return `${col.name}=${displayFor(col)(pv)} is outside the years 0000-9999 a partition name (dt=) can hold`;
      }
    }
    for (const r of this.errorRules) {
      const why = r.check(row);
      if (why) {
        this.badRule = r.id;
        return why;
      }
    }
    let warned = false;
    for (const r of this.warnRules) {
      if (r.check(row)) {
        bump(this.warnings, r.id);
        warned = true;
      }
    }
    if (warned) this.counts.rowsWarned++;
    return undefined;
  }

  /** Dedupe, route to its partition, write silver and feed gold: through the batch (engine/stage-batch.ts). */
  emit(row: Typed[], ordinal: number): void {
    this.row = this.batch!.push(row, ordinal);
  }

  /** Emits the rows still batched: call once the source is read, before the writers finish. */
  finishRows(): void {
    this.duplicates?.finish();
    this.batch?.flush();
  }

  partitionOf(row: Typed[]): string {
    if (this.partIdx < 0) return this.input.ingestDate;
    const pv = row[this.partIdx];
    return this.dayName(
      pv === null
        ? Math.floor(Date.parse(`${this.input.ingestDate}T00:00:00Z`) / this.partUnitMs)
        : Math.floor(((pv as number) * this.partDayMs) / this.partUnitMs),
    );
  }

  // A direct-mapped cache of day numbers to partition names (a Map lookup per row showed in profiles).
  private readonly dayKeys = new Int32Array(1024).fill(-0x80000000);
  private readonly dayVals: string[] = new Array(1024).fill('');

  /** Partition names seen: with month or year partitions many days make one name, and names are what is limited. */
  private readonly seenParts = new Set<string>();

  private dayName(day: number): string {
    const slot = day & 1023;
    if (this.dayKeys[slot] === day) return this.dayVals[slot];
    const s = new Date(day * this.partUnitMs).toISOString().slice(0, this.partLen);
    if (!this.seenParts.has(s)) {
      this.seenParts.add(s);
      if (this.seenParts.size > this.limits.maxPartitions)
        throw limitError(
          'maxPartitions',
          `file spans more than ${this.limits.maxPartitions} ${this.input.contract.partitionBy} partitions (silver dt=)`,
          this.limits.maxPartitions,
          this.where,
        );
    }
    this.dayKeys[slot] = day;
    this.dayVals[slot] = s;
    return s;
  }

  /** One CSV record as character ranges of `src` (see CsvScanner). */
  readonly csvRow = (src: string, starts: Int32Array, ends: Int32Array, n: number, line: number): void => {
    const plan = this.plan;
    if (!plan) {
      const names: string[] = [];
      for (let i = 0; i < n; i++) names.push(src.slice(starts[i], ends[i]));
      this.start(names);
      return;
    }
    this.counts.rowsIn++;
    const ordinal = this.ordinal++;
    const width = this.header.length;
    if (n !== width) {
      this.rejectCsv(line, src, starts, ends, n, 'parse.field_count', `expected ${width} fields, found ${n}`);
      return;
    }
    const { row, nCols, rangeParsers, defaults } = this;
    const sourceIndex = plan.sourceIndex;
    for (let c = 0; c < nCols; c++) {
      const si = sourceIndex[c];
      let v: Typed | typeof INVALID;
      if (si < 0) v = defaults[c] ?? null;
      else {
        const s = starts[si];
        const e = ends[si];
        const clean = this.cleaners[c];
        if (clean !== undefined) {
          const t = clean(src.slice(s, e));
          v = t === null ? (defaults[c] ?? null) : this.parsers[c](t);
        } else v = s === e ? (defaults[c] ?? null) : rangeParsers[c](src, s, e);
        if (v === INVALID) {
          const why = this.invalid(c, src.slice(s, e));
          this.rejectCsv(line, src, starts, ends, n, this.badRule, why);
          return;
        }
      }
      row[c] = v;
    }
    const bad = this.check(row);
    if (bad) {
      this.rejectCsv(line, src, starts, ends, n, this.badRule, bad);
      return;
    }
    this.audit(row, line);
    const extra = plan.extra;
    for (let x = 0, at = this.extraAt; x < extra.length; x++) {
      const i = extra[x].index;
      row[at + x] = starts[i] === ends[i] ? null : src.slice(starts[i], ends[i]);
    }
    if (this.duplicates) this.duplicates.offer(row, ordinal, line, () => this.original(this.slices(src, starts, ends, n)));
    else this.emit(row, ordinal);
  };

  private slices(src: string, starts: Int32Array, ends: Int32Array, n: number): string[] {
    const out: string[] = [];
    for (let i = 0; i < n; i++) out.push(src.slice(starts[i], ends[i]));
    return out;
  }

  /** One JSON record (already read into values by name). */
  jsonRow(rec: SourceRecord & { values: unknown[]; obj: Record<string, unknown> }): void {
    const { row, nCols, cols, parsers, defaults, input } = this;
    const plan = this.plan!;
    this.counts.rowsIn++;
    const ordinal = this.ordinal++;
    for (let c = 0; c < nCols; c++) {
      const si = plan.sourceIndex[c];
      let v: Typed | typeof INVALID;
      if (si < 0) v = defaults[c] ?? null;
      else {
        let raw = rec.values[si];
        const clean = this.cleaners[c];
        if (clean !== undefined && typeof raw === 'string') raw = clean(raw);
        // A JSON number can be a null marker too (-999); otherwise it keeps its own type.
        else if (clean !== undefined && typeof raw === 'number' && clean(String(raw)) === null) raw = null;
        const j = fromJson(raw, cols[c], parsers[c]);
        v = j.value === null ? (defaults[c] ?? null) : j.value;
        if (j.coerced && j.value !== INVALID) {
          if (input.contract.evolution.onTypeChange === 'reject') {
            throw new DataError(
              'schema.incompatible',
              `column ${cols[c].name} changed type: got ${JSON.isRawJSON(rec.values[si]) ? 'number' : typeof rec.values[si]}, contract says ${cols[c].type}`,
              { ...this.where, line: rec.line, column: cols[c].name },
              'Fix the producer, or set evolution.onTypeChange to coerce',
              { columns: [cols[c].name] },
            );
          }
          this.coerced.add(cols[c].name);
          bump(this.warnings, `schema.type_coerced(${cols[c].name})`);
        }
      }
      if (v === INVALID) {
        const why = this.invalid(c, si < 0 ? '' : rec.values[si]);
        this.reject(rec.line, rec.obj, this.badRule, why);
        return;
      }
      row[c] = v;
    }
    const bad = this.check(row);
    if (bad) {
      this.reject(rec.line, rec.obj, this.badRule, bad);
      return;
    }
    this.audit(row, rec.line);
    plan.extra.forEach((x, e) => {
      const raw = rec.values[x.index];
      row[this.extraAt + e] = raw === undefined || raw === null || raw === '' ? null : typeof raw === 'string' ? raw : JSON.stringify(raw); // raw numbers keep their text
    });
    if (this.duplicates) this.duplicates.offer(row, ordinal, rec.line, () => this.original(rec.values));
    else this.emit(row, ordinal);
  }

  /** Writes the last rejected rows and closes their file (throws quality.reject_volume past the budget). */
  closeQuarantine(): void {
    this.rejects.close();
  }

  /** Closes every file this run opened without writing more (the run failed; never throws). */
  abort(): void {
    this.writer?.abort();
    this.duplicates?.abort();
    this.rejects.abort();
  }
}

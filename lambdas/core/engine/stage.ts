import { join } from 'node:path';
import type { Contract } from '../contract/contract';
import { CsvScanner } from '../read/csv';
import { CandidateDeduper, findRepeatedKeys, InMemoryDeduper } from '../quality/dedupe';
import { DataError, topReasons } from '../base/errors';
import { GoldOverflow } from '../gold/measures';
import { decodeText, readRecords } from '../read/source';
import { StageRun } from './stage-run';
import type { StageInput, StageResult } from './stage-io';

/**
 * The validate + type + dedupe + write engine for one file. Pure with respect
 * to AWS: it reads bytes from an async iterable and writes Parquet and JSON
 * Lines into a local work directory; the handler moves them to the lake.
 *
 * CSV rows are typed straight from the scanner's character ranges into one
 * reused row array, so the hot loop allocates only the string values it
 * keeps; JSON sources go through the record reader.
 */

/** Rough width of a value in a CSV, to guess row counts from object sizes. */
const TYPICAL_WIDTH: Record<string, number> = { string: 8, integer: 4, double: 8, boolean: 4, date: 10, timestamp: 20 };

const SAMPLE = 5;

async function readCsv(run: StageRun, input: StageInput): Promise<void> {
  const fmt = input.contract.format;
  if (fmt.type !== 'csv') return;
  const where = { dataset: input.dataset, key: input.key };
  if (needsPolicy(input.contract)) {
    // Only keys that may repeat are held: the pre-pass finds them when the source can be reread.
    run.useDuplicatePolicy(input.reopen ? await findRepeatedKeys(await input.reopen(), input.contract, where, join(input.workDir, 'dedupe')) : undefined);
  } else if (input.contract.keys.length && input.sizeBytes !== undefined) {
    const rowBytes = input.contract.columns.reduce((n, c) => n + 1 + (TYPICAL_WIDTH[c.type] ?? 6), 0);
    const expectedRows = (input.sizeBytes * (/\.gz$/i.test(input.key) ? 8 : 1)) / rowBytes;
    const keyIdx = input.contract.keys.map((k) => input.contract.columns.findIndex((c) => c.name === k));
    const budget = input.inMemoryDedupeRows ?? 2_500_000;
    if (expectedRows > budget && input.reopen) {
      const candidates = await findRepeatedKeys(await input.reopen(), input.contract, where, join(input.workDir, 'dedupe'));
      run.dedupe = new CandidateDeduper(keyIdx, candidates);
    } else {
      // Sized up front: growing a large table rehashes every key it holds.
      run.dedupe = new InMemoryDeduper(keyIdx, Math.min(expectedRows, budget));
    }
  }
  const scanner = new CsvScanner({ ...fmt, limits: run.limits }, where);
  if (!fmt.header) run.start(input.contract.columns.map((c) => c.source ?? c.name));
  for await (const text of decodeText(input.source, fmt.encoding, where, run.limits)) scanner.push(text, run.csvRow);
  scanner.end(run.csvRow);
  if (!run.plan) throw new DataError('file.empty', 'file has no header row', where, 'Upload a file with a header line');
}

/** Whether the contract asks for more than first-row-wins dedupe (quality/duplicates.ts). */
const needsPolicy = (c: Contract) => c.keys.length > 0 && (c.onDuplicate !== 'first' || c.keepDuplicates);

async function readJson(run: StageRun, input: StageInput): Promise<void> {
  if (needsPolicy(input.contract)) run.useDuplicatePolicy(undefined);
  for await (const batch of readRecords(input.source, input.contract, { dataset: input.dataset, key: input.key })) {
    if (batch.header && !run.plan) run.start(batch.header);
    for (const m of batch.malformed) {
      run.counts.rowsIn++;
      run.reject(m.line, m.raw, 'parse.record', m.error);
    }
    for (const rec of batch.records) if (rec.values) run.jsonRow(rec);
  }
}

export async function runStage(input: StageInput): Promise<StageResult> {
  const { contract, dataset, key } = input;
  const where = { dataset, key };
  const run = new StageRun(input);
  try {
    if (contract.format.type === 'csv') await readCsv(run, input);
    else await readJson(run, input);
    run.finishRows();
    run.gold.checkOverflow();
    // Inside the try: its last block can pass limits.maxQuarantineBytes, and then the rest must be closed too.
    run.closeQuarantine();
  } catch (e) {
    // Every descriptor is closed on every path (the work directory is discarded after a failure).
    run.abort();
    throw e instanceof GoldOverflow ? new DataError('gold.overflow', e.detail, where, e.hint) : e;
  }
  const silver = run.writer ? run.writer.finish() : [];
  const { counts, reasons } = run;

  const { minRows, maxRows, maxRejectRatio } = contract.fileRules;
  const dataRows = counts.rowsIn;
  if (dataRows < minRows || (maxRows !== undefined && dataRows > maxRows)) {
    throw new DataError(
      'quality.row_count',
      `file has ${dataRows} rows, contract expects ${minRows}..${maxRows ?? '∞'}`,
      where,
      'Check the export that produced the file',
      { rows: dataRows },
    );
  }
  if (dataRows > 0 && counts.rowsQuarantined / dataRows > maxRejectRatio) {
    // The counts and the rejected rows go with the error: the file's manifest reports them and the row file is kept.
    throw new DataError(
      'quality.reject_ratio',
      `${counts.rowsQuarantined} of ${dataRows} rows rejected (${((100 * counts.rowsQuarantined) / dataRows).toFixed(1)}% > ${(maxRejectRatio * 100).toFixed(1)}%); top rules: ${topReasons(reasons, SAMPLE)}`,
      where,
      'Fix the source data or relax fileRules.maxRejectRatio',
      { reasons, counts: { ...counts, rowsOut: 0 }, quarantinePath: run.quarantinePath },
    );
  }
  const p = run.plan ?? { matchedVersion: null, added: [], missing: [], renamed: {}, warnings: [] };
  return {
    counts,
    reasons,
    warnings: run.warnings,
    silver,
    quarantinePath: counts.rowsQuarantined ? run.quarantinePath : undefined,
    duplicatesPath: run.duplicates?.dropped ? run.duplicatesPath : undefined,
    columns: run.outColumns,
    partials: run.gold.partials(),
    plan: {
      matchedVersion: p.matchedVersion,
      added: p.added,
      missing: p.missing,
      renamed: p.renamed,
      warnings: [...p.warnings, ...[...run.coerced].map((c) => `coerced ${c} to its contract type`)],
    },
  };
}

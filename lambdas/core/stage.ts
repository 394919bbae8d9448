import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import type { Contract } from './contract';
import { DataError } from './errors';
import { planColumns, type ColumnPlan } from './evolution';
import { PartitionAggregates, type PartialDoc } from './gold';
import { PartitionedParquetWriter, type OutColumn, type WrittenFile } from './parquet';
import { readRecords } from './records';
import { compileRules, FingerprintSet, keyOf } from './rules';
import { fromJson, INVALID, parserFor, type Parser, type Typed } from './types';

/**
 * The validate + type + dedupe + write engine for one file. Pure with respect
 * to AWS: it reads bytes from an async iterable and writes Parquet and JSON
 * Lines into a local work directory; the handler moves them to the lake.
 */

export interface StageInput {
  contract: Contract;
  source: AsyncIterable<Uint8Array>;
  dataset: string;
  key: string;
  /** Partition used when the contract has no partitionBy (and for null partition values). */
  ingestDate: string;
  workDir: string;
  /** Stable id of this file, used in output file names so a rerun overwrites. */
  fileId: string;
  rowGroupSize?: number;
}

export interface StageCounts {
  rowsIn: number;
  rowsOut: number;
  rowsQuarantined: number;
  rowsDeduplicated: number;
  rowsWarned: number;
}

export interface StageResult {
  counts: StageCounts;
  /** Rejects and warnings per rule id. */
  reasons: Record<string, number>;
  warnings: Record<string, number>;
  silver: WrittenFile[];
  /** JSON Lines of rejected rows, if any. */
  quarantinePath?: string;
  columns: OutColumn[];
  /** Gold partials of this file, per silver partition. */
  partials: Map<string, PartialDoc[]>;
  plan: Pick<ColumnPlan, 'matchedVersion' | 'added' | 'missing' | 'renamed' | 'warnings'>;
}

const SAMPLE = 5;

export async function runStage(input: StageInput): Promise<StageResult> {
  const { contract, dataset, key } = input;
  const where = { dataset, key };
  const cols = contract.columns;
  const parsers: Parser[] = cols.map(parserFor);
  const defaults: (Typed | undefined)[] = cols.map((c, i) => {
    if (c.default === undefined || c.default === null) return c.default;
    const v = parsers[i](String(c.default));
    return v === INVALID ? undefined : v;
  });
  const rules = compileRules(contract);
  const errorRules = rules.filter((r) => r.severity === 'error');
  const warnRules = rules.filter((r) => r.severity === 'warn');
  const keyIdx = contract.keys.map((k) => cols.findIndex((c) => c.name === k));
  const dedupe = keyIdx.length ? new FingerprintSet() : undefined;
  const partIdx = contract.partitionBy ? cols.findIndex((c) => c.name === contract.partitionBy) : -1;
  const partIsDate = partIdx >= 0 && cols[partIdx].type === 'date';
  const gold = new PartitionAggregates(contract);

  const counts: StageCounts = { rowsIn: 0, rowsOut: 0, rowsQuarantined: 0, rowsDeduplicated: 0, rowsWarned: 0 };
  const reasons: Record<string, number> = {};
  const warnings: Record<string, number> = {};
  const bump = (m: Record<string, number>, k: string) => (m[k] = (m[k] ?? 0) + 1);

  mkdirSync(input.workDir, { recursive: true });
  let quarantine: WriteStream | undefined;
  const quarantinePath = join(input.workDir, 'rejects.jsonl');
  const reject = (line: number, original: Record<string, unknown>, rule: string, reason: string) => {
    counts.rowsQuarantined++;
    bump(reasons, rule);
    quarantine ??= createWriteStream(quarantinePath);
    quarantine.write(`${JSON.stringify({ _line: line, _rule: rule, _reason: reason, _dataset: dataset, _source_key: key, ...original })}\n`);
  };

  let plan: ColumnPlan | undefined;
  let header: string[] = [];
  let outColumns: OutColumn[] = [];
  let writer: PartitionedParquetWriter | undefined;
  const coerced = new Set<string>();

  const originalOf = (fields: readonly unknown[]) => {
    const o: Record<string, unknown> = {};
    for (let i = 0; i < header.length; i++) o[header[i]] = fields[i] ?? null;
    return o;
  };

  for await (const batch of readRecords(input.source, contract, where)) {
    if (batch.header && !plan) {
      header = batch.header.map((h) => h.trim());
      plan = planColumns(header, contract, where);
      outColumns = [...cols.map((c) => ({ name: c.name, type: c.type, nullable: c.nullable })), ...plan.extra.map((e) => ({ name: e.name, type: 'string' as const, nullable: true }))];
      writer = new PartitionedParquetWriter(
        outColumns,
        (dt) => join(input.workDir, 'silver', `dt=${dt}`, `${input.fileId}.parquet`),
        input.rowGroupSize,
        { dataset, source_key: key, contract_version: String(contract.version) },
      );
    }
    for (const m of batch.malformed) {
      counts.rowsIn++;
      reject(m.line, { _raw: m.raw }, 'parse.record', m.error);
    }
    if (!batch.records.length) continue;
    const { sourceIndex, extra } = plan!;
    const width = header.length;
    const nCols = cols.length;

    for (const rec of batch.records) {
      counts.rowsIn++;
      const fields = rec.fields ?? rec.values;
      if (rec.fields && fields.length !== width) {
        reject(rec.line, originalOf(fields), 'parse.field_count', `expected ${width} fields, found ${fields.length}`);
        continue;
      }
      const row: Typed[] = new Array(nCols + extra.length);
      let bad: string | undefined;
      let badRule = '';
      for (let c = 0; c < nCols; c++) {
        const si = sourceIndex[c];
        let v: Typed | typeof INVALID;
        if (si < 0) v = defaults[c] ?? null;
        else if (rec.fields) {
          const raw = rec.fields[si];
          v = raw === '' ? (defaults[c] ?? null) : parsers[c](raw);
        } else {
          const j = fromJson(rec.values[si], cols[c], parsers[c]);
          v = j.value === null ? (defaults[c] ?? null) : j.value;
          if (j.coerced && j.value !== INVALID) {
            if (contract.evolution.onTypeChange === 'reject') {
              throw new DataError('schema.incompatible', `column ${cols[c].name} changed type: got ${typeof rec.values[si]}, contract says ${cols[c].type}`, { ...where, line: rec.line, column: cols[c].name }, 'Fix the producer, or set evolution.onTypeChange to coerce', { columns: [cols[c].name] });
            }
            coerced.add(cols[c].name);
            bump(warnings, `schema.type_coerced(${cols[c].name})`);
          }
        }
        if (v === INVALID) {
          bad = `${cols[c].name}='${String(si < 0 ? '' : fields[si])}' is not a valid ${cols[c].type}`;
          badRule = `type(${cols[c].name})`;
          break;
        }
        row[c] = v;
      }
      if (!bad) {
        for (const r of errorRules) {
          const why = r.check(row);
          if (why) {
            bad = why;
            badRule = r.id;
            break;
          }
        }
      }
      if (bad) {
        reject(rec.line, originalOf(fields), badRule, bad);
        continue;
      }
      let warned = false;
      for (const r of warnRules) {
        if (r.check(row)) {
          bump(warnings, r.id);
          warned = true;
        }
      }
      if (warned) counts.rowsWarned++;
      if (dedupe && !dedupe.add(keyOf(row, keyIdx))) {
        counts.rowsDeduplicated++;
        continue;
      }
      for (let e = 0; e < extra.length; e++) {
        const raw = fields[extra[e].index];
        row[nCols + e] = raw === undefined || raw === null || raw === '' ? null : typeof raw === 'string' ? raw : JSON.stringify(raw);
      }
      let dt = input.ingestDate;
      if (partIdx >= 0) {
        const pv = row[partIdx];
        if (pv !== null) dt = new Date((pv as number) * (partIsDate ? 86400000 : 1)).toISOString().slice(0, 10);
      }
      writer!.append(dt, row);
      if (gold.enabled) gold.add(dt, row);
      counts.rowsOut++;
    }
  }
  if (quarantine) await new Promise<void>((res, rej) => quarantine!.end((e?: Error | null) => (e ? rej(e) : res())));
  const silver = writer ? writer.finish() : [];

  const { minRows, maxRows, maxRejectRatio } = contract.fileRules;
  const dataRows = counts.rowsIn;
  if (dataRows < minRows || (maxRows !== undefined && dataRows > maxRows)) {
    throw new DataError('quality.row_count', `file has ${dataRows} rows, contract expects ${minRows}..${maxRows ?? '∞'}`, where, 'Check the export that produced the file', { rows: dataRows });
  }
  if (dataRows > 0 && counts.rowsQuarantined / dataRows > maxRejectRatio) {
    const top = Object.entries(reasons).sort((a, b) => b[1] - a[1]).slice(0, SAMPLE);
    throw new DataError(
      'quality.reject_ratio',
      `${counts.rowsQuarantined} of ${dataRows} rows rejected (${((100 * counts.rowsQuarantined) / dataRows).toFixed(1)}% > ${(maxRejectRatio * 100).toFixed(1)}%); top rules: ${top.map(([r, n]) => `${r}=${n}`).join(', ')}`,
      where,
      'Fix the source data or relax fileRules.maxRejectRatio',
      { reasons },
    );
  }
  const p = plan ?? { matchedVersion: null, added: [], missing: [], renamed: {}, warnings: [] };
  return {
    counts,
    reasons,
    warnings,
    silver,
    quarantinePath: counts.rowsQuarantined ? quarantinePath : undefined,
    columns: outColumns,
    partials: gold.partials(),
    plan: { matchedVersion: p.matchedVersion, added: p.added, missing: p.missing, renamed: p.renamed, warnings: [...p.warnings, ...[...coerced].map((c) => `coerced ${c} to its contract type`)] },
  };
}

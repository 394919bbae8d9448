import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { forEachLimit } from '../core/base/concurrency';
import { isDataReason, reasonFromCause } from '../core/base/errors';
import { isoDate, layout } from '../core/lake/layout';
import { emptyCounts, type Manifest } from '../core/lake/manifest';
import { readOutputs, union, writeOutputs } from '../core/lake/outputs';
import { stageEntry, type StageDeps } from '../shared/deps';
import { emitStageMetrics } from '../shared/telemetry';
import { DEFINITION_CHANGED, type GoldOverflows, rebuildGold, withOverflowWarnings } from './rebuild-gold';
import { lazy, type FileState } from './state';

export interface FailedFileMessage {
  dataset: string;
  bucket: string;
  key: string;
  versionId?: string;
  execution?: string;
  status: 'quarantined' | 'failed';
  reason: string;
  message: string;
  quarantineFile?: string;
  manifest: string;
  hint: string;
}

/**
 * Quarantine (the state machine's Catch target): copy the file aside with a
 * machine-readable reason, write a manifest saying so, and return the message
 * the next state puts on the `failed` queue.
 *
 * If this execution's Transform already replaced the key's silver (the run
 * failed in Publish, or Transform failed after writing), the new rows passed
 * every data check: they are the key's accepted version. Quarantine then
 * rebuilds gold of the partitions involved so gold agrees with silver, as
 * Publish would have; a data error never gets that far, so a quarantined
 * re-upload leaves the previous version in silver and gold untouched.
 */
export function makeQuarantine(deps: StageDeps) {
  return async (input: FileState): Promise<FailedFileMessage> => {
    const t0 = Date.now();
    const { dataset, bucket, key } = input;
    deps.logger.appendKeys({ dataset, bucket, key, execution: input.execution });
    const { reason, message, details } = reasonFromCause(input.error?.Error, input.error?.Cause);
    // Counts and the row file of a file that failed after reading its rows (quality.reject_ratio).
    const carried = (details ?? {}) as { counts?: Manifest['counts']; reasons?: Record<string, number>; quarantineRows?: string };
    const status = isDataReason(reason) ? 'quarantined' : 'failed';
    const ingestDate = input.ingestDate ?? isoDate(input.landedAt ?? deps.now());
    const lake = deps.lakeBucket;
    try {
      let quarantineFile: string | undefined = layout.quarantineFile(dataset, ingestDate, key);
      const exists = await deps.store.head(bucket, key, input.versionId);
      if (exists) await deps.store.copy({ bucket, key, versionId: input.versionId, size: exists.size }, { bucket: lake, key: quarantineFile });
      else quarantineFile = undefined;
      const hint =
        status === 'quarantined'
          ? 'Fix the file (or the contract) and upload it again, or run `pipeline replay` after a contract fix.'
          : 'A pipeline fault, not bad data: check the execution history, then `pipeline redrive failed` or `pipeline replay`.';
      const doc = {
        dataset,
        source: { bucket, key, versionId: input.versionId },
        status,
        reason,
        error: input.error?.Error,
        message,
        hint,
        execution: input.execution,
        at: deps.now().toISOString(),
      };
      await deps.store.putText(lake, layout.quarantineReason(dataset, ingestDate, key), JSON.stringify(doc, null, 2));
      const manifest: Manifest = {
        manifestVersion: 1,
        status,
        source: { dataset, bucket, key, versionId: input.versionId, etag: input.etag, size: input.size, landedAt: input.landedAt ?? deps.now().toISOString() },
        execution: input.execution,
        contractVersion: input.contractVersion,
        matchedVersion: input.matchedVersion,
        counts: input.transform?.counts ?? carried.counts ?? emptyCounts(),
        reasons: { [reason]: 1, ...(input.transform?.reasons ?? carried.reasons ?? {}) },
        warnings: input.transform?.warnings ?? {},
        outputs: { silver: [], gold: [], quarantineFile, quarantineRows: input.transform?.quarantineRows ?? carried.quarantineRows },
        failure: { reason, message },
        durationsMs: { ...input.durationsMs, quarantine: Date.now() - t0 },
        startedAt: input.startedAt,
        finishedAt: deps.now().toISOString(),
      };
      const manifestKey = layout.manifest(dataset, key);
      const gold = await catchUpGold(deps, input);
      manifest.warnings = withOverflowWarnings(manifest.warnings, gold.overflows, gold.refused);
      await deps.store.putText(lake, manifestKey, JSON.stringify(manifest, null, 2));
      deps.logger.warn(`file ${status}`, { reason, error: message, quarantineFile });
      emitStageMetrics(deps, dataset, 'quarantine', status === 'quarantined' ? { FilesFailed: 1, FilesQuarantined: 1 } : { FilesFailed: 1 });
      return {
        dataset,
        bucket,
        key,
        versionId: input.versionId,
        execution: input.execution,
        status,
        reason,
        message,
        quarantineFile,
        manifest: manifestKey,
        hint,
      };
    } finally {
      emitStageMetrics(deps, dataset, 'quarantine', { StageDurationMs: Date.now() - t0 });
    }
  };
}

/**
 * A file whose Transform wrote silver but whose Publish did not finish: gold is rebuilt to match
 * silver. Sums that this leaves null are counted in GoldNullSums as Publish counts them (the
 * `<d>-gold-sums-null` alarm watches Publish's series: the metric is about gold, whoever wrote it).
 *
 * A Transform that died while replacing the key's silver files and partials (its outputs record
 * still says `writing`) may have left some partitions with the new version and some with the old,
 * and a partial that disagrees with its silver file: the key's rows are taken out of silver and
 * gold altogether, so the two agree, and the failed-queue message says replay.
 */
async function catchUpGold(deps: StageDeps, input: FileState): Promise<{ overflows: GoldOverflows; refused: GoldOverflows }> {
  const none = { overflows: [], refused: [] };
  const contract = deps.contracts.get(input.dataset);
  if (!contract || !input.execution) return none;
  const { dataset, key } = input;
  const lake = deps.lakeBucket;
  const outputs = await readOutputs(deps.store, lake, dataset, key);
  if (outputs?.execution !== input.execution) return none;
  const workDir = join(deps.workRoot, `quarantine-gold-${randomUUID()}`);
  try {
    let { partitions, stale } = outputs;
    if (outputs.writing) {
      await forEachLimit(partitions, 16, async (dt) => {
        await deps.store.delete(lake, layout.silver(dataset, dt, key));
        await deps.store.delete(lake, layout.goldPartial(dataset, dt, key));
      });
      stale = union(partitions, stale);
      partitions = [];
      await writeOutputs(deps.store, lake, dataset, { key, execution: outputs.execution, partitions, stale });
      deps.logger.warn("the file's Transform stopped while replacing its silver: its rows are out of silver and gold until it is replayed", {
        partitions: stale.slice(0, 20),
      });
    }
    if (!contract.gold.length) {
      if (stale.length) await writeOutputs(deps.store, lake, dataset, { key, execution: outputs.execution, partitions, stale: [] });
      return none;
    }
    const { overflows, refused } = await rebuildGold(deps, contract, dataset, union(partitions, stale), workDir);
    if (refused.length) deps.logger.warn(DEFINITION_CHANGED, { partitions: refused.slice(0, 20) });
    if (stale.length) await writeOutputs(deps.store, lake, dataset, { key, execution: outputs.execution, partitions, stale: [] });
    if (overflows.length) {
      deps.logger.warn('gold sums past their type are null', { overflows: overflows.slice(0, 20) });
      emitStageMetrics(deps, input.dataset, 'publish', { GoldNullSums: overflows.length });
    }
    return { overflows, refused };
  } catch (e) {
    // The failed-queue message says replay, which rewrites the key's silver and rebuilds its gold.
    deps.logger.error('could not bring silver and gold up to date; replay the file', { error: e as Error });
    return none;
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}

export const handler = lazy(stageEntry(makeQuarantine));

import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { DataError, TransientError } from '../core/base/errors';
import { layout, sourceId } from '../core/lake/layout';
import type { Manifest } from '../core/lake/manifest';
import { type KeyOutputs, readOutputs, union, writeOutputs } from '../core/lake/outputs';
import type { Contract } from '../core/contract/contract';
import { forEachLimit } from '../core/base/concurrency';
import { GoldOverflow } from '../core/gold/measures';
import { stageEntry, type StageDeps } from '../shared/deps';
import { maybeInjectFault } from '../shared/faults';
import { emitStageMetrics } from '../shared/telemetry';
import { overflowWith, rebuildGold } from './rebuild-gold';
import { lazy, type FileState } from './state';

/**
 * Publish: rebuild gold for every partition the file touched (and those its
 * earlier version left) from the partitions' per-file partials, with
 * conditional writes so concurrent files cannot lose each other's rows (see
 * rebuild-gold.ts); then write the file's manifest and record the dataset's
 * last successful load for the freshness check. The partition list comes from
 * the key's outputs record in the lake, not the state, which stays small
 * whatever the number of partitions.
 */
export function makePublish(deps: StageDeps) {
  return async (input: FileState): Promise<FileState & { manifest: string }> => {
    const t0 = Date.now();
    const { dataset, key } = input;
    deps.logger.appendKeys({ dataset, bucket: input.bucket, key, execution: input.execution });
    const contract = deps.contracts.get(dataset);
    const t = input.transform;
    if (!contract || !t)
      throw new DataError('pipeline.error', 'publish called without a transform result', { dataset, key }, 'Check the state machine definition');
    const lake = deps.lakeBucket;
    const workDir = join(deps.workRoot, `gold-${sourceId(key)}-${randomUUID()}`);
    try {
      await maybeInjectFault(deps, 'publish', key, input.execution);
      const outputs = await readOutputs(deps.store, lake, dataset, key);
      if (!outputs)
        throw new DataError('pipeline.error', 'no outputs record for a transformed file', { dataset, key }, 'Replay the file: its Transform did not complete');
      const { partitions } = outputs;
      let goldAttempts = 0;
      // A retry of a Publish that began to take this run's rows out again: finish that, then quarantine.
      if (outputs.withdrawn === input.execution) {
        await finishWithdraw(deps, contract, outputs, workDir);
        throw withdrawn(dataset, key, 'the sum was found past its type by an earlier attempt of this Publish');
      }
      if (contract.gold.length) {
        try {
          goldAttempts = (await rebuildGold(deps, contract, dataset, union(partitions, outputs.stale), workDir)).attempts;
        } catch (e) {
          if (!(e instanceof GoldOverflow)) throw e;
          await withdraw(deps, contract, input, e, workDir);
        }
      }
      if (outputs.stale.length) await writeOutputs(deps.store, lake, dataset, { ...outputs, stale: [] });
      const gold = partitions.flatMap((dt) => contract.gold.map((g) => layout.gold(dataset, g.name, dt)));

      const finishedAt = deps.now();
      const durationsMs = { ...input.durationsMs, publish: Date.now() - t0 };
      const manifest: Manifest = {
        manifestVersion: 1,
        status: 'succeeded',
        source: {
          dataset,
          bucket: input.bucket,
          key,
          versionId: input.versionId,
          etag: input.etag,
          size: input.size,
          landedAt: input.landedAt,
          sha256: t.sha256,
        },
        execution: input.execution,
        contractVersion: input.contractVersion,
        matchedVersion: input.matchedVersion,
        schemaChanges: t.schemaChanges,
        counts: t.counts,
        reasons: t.reasons,
        warnings: t.warnings,
        outputs: {
          bronze: t.bronze,
          silver: partitions.map((dt) => layout.silver(dataset, dt, key)),
          gold,
          quarantineRows: t.quarantineRows,
          duplicates: t.duplicates,
        },
        durationsMs,
        startedAt: input.startedAt,
        finishedAt: finishedAt.toISOString(),
      };
      const manifestKey = layout.manifest(dataset, key);
      await deps.store.putText(lake, manifestKey, JSON.stringify(manifest, null, 2));
      await deps.store.putText(lake, layout.lastSuccess(dataset), JSON.stringify({ dataset, at: finishedAt.toISOString(), key, manifest: manifestKey }));
      deps.logger.info('file published', { manifest: manifestKey, partitions: partitions.length, goldAttempts, counts: t.counts });
      emitStageMetrics(deps, dataset, 'publish', { FilesProcessed: 1 });
      return { ...input, durationsMs, manifest: manifestKey };
    } finally {
      emitStageMetrics(deps, dataset, 'publish', { StageDurationMs: Date.now() - t0 });
      await rm(workDir, { recursive: true, force: true });
    }
  };
}

const withdrawn = (dataset: string, key: string, detail: string) =>
  new DataError(
    'gold.overflow',
    `${detail}: gold overflows with this file's rows and fits without them`,
    { dataset, key },
    "The file's rows were taken out of silver and gold again (any earlier version of the key too: this one had replaced it). Check the source values, or declare the column decimal(38,0) so its sums have 38 digits; then upload the file again",
  );

/**
 * A sum of a partition's gold is past its type once this run's rows are in
 * it. If the rows are what tips it over (it fits without them), they are
 * taken out again and the file is quarantined (gold.overflow), so the
 * partition keeps taking files; if it overflows without them too, another
 * file is to blame and this Publish is retried (TransientError) while that
 * one is withdrawn. The outputs record is marked first and still lists the
 * partitions while their files are deleted, so a retry after a fault at any
 * step finishes the job (finishWithdraw) and never reports success. Only when
 * this run's Transform is still the last to have written the key.
 */
async function withdraw(deps: StageDeps, contract: Contract, input: FileState, e: GoldOverflow, workDir: string): Promise<never> {
  const { dataset, key } = input;
  const lake = deps.lakeBucket;
  // Read again just before acting: another run of the key may have replaced its rows meanwhile.
  const current = await readOutputs(deps.store, lake, dataset, key);
  if (!current || current.execution !== input.execution)
    throw new DataError('gold.overflow', `${e.detail}; a later run of this key has replaced its rows, so nothing was taken out`, { dataset, key }, e.hint);
  let tips = false;
  for (const dt of union(current.partitions, current.stale)) {
    const o = await overflowWith(deps, contract, dataset, dt, key);
    if (o.without)
      throw new TransientError(
        `gold of dataset ${dataset} dt=${dt} overflows without this file's rows too (${e.detail}): another file is to blame; Publish is retried while that one is quarantined`,
      );
    tips ||= o.with;
  }
  // The partials changed since the rebuild (another file taken out meanwhile): rebuild again.
  if (!tips) throw new TransientError(`gold of dataset ${dataset} no longer overflows (${e.detail}); Publish is retried`);
  await writeOutputs(deps.store, lake, dataset, { ...current, withdrawn: input.execution });
  await finishWithdraw(deps, contract, { ...current, withdrawn: input.execution }, workDir);
  throw withdrawn(dataset, key, e.detail);
}

/** Deletes the run's silver files and partials (idempotent), rebuilds gold there, then clears the record's partitions. */
async function finishWithdraw(deps: StageDeps, contract: Contract, outputs: KeyOutputs, workDir: string): Promise<void> {
  const { key } = outputs;
  const dataset = contract.dataset;
  const lake = deps.lakeBucket;
  await forEachLimit(outputs.partitions, 16, async (dt) => {
    await deps.store.delete(lake, layout.silver(dataset, dt, key));
    await deps.store.delete(lake, layout.goldPartial(dataset, dt, key));
  });
  const touched = union(outputs.partitions, outputs.stale);
  try {
    if (contract.gold.length) await rebuildGold(deps, contract, dataset, touched, workDir);
  } catch (err) {
    // A file that came in meanwhile overflows it: rebuilt by the retry (the record still says what to do).
    if (err instanceof GoldOverflow) throw new TransientError(`gold of dataset ${dataset} still overflows while this file's rows are taken out: ${err.detail}`);
    throw err;
  }
  await writeOutputs(deps.store, lake, dataset, { ...outputs, partitions: [], stale: [] });
}

export const handler = lazy(stageEntry(makePublish));

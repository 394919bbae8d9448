import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { DataError } from '../core/base/errors';
import { layout, sourceId } from '../core/lake/layout';
import type { Manifest } from '../core/lake/manifest';
import { readOutputs, union, writeOutputs } from '../core/lake/outputs';
import { stageEntry, type StageDeps } from '../shared/deps';
import { maybeInjectFault } from '../shared/faults';
import { emitStageMetrics } from '../shared/telemetry';
import { explainWorkSpace } from '../shared/work-space';
import { DEFINITION_CHANGED, rebuildGold, withOverflowWarnings } from './rebuild-gold';
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
      let goldNullSums = 0;
      let warnings = t.warnings;
      if (contract.gold.length) {
        const r = await rebuildGold(deps, contract, dataset, union(partitions, outputs.stale), workDir);
        goldAttempts = r.attempts;
        goldNullSums = r.overflows.length;
        warnings = withOverflowWarnings(warnings, r.overflows, r.refused);
        if (r.overflows.length) deps.logger.warn('gold sums past their type are null', { overflows: r.overflows.slice(0, 20) });
        if (r.refused.length) deps.logger.warn(DEFINITION_CHANGED, { partitions: r.refused.slice(0, 20) });
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
        warnings,
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
      // GoldNullSums is emitted as 0 too, so its alarm watches a metric that exists.
      emitStageMetrics(deps, dataset, 'publish', { FilesProcessed: 1, GoldNullSums: goldNullSums });
      return { ...input, durationsMs, manifest: manifestKey };
    } catch (e) {
      throw explainWorkSpace(e, { dataset, key }, deps.workRoot);
    } finally {
      emitStageMetrics(deps, dataset, 'publish', { StageDurationMs: Date.now() - t0 });
      await rm(workDir, { recursive: true, force: true });
    }
  };
}

export const handler = lazy(stageEntry(makePublish));

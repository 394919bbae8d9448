import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { DataError } from '../core/errors';
import { Aggregator, type PartialDoc } from '../core/gold';
import { goldView } from '../core/gold-view';
import { layout, sourceId } from '../core/layout';
import type { Manifest } from '../core/manifest';
import { writeParquetFile } from '../core/parquet';
import { stageEntry, type StageDeps } from '../shared/deps';
import { maybeInjectFault } from '../shared/faults';
import { emitStageMetrics } from '../shared/telemetry';
import { lazy, type FileState } from './state';

/**
 * Publish: rebuild gold for every partition the file touched by merging the
 * partition's per-file partials (small JSON, never silver itself), write the
 * file's manifest, and record the dataset's last successful load for the
 * freshness check.
 */
export function makePublish(deps: StageDeps) {
  return async (input: FileState): Promise<FileState & { manifest: string }> => {
    const t0 = Date.now();
    const { dataset, key } = input;
    deps.logger.appendKeys({ dataset, bucket: input.bucket, key, execution: input.execution });
    const contract = deps.contracts.get(dataset);
    const t = input.transform;
    if (!contract || !t) throw new DataError('pipeline.error', 'publish called without a transform result', { dataset, key }, 'Check the state machine definition');
    const lake = deps.lakeBucket;
    const workDir = join(deps.workRoot, `gold-${sourceId(key)}-${process.pid}-${t0}`);
    try {
      await maybeInjectFault(deps, 'publish', key, input.execution);
      const gold: string[] = [];
      for (const dt of contract.gold.length ? [...t.partitions, ...(t.stalePartitions ?? [])] : []) {
        const keys = (await deps.store.list(lake, layout.goldPartialPrefix(dataset, dt))).map((o) => o.key).filter((k) => k.endsWith('.json'));
        // Date-part groups and filtered measures are derived columns of the gold view (gold-view.ts).
        const view = goldView(contract).contract;
        const aggs = view.gold.map((g) => new Aggregator(g, view));
        for (let i = 0; i < keys.length; i += 16) {
          const docs = await Promise.all(keys.slice(i, i + 16).map((k) => deps.store.readText(lake, k)));
          for (const text of docs) {
            if (!text) continue;
            for (const doc of JSON.parse(text) as PartialDoc[]) aggs.find((a) => a.agg.name === doc.aggregate)?.merge(doc);
          }
        }
        for (const [i, g] of contract.gold.entries()) {
          const target = layout.gold(dataset, g.name, dt);
          if (!keys.length) {
            // Nothing left in this partition (its only file moved elsewhere).
            await deps.store.delete(lake, target);
            continue;
          }
          await mkdir(workDir, { recursive: true });
          const local = join(workDir, `gold-${g.name}-${dt}.parquet`);
          writeParquetFile(local, aggs[i].columns, aggs[i].rows(), { dataset, aggregate: g.name, dt, source_files: String(keys.length) });
          await deps.store.putFile(lake, target, local, 'application/vnd.apache.parquet');
          if (t.partitions.includes(dt)) gold.push(target);
        }
      }

      const finishedAt = deps.now();
      const durationsMs = { ...input.durationsMs, publish: Date.now() - t0 };
      const manifest: Manifest = {
        manifestVersion: 1,
        status: 'succeeded',
        source: { dataset, bucket: input.bucket, key, versionId: input.versionId, etag: input.etag, size: input.size, landedAt: input.landedAt, sha256: t.sha256 },
        execution: input.execution,
        contractVersion: input.contractVersion,
        matchedVersion: input.matchedVersion,
        schemaChanges: t.schemaChanges,
        counts: t.counts,
        reasons: t.reasons,
        warnings: t.warnings,
        outputs: { bronze: t.bronze, silver: t.silver, gold, quarantineRows: t.quarantineRows, duplicates: t.duplicates },
        durationsMs,
        startedAt: input.startedAt,
        finishedAt: finishedAt.toISOString(),
      };
      const manifestKey = layout.manifest(dataset, key);
      await deps.store.putText(lake, manifestKey, JSON.stringify(manifest, null, 2));
      await deps.store.putText(lake, layout.lastSuccess(dataset), JSON.stringify({ dataset, at: finishedAt.toISOString(), key, manifest: manifestKey }));
      deps.logger.info('file published', { manifest: manifestKey, gold, counts: t.counts });
      emitStageMetrics(deps, dataset, 'publish', { FilesProcessed: 1 });
      return { ...input, durationsMs, manifest: manifestKey };
    } finally {
      emitStageMetrics(deps, dataset, 'publish', { StageDurationMs: Date.now() - t0 });
      await rm(workDir, { recursive: true, force: true });
    }
  };
}

export const handler = lazy(stageEntry(makePublish));

import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { DataError } from '../core/errors';
import { Aggregator, scanParquet } from '../core/gold';
import { layout, sourceId } from '../core/layout';
import type { Manifest } from '../core/manifest';
import { writeParquetFile } from '../core/parquet';
import { lambdaDeps, type StageDeps } from '../shared/deps';
import { maybeInjectFault } from '../shared/faults';
import { emitStageMetrics } from '../shared/telemetry';
import { lazy, type FileState } from './state';

/**
 * Publish: recompute gold for every partition the file touched (from all of
 * that partition's silver files), write the file's manifest, and record the
 * dataset's last successful load for the freshness check.
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
      for (const dt of t.partitions) {
        if (!contract.gold.length) break;
        const files = (await deps.store.list(lake, layout.silverPartition(dataset, dt))).filter((f) => f.key.endsWith('.parquet'));
        const aggs = contract.gold.map((g) => new Aggregator(g, contract));
        const needed = [...new Set(contract.gold.flatMap((g) => [...g.groupBy, ...g.measures.flatMap((m) => (m.column ? [m.column] : []))]))];
        await mkdir(workDir, { recursive: true });
        for (const [i, f] of files.entries()) {
          const local = join(workDir, `${i}.parquet`);
          await deps.store.getFile(lake, f.key, local);
          await scanParquet(local, needed.length ? needed : [contract.columns[0].name], (rows) => {
            for (const row of rows) for (const a of aggs) a.add(row);
          });
          await rm(local, { force: true });
        }
        for (const [i, g] of contract.gold.entries()) {
          const local = join(workDir, `gold-${g.name}.parquet`);
          writeParquetFile(local, aggs[i].columns, aggs[i].rows(), { dataset, aggregate: g.name, dt, silver_files: String(files.length) });
          const target = layout.gold(dataset, g.name, dt);
          await deps.store.putFile(lake, target, local, 'application/vnd.apache.parquet');
          gold.push(target);
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
        outputs: { bronze: t.bronze, silver: t.silver, gold, quarantineRows: t.quarantineRows },
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

export const handler = lazy(async () => makePublish(await lambdaDeps()));

import { createHash } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { isoDate, layout, sourceId } from '../core/layout';
import type { Manifest } from '../core/manifest';
import { runStage } from '../core/stage';
import { stageEntry, requireContract, type StageDeps } from '../shared/deps';
import { maybeInjectFault } from '../shared/faults';
import { emitStageMetrics } from '../shared/telemetry';
import { lazy, type FileState } from './state';

/** Opens the object on first read (the stage may run a dedupe pre-pass first) and hashes what it streams. */
async function* hashing(open: () => Promise<AsyncIterable<Uint8Array>>, hash: ReturnType<typeof createHash>): AsyncGenerator<Uint8Array> {
  for await (const chunk of await open()) {
    hash.update(chunk);
    yield chunk;
  }
}

/**
 * Transform: bronze (server-side byte-identical copy + metadata sidecar),
 * silver (typed, deduplicated Parquet per dt partition) and row-level
 * quarantine, in one streaming pass over the landing object.
 */
export function makeTransform(deps: StageDeps) {
  return async (input: FileState): Promise<FileState> => {
    const t0 = Date.now();
    const { dataset, bucket, key } = input;
    deps.logger.appendKeys({ dataset, bucket, key, execution: input.execution });
    const contract = requireContract(deps, dataset, key);
    const ingestDate = input.ingestDate ?? isoDate(input.landedAt);
    const lake = deps.lakeBucket;
    const workDir = join(deps.workRoot, `stage-${sourceId(key)}-${process.pid}-${t0}`);
    try {
      await maybeInjectFault(deps, 'transform', key, input.execution);
      const hash = createHash('sha256');
      const open = () => deps.store.read(bucket, key, input.versionId);
      const result = await runStage({
        contract,
        source: hashing(open, hash),
        sizeBytes: input.size,
        reopen: open,
        dataset,
        key,
        ingestDate,
        workDir,
        fileId: sourceId(key),
      });
      const sha256 = hash.digest('hex');

      const bronze = layout.bronze(dataset, ingestDate, key);
      await deps.store.copy({ bucket, key, versionId: input.versionId }, { bucket: lake, key: bronze });
      await deps.store.putText(
        lake,
        layout.bronzeMetadata(dataset, ingestDate, key),
        JSON.stringify({ sha256, size: input.size, source: { bucket, key, versionId: input.versionId, etag: input.etag }, landedAt: input.landedAt, ingestedAt: deps.now().toISOString(), execution: input.execution, contractVersion: contract.version }, null, 2),
      );

      const silver: string[] = [];
      for (const f of result.silver) {
        const target = layout.silver(dataset, f.partition, key);
        await deps.store.putFile(lake, target, f.path, 'application/vnd.apache.parquet');
        silver.push(target);
      }
      for (const [dt, docs] of result.partials) {
        await deps.store.putText(lake, layout.goldPartial(dataset, dt, key), JSON.stringify(docs));
      }
      // A re-upload of the same key replaces its earlier rows: drop the silver
      // files and gold partials it wrote into partitions it no longer touches,
      // and have Publish recompute those partitions' gold.
      const partitions = result.silver.map((s) => s.partition);
      const stalePartitions: string[] = [];
      const previous = await deps.store.readText(lake, layout.manifest(dataset, key));
      if (previous) {
        for (const k of ((JSON.parse(previous) as Manifest).outputs?.silver ?? []).filter((k) => !silver.includes(k))) {
          await deps.store.delete(lake, k);
          const dt = /\/dt=([^/]+)\//.exec(k)?.[1];
          if (dt && !partitions.includes(dt)) {
            stalePartitions.push(dt);
            await deps.store.delete(lake, layout.goldPartial(dataset, dt, key));
          }
        }
      }
      let quarantineRows: string | undefined;
      const rowsKey = layout.quarantineRows(dataset, ingestDate, key);
      if (result.quarantinePath) {
        quarantineRows = rowsKey;
        await deps.store.putFile(lake, rowsKey, result.quarantinePath, 'application/x-ndjson');
      } else {
        await deps.store.delete(lake, rowsKey);
      }

      let duplicates: string | undefined;
      const duplicatesKey = layout.duplicates(dataset, ingestDate, key);
      if (result.duplicatesPath) {
        duplicates = duplicatesKey;
        await deps.store.putFile(lake, duplicatesKey, result.duplicatesPath, 'application/x-ndjson');
      } else if (contract.keepDuplicates) {
        await deps.store.delete(lake, duplicatesKey);
      }

      const { counts } = result;
      deps.logger.info('file transformed', { counts, reasons: result.reasons, partitions: result.silver.map((s) => s.partition) });
      emitStageMetrics(deps, dataset, 'transform', {
        RowsIn: counts.rowsIn,
        RowsOut: counts.rowsOut,
        RowsQuarantined: counts.rowsQuarantined,
        RowsDeduplicated: counts.rowsDeduplicated,
      });
      return {
        ...input,
        ingestDate,
        durationsMs: { ...input.durationsMs, transform: Date.now() - t0 },
        transform: {
          counts,
          reasons: result.reasons,
          warnings: result.warnings,
          schemaChanges: { added: result.plan.added, missing: result.plan.missing, renamed: result.plan.renamed, warnings: result.plan.warnings },
          sha256,
          bronze,
          silver,
          partitions,
          stalePartitions,
          quarantineRows,
          duplicates,
        },
      };
    } finally {
      emitStageMetrics(deps, dataset, 'transform', { StageDurationMs: Date.now() - t0 });
      await rm(workDir, { recursive: true, force: true });
    }
  };
}

export const handler = lazy(stageEntry(makeTransform));

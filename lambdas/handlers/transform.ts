import { createHash, randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { DataError, withDetails } from '../core/base/errors';
import { isoDate, layout, sourceId } from '../core/lake/layout';
import type { Manifest } from '../core/lake/manifest';
import { forEachLimit } from '../core/base/concurrency';
import { readOutputs, union, writeOutputs } from '../core/lake/outputs';
import { runStage } from '../core/engine/stage';
import { stageEntry, requireContract, type StageDeps } from '../shared/deps';
import { maybeInjectFault } from '../shared/faults';
import { emitStageMetrics } from '../shared/telemetry';
import { explainWorkSpace } from '../shared/work-space';
import { lazy, type FileState } from './state';

/** Uploads in flight at once: a file with thousands of partitions is thousands of objects. */
const UPLOADS = 16;

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
    const workDir = join(deps.workRoot, `stage-${sourceId(key)}-${randomUUID()}`);
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
        // Audit columns: the object's version and landing time (the same on every rerun of it).
        sourceVersion: input.versionId,
        ingestedAt: Number.isFinite(Date.parse(input.landedAt)) ? Date.parse(input.landedAt) : undefined,
      }).catch((e) => rejectedFileRows(deps, e, { dataset, key, ingestDate }));
      const sha256 = hash.digest('hex');

      const bronze = layout.bronze(dataset, ingestDate, key);
      await deps.store.copy({ bucket, key, versionId: input.versionId, size: input.size }, { bucket: lake, key: bronze });
      await deps.store.putText(
        lake,
        layout.bronzeMetadata(dataset, ingestDate, key),
        JSON.stringify(
          {
            sha256,
            size: input.size,
            source: { bucket, key, versionId: input.versionId, etag: input.etag },
            landedAt: input.landedAt,
            ingestedAt: deps.now().toISOString(),
            execution: input.execution,
            contractVersion: contract.version,
          },
          null,
          2,
        ),
      );

      // A re-upload of the same key replaces its earlier rows. Where they are
      // comes from the key's outputs record (not the last manifest, which a
      // quarantined or failed run leaves without outputs). The record is
      // widened before silver is touched, so a run that dies half way still
      // knows every partition that may hold this key's files.
      const partitions = result.silver.map((s) => s.partition);
      const previous = (await readOutputs(deps.store, lake, dataset, key)) ?? { key, partitions: [], stale: [] };
      await writeOutputs(deps.store, lake, dataset, {
        key,
        execution: input.execution,
        partitions: union(previous.partitions, partitions),
        stale: previous.stale,
        writing: true,
      });
      await forEachLimit(result.silver, UPLOADS, (f) =>
        deps.store.putFile(lake, layout.silver(dataset, f.partition, key), f.path, 'application/vnd.apache.parquet'),
      );
      await forEachLimit([...result.partials], UPLOADS, ([dt, docs]) => deps.store.putText(lake, layout.goldPartial(dataset, dt, key), JSON.stringify(docs)));
      const left = previous.partitions.filter((dt) => !partitions.includes(dt));
      await forEachLimit(left, UPLOADS, async (dt) => {
        await deps.store.delete(lake, layout.silver(dataset, dt, key));
        await deps.store.delete(lake, layout.goldPartial(dataset, dt, key));
      });
      // Publish (or Quarantine, if this run fails from here on) rebuilds gold of the partitions left.
      await writeOutputs(deps.store, lake, dataset, {
        key,
        execution: input.execution,
        partitions,
        stale: union(previous.stale, left).filter((dt) => !partitions.includes(dt)),
      });
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
      deps.logger.info('file transformed', { counts, reasons: result.reasons, partitions: partitions.length });
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
          partitions: partitions.length,
          quarantineRows,
          duplicates,
        },
      };
    } catch (e) {
      throw explainWorkSpace(e, { dataset, key }, deps.workRoot);
    } finally {
      emitStageMetrics(deps, dataset, 'transform', { StageDurationMs: Date.now() - t0 });
      await rm(workDir, { recursive: true, force: true });
    }
  };
}

/** A file quarantined for its share of bad rows: keep its row file and counts for Quarantine's manifest. */
async function rejectedFileRows(deps: StageDeps, e: unknown, where: { dataset: string; key: string; ingestDate: string }): Promise<never> {
  const d =
    e instanceof DataError ? (e.details as { counts?: Manifest['counts']; reasons?: Record<string, number>; quarantinePath?: string } | undefined) : undefined;
  if (!d?.counts || !(e instanceof DataError)) throw e;
  const rowsKey = layout.quarantineRows(where.dataset, where.ingestDate, where.key);
  const kept = !!d.quarantinePath && d.counts.rowsQuarantined > 0;
  if (kept) await deps.store.putFile(deps.lakeBucket, rowsKey, d.quarantinePath!, 'application/x-ndjson');
  // No rows kept this time: an earlier run's row file for the key must not look like this run's.
  else await deps.store.delete(deps.lakeBucket, rowsKey);
  const top = Object.fromEntries(
    Object.entries(d.reasons ?? {})
      .sort((a, b) => b[1] - a[1])
      .slice(0, 20),
  );
  emitStageMetrics(deps, where.dataset, 'transform', {
    RowsIn: d.counts.rowsIn,
    RowsOut: 0,
    RowsQuarantined: d.counts.rowsQuarantined,
    RowsDeduplicated: d.counts.rowsDeduplicated,
  });
  throw withDetails(e, { counts: d.counts, reasons: top, quarantineRows: kept ? rowsKey : undefined });
}

export const handler = lazy(stageEntry(makeTransform));

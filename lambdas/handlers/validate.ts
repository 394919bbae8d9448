import { DataError } from '../core/base/errors';
import { planColumns } from '../core/contract/evolution';
import { limitError, limitsOf } from '../core/contract/limits';
import { isoDate, urlDecodedKey } from '../core/lake/layout';
import { readRecords } from '../core/read/source';
import { stageEntry, requireContract, type StageDeps } from '../shared/deps';
import { maybeInjectFault } from '../shared/faults';
import { emitStageMetrics } from '../shared/telemetry';
import { lazy, type FileState } from './state';

/**
 * Validate: the object exists, its dataset has a contract, and its header (or
 * first record) fits the contract. Reads only the head of the file; the full
 * row-level checks happen while transforming, in one pass.
 */
export function makeValidate(deps: StageDeps) {
  return async (input: FileState): Promise<FileState> => {
    const t0 = Date.now();
    const { dataset, bucket, key } = input;
    const where = { dataset, key };
    deps.logger.appendKeys({ dataset, bucket, key, execution: input.execution });
    try {
      await maybeInjectFault(deps, 'validate', key, input.execution);
      const contract = requireContract(deps, dataset, key);
      let head = await deps.store.head(bucket, key, input.versionId);
      let realKey = key;
      if (!head && urlDecodedKey(key) !== key) {
        realKey = urlDecodedKey(key);
        head = await deps.store.head(bucket, realKey, input.versionId);
      }
      if (!head) throw new DataError('file.empty', 'object no longer exists', where, 'It was deleted before processing; re-upload it if it is still wanted');
      if (head.size === 0) throw new DataError('file.empty', 'file is empty', where, 'Check the producer; upload a file with a header and rows');
      // Refused at the door when even its stored bytes are past the limit (Transform checks the decompressed bytes).
      const { maxDecompressedBytes } = limitsOf(contract.limits);
      if (head.size > maxDecompressedBytes)
        throw limitError('maxDecompressedBytes', `file is ${head.size} bytes, more than ${maxDecompressedBytes}`, maxDecompressedBytes, where);

      let plan: ReturnType<typeof planColumns> | undefined;
      const body = await deps.store.read(bucket, realKey, input.versionId);
      for await (const batch of readRecords(body, contract, where)) {
        if (batch.header) {
          plan = planColumns(batch.header, contract, where);
          break;
        }
      }
      if (!plan) throw new DataError('file.empty', 'file has no records', where, 'Upload a file with at least a header');
      const out: FileState = {
        ...input,
        key: realKey,
        size: head.size,
        landedAt: input.landedAt ?? head.lastModified.toISOString(),
        ingestDate: isoDate(input.landedAt ?? head.lastModified),
        startedAt: input.startedAt ?? new Date(t0).toISOString(),
        contractVersion: contract.version,
        matchedVersion: plan.matchedVersion,
        durationsMs: { ...input.durationsMs, validate: Date.now() - t0 },
      };
      deps.logger.info('file validated', { contractVersion: contract.version, matchedVersion: plan.matchedVersion, schemaWarnings: plan.warnings });
      return out;
    } finally {
      emitStageMetrics(deps, dataset, 'validate', { StageDurationMs: Date.now() - t0 });
    }
  };
}

export const handler = lazy(stageEntry(makeValidate));

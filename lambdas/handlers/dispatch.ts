import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { datasetOfKey, executionName } from '../core/layout';
import { createTelemetry, emitStageMetrics, type Telemetry } from '../shared/telemetry';
import { lazy, type FileState } from './state';

/** What the dispatcher needs to start a run; ExecutionAlreadyExists must come back as 'duplicate'. */
export interface ExecutionStarter {
  start(name: string, input: FileState): Promise<'started' | 'duplicate'>;
}

interface S3ObjectCreated {
  'detail-type'?: string;
  source?: string;
  time?: string;
  detail?: { bucket?: { name?: string }; object?: { key?: string; size?: number; etag?: string; 'version-id'?: string; sequencer?: string } };
}

export interface DispatchDeps extends Telemetry {
  starter: ExecutionStarter;
  datasets: Set<string>;
  suffixes: Record<string, string[]>;
}

/**
 * Dispatcher: one Step Functions execution per landed object version, named
 * from bucket/key/version so a redelivered event is a no-op. Failures are
 * reported per message (ReportBatchItemFailures) so one bad start does not
 * redeliver the whole batch.
 */
export function makeDispatch(deps: DispatchDeps) {
  const one = async (record: SQSEvent['Records'][number]): Promise<boolean> => {
    let dataset = 'unknown';
    try {
      const msg = JSON.parse(record.body) as S3ObjectCreated;
      const obj = msg.detail?.object;
      const bucket = msg.detail?.bucket?.name;
      if (msg['detail-type'] !== 'Object Created' || !obj?.key || !bucket) {
        deps.logger.warn('ignored: not an S3 Object Created event', { messageId: record.messageId, detailType: msg['detail-type'] });
        emitStageMetrics(deps, dataset, 'dispatch', { FilesIgnored: 1 });
        return true;
      }
      const key = obj.key;
      dataset = datasetOfKey(key) ?? 'unknown';
      const suffixes = deps.suffixes[dataset] ?? [];
      if (!deps.datasets.has(dataset) || (suffixes.length && !suffixes.some((s) => key.endsWith(s)))) {
        deps.logger.warn('ignored: key matches no configured dataset/suffix', { key, dataset, messageId: record.messageId });
        emitStageMetrics(deps, dataset, 'dispatch', { FilesIgnored: 1 });
        return true;
      }
      const version = obj['version-id'] ?? obj.etag ?? obj.sequencer ?? 'unversioned';
      const name = executionName(dataset, bucket, key, version);
      const input: FileState = { dataset, bucket, key, versionId: obj['version-id'], etag: obj.etag, size: obj.size, landedAt: msg.time ?? new Date().toISOString(), execution: name };
      const outcome = await deps.starter.start(name, input);
      deps.logger.info(outcome === 'started' ? 'execution started' : 'duplicate event: execution already exists', { key, dataset, execution: name });
      emitStageMetrics(deps, dataset, 'dispatch', outcome === 'started' ? { ExecutionsStarted: 1 } : { DuplicateEvents: 1 });
      return true;
    } catch (e) {
      deps.logger.error('could not start execution; message will be retried', { messageId: record.messageId, dataset, error: e as Error });
      return false;
    }
  };
  return async (event: SQSEvent): Promise<SQSBatchResponse> => {
    // Starts are independent: issue them together so a batch costs one round trip, not ten.
    const ok = await Promise.all(event.Records.map(one));
    return { batchItemFailures: event.Records.filter((_, i) => !ok[i]).map((r) => ({ itemIdentifier: r.messageId })) };
  };
}

export const handler = lazy(async () => {
  const { SFNClient, StartExecutionCommand, ExecutionAlreadyExists } = await import('@aws-sdk/client-sfn');
  const sfn = new SFNClient({});
  const stateMachineArn = process.env.STATE_MACHINE_ARN;
  if (!stateMachineArn) throw new Error('STATE_MACHINE_ARN is not set; redeploy the stack');
  const config = JSON.parse(process.env.PIPELINE_DATASETS ?? '{}') as Record<string, string[]>;
  const starter: ExecutionStarter = {
    async start(name, input) {
      try {
        await sfn.send(new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(input) }));
        return 'started';
      } catch (e) {
        if (e instanceof ExecutionAlreadyExists || (e as Error).name === 'ExecutionAlreadyExists') return 'duplicate';
        throw e;
      }
    },
  };
  return makeDispatch({ ...createTelemetry(), starter, datasets: new Set(Object.keys(config)), suffixes: config });
});

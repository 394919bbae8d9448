import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { parse } from '@aws-lambda-powertools/parser';
import { S3EventNotificationEventBridgeSchema } from '@aws-lambda-powertools/parser/schemas/s3';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { z } from 'zod';
import { datasetOfKey, executionName } from '../core/lake/layout';
import { createTelemetry, emitStageMetrics, type Telemetry } from '../shared/telemetry';
import { lazy, type FileState } from './state';

/** What the dispatcher needs to start a run; ExecutionAlreadyExists must come back as 'duplicate'. */
export interface ExecutionStarter {
  start(name: string, input: FileState): Promise<'started' | 'duplicate'>;
}

/**
 * Powertools' schema of the event S3 sends through EventBridge, except that the
 * producer's address may be IPv6 (the stock schema takes IPv4 only, and a file put
 * over IPv6 must not be turned away).
 */
const S3ObjectEvent = S3EventNotificationEventBridgeSchema.extend({
  detail: S3EventNotificationEventBridgeSchema.shape.detail.extend({ 'source-ip-address': z.string().optional() }),
});

export interface DispatchDeps extends Telemetry {
  starter: ExecutionStarter;
  datasets: Set<string>;
  suffixes: Record<string, string[]>;
}

/** A message that is not an S3 event at all: counted and logged, never retried. */
function ignore(deps: DispatchDeps, dataset: string, why: string, details: Record<string, unknown>): void {
  deps.logger.warn(`ignored: ${why}`, details);
  emitStageMetrics(deps, dataset, 'dispatch', { FilesIgnored: 1 });
}

/**
 * Dispatcher: one Step Functions execution per landed object version, named
 * from bucket/key/version so a redelivered event is a no-op. Records go through
 * Powertools' batch processor (in parallel, so a batch costs one round trip):
 * a record that throws is reported alone (ReportBatchItemFailures) and comes
 * back, then lands in the ingest DLQ, which is alarmed.
 */
export function makeDispatch(deps: DispatchDeps) {
  const one = async (record: SQSRecord): Promise<void> => {
    const body: unknown = JSON.parse(record.body); // not JSON: thrown, so redelivered, then DLQ
    const parsed = parse(body, undefined, S3ObjectEvent, true);
    if (!parsed.success) {
      const detailType = (body as { 'detail-type'?: unknown } | null)?.['detail-type'];
      // An Object Created event we cannot read would be a file silently lost: fail it instead.
      if (detailType === 'Object Created') throw new Error(`S3 Object Created event does not match its schema: ${parsed.error.message.slice(0, 500)}`);
      return ignore(deps, 'unknown', 'not an S3 event', { messageId: record.messageId, detailType: String(detailType).slice(0, 100) });
    }
    const msg = parsed.data;
    if (msg['detail-type'] !== 'Object Created')
      return ignore(deps, 'unknown', 'not an S3 Object Created event', { messageId: record.messageId, detailType: msg['detail-type'] });
    const { bucket, object: obj } = msg.detail;
    const key = obj.key;
    const dataset = datasetOfKey(key) ?? 'unknown';
    const suffixes = deps.suffixes[dataset] ?? [];
    if (!deps.datasets.has(dataset) || (suffixes.length && !suffixes.some((s) => key.endsWith(s)))) {
      return ignore(deps, dataset, 'key matches no configured dataset/suffix', { key, dataset, messageId: record.messageId });
    }
    const version = obj['version-id'] ?? obj.etag ?? obj.sequencer ?? 'unversioned';
    const name = executionName(dataset, bucket.name, key, version);
    const input: FileState = {
      dataset,
      bucket: bucket.name,
      key,
      versionId: obj['version-id'],
      etag: obj.etag,
      size: obj.size,
      landedAt: msg.time,
      execution: name,
    };
    const outcome = await deps.starter.start(name, input);
    deps.logger.info(outcome === 'started' ? 'execution started' : 'duplicate event: execution already exists', { key, dataset, execution: name });
    emitStageMetrics(deps, dataset, 'dispatch', outcome === 'started' ? { ExecutionsStarted: 1 } : { DuplicateEvents: 1 });
  };
  const logged = async (record: SQSRecord): Promise<void> => {
    try {
      await one(record);
    } catch (e) {
      deps.logger.error('could not start an execution for this message; it will be retried', { messageId: record.messageId, error: e as Error });
      throw e;
    }
  };
  const processor = new BatchProcessor(EventType.SQS);
  return async (event: SQSEvent, context?: Context): Promise<SQSBatchResponse> =>
    // throwOnFullBatchFailure off: a batch whose every record failed is still a per-record report.
    processPartialResponse(event, logged, processor, { context, throwOnFullBatchFailure: false, processInParallel: true });
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
  const telemetry = createTelemetry();
  return { handle: makeDispatch({ ...telemetry, starter, datasets: new Set(Object.keys(config)), suffixes: config }), logger: telemetry.logger };
});

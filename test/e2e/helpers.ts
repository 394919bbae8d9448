import { CloudFormationClient, DescribeStackResourcesCommand } from '@aws-sdk/client-cloudformation';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DescribeExecutionCommand, GetExecutionHistoryCommand, ListExecutionsCommand, SFNClient, type ExecutionListItem } from '@aws-sdk/client-sfn';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { inject } from 'vitest';
import type { Manifest } from '../../lambdas/core/lake/manifest';
import { layout } from '../../lambdas/core/lake/layout';
import { STACK } from './env';

export const out = () => inject('outputs');
export const s3 = new S3Client({ forcePathStyle: true });
export const sfn = new SFNClient({});
// Queue URLs name the emulator's host as it sees itself; send to AWS_ENDPOINT_URL instead.
export const sqs = new SQSClient({ useQueueUrlAsEndpoint: false });
export const cw = new CloudWatchClient({});
export const logs = new CloudWatchLogsClient({});
export const sns = new SNSClient({});
export const lambda = new LambdaClient({});
const cfn = new CloudFormationClient({});

/**
 * The physical name of the stack's one function whose logical ID starts with
 * `logicalIdPrefix`: generated names are truncated differently by each
 * CloudFormation (AWS's, MiniStack's, LocalStack's), logical IDs are ours.
 */
export async function stackFunctionName(logicalIdPrefix: string): Promise<string> {
  const r = await cfn.send(new DescribeStackResourcesCommand({ StackName: STACK }));
  const found = (r.StackResources ?? []).filter((x) => x.ResourceType === 'AWS::Lambda::Function' && x.LogicalResourceId?.startsWith(logicalIdPrefix));
  if (found.length !== 1) throw new Error(`expected one function with logical ID ${logicalIdPrefix}* in ${STACK}, found ${found.length}`);
  return found[0].PhysicalResourceId!;
}

/** A unique tag per test run, so tests never see each other's files. */
export const RUN = Date.now().toString(36);

export async function waitFor<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 60_000, intervalMs = 300): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

export async function putLanding(key: string, body: string | Uint8Array): Promise<{ versionId?: string; at: number }> {
  const r = await s3.send(new PutObjectCommand({ Bucket: out().LandingBucketName, Key: key, Body: body }));
  return { versionId: r.VersionId, at: Date.now() };
}

export async function listKeys(bucket: string, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const r = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
    keys.push(...(r.Contents ?? []).map((o) => o.Key!));
    token = r.IsTruncated ? r.NextContinuationToken : undefined;
  } while (token);
  return keys;
}

export async function getBytes(bucket: string, key: string): Promise<Uint8Array | undefined> {
  try {
    const r = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return await r.Body!.transformToByteArray();
  } catch (e) {
    if ((e as Error).name === 'NoSuchKey' || (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404) return undefined;
    throw e;
  }
}

export async function getJson<T>(bucket: string, key: string): Promise<T | undefined> {
  const b = await getBytes(bucket, key);
  return b ? (JSON.parse(Buffer.from(b).toString('utf8')) as T) : undefined;
}

export const manifestOf = (dataset: string, key: string) => getJson<Manifest>(out().LakeBucketName, layout.manifest(dataset, key));

/** Wait for a manifest written after `since` (a rerun overwrites the same key). */
export function waitForManifest(dataset: string, key: string, since = 0, timeoutMs = 60_000): Promise<Manifest> {
  return waitFor(
    `manifest of ${key}`,
    async () => {
      const m = await manifestOf(dataset, key);
      return m && Date.parse(m.finishedAt) >= since - 1000 ? m : undefined;
    },
    timeoutMs,
  );
}

export async function executions(): Promise<ExecutionListItem[]> {
  const all: ExecutionListItem[] = [];
  let token: string | undefined;
  do {
    const r = await sfn.send(new ListExecutionsCommand({ stateMachineArn: out().StateMachineArn, nextToken: token, maxResults: 1000 }));
    all.push(...(r.executions ?? []));
    token = r.nextToken;
  } while (token);
  return all;
}

export async function executionsForKey(key: string) {
  const found = [];
  for (const e of await executions()) {
    const d = await sfn.send(new DescribeExecutionCommand({ executionArn: e.executionArn }));
    if (JSON.parse(d.input ?? '{}').key === key) found.push(d);
  }
  return found;
}

/** The executions of a key once the first has finished (a manifest is written just before its execution ends). */
export function finishedExecutionsForKey(key: string) {
  return waitFor(`execution of ${key} to finish`, async () => {
    const e = await executionsForKey(key);
    return e.length && e[0].status !== 'RUNNING' ? e : undefined;
  });
}

/** Event types of an execution, failures with their error name: `LambdaFunctionFailed(TransientError)`. */
export async function historyTypes(executionArn: string): Promise<string[]> {
  const h = await sfn.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 1000 }));
  return (h.events ?? []).map((e) => {
    const error = e.taskFailedEventDetails?.error ?? e.lambdaFunctionFailedEventDetails?.error;
    return e.type + (error ? `(${error})` : '');
  });
}

export function percentile(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
}

export { objectCreatedEvent } from '../s3-events';

import { CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { GetObjectCommand, ListObjectVersionsCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { DescribeExecutionCommand, ListExecutionsCommand, SFNClient, type ExecutionStatus } from '@aws-sdk/client-sfn';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { LandedObject } from './fate';
import { pool } from './pool';

/** AWS clients for the ops commands; AWS_ENDPOINT_URL points them at an emulator. */
export const clients = () => ({
  s3: new S3Client({ forcePathStyle: !!process.env.AWS_ENDPOINT_URL }),
  sfn: new SFNClient({}),
  // Queue URLs from the stack; requests go to the configured endpoint (no host-mismatch warnings).
  sqs: new SQSClient({ useQueueUrlAsEndpoint: false }),
  cw: new CloudWatchClient({}),
});
export type Clients = ReturnType<typeof clients>;

export async function readJson<T>(s3: S3Client, bucket: string, key: string): Promise<T | undefined> {
  try {
    const r = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return JSON.parse(await r.Body!.transformToString()) as T;
  } catch (e) {
    if ((e as Error).name === 'NoSuchKey' || (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404) return undefined;
    throw e;
  }
}

export async function listObjects(s3: S3Client, bucket: string, prefix: string): Promise<{ key: string; lastModified: Date; etag?: string; size: number }[]> {
  const out: { key: string; lastModified: Date; etag?: string; size: number }[] = [];
  let token: string | undefined;
  do {
    const r = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
    for (const o of r.Contents ?? [])
      out.push({ key: o.Key!, lastModified: o.LastModified ?? new Date(0), etag: o.ETag?.replace(/"/g, ''), size: o.Size ?? 0 });
    token = r.IsTruncated ? r.NextContinuationToken : undefined;
  } while (token);
  return out;
}

/** Every version under a prefix (latest flagged); falls back to plain listing where versions are not listed. */
export async function listLanded(s3: S3Client, bucket: string, prefix: string): Promise<(LandedObject & { isLatest: boolean; size: number })[]> {
  try {
    const out: (LandedObject & { isLatest: boolean; size: number })[] = [];
    let keyMarker: string | undefined;
    let versionMarker: string | undefined;
    do {
      const r = await s3.send(new ListObjectVersionsCommand({ Bucket: bucket, Prefix: prefix, KeyMarker: keyMarker, VersionIdMarker: versionMarker }));
      for (const v of r.Versions ?? []) {
        out.push({
          key: v.Key!,
          versionId: v.VersionId === 'null' ? undefined : v.VersionId,
          etag: v.ETag?.replace(/"/g, ''),
          lastModified: v.LastModified ?? new Date(0),
          isLatest: v.IsLatest ?? true,
          size: v.Size ?? 0,
        });
      }
      keyMarker = r.IsTruncated ? r.NextKeyMarker : undefined;
      versionMarker = r.IsTruncated ? r.NextVersionIdMarker : undefined;
    } while (keyMarker);
    if (out.length) return out;
  } catch {
    // Not every endpoint lists versions; the latest objects still tell most of the story.
  }
  return (await listObjects(s3, bucket, prefix)).map((o) => ({ ...o, isLatest: true }));
}

/**
 * Executions of a state machine in one status, newest first. With `since`,
 * paging stops at the first older one (ListExecutions sorts by start date,
 * newest first), so a long history is not read to find the last day.
 */
export async function executionsByStatus(sfn: SFNClient, stateMachineArn: string, status: ExecutionStatus, since?: Date) {
  const out = [];
  let token: string | undefined;
  do {
    const r = await sfn.send(new ListExecutionsCommand({ stateMachineArn, statusFilter: status, nextToken: token, maxResults: 1000 }));
    for (const e of r.executions ?? []) {
      if (since && e.startDate && e.startDate < since) return out;
      out.push(e);
    }
    token = r.nextToken;
  } while (token);
  return out;
}

/** Landing keys of the running executions (their input names the file). */
export async function runningKeys(sfn: SFNClient, stateMachineArn: string): Promise<Set<string>> {
  const running = await executionsByStatus(sfn, stateMachineArn, 'RUNNING');
  const keys = await pool(running, 8, async (e) => {
    const d = await sfn.send(new DescribeExecutionCommand({ executionArn: e.executionArn }));
    return JSON.parse(d.input ?? '{}').key as unknown;
  });
  return new Set(keys.filter((k): k is string => typeof k === 'string'));
}

export async function alarmStates(cw: CloudWatchClient, prefix: string): Promise<{ name: string; state: string; reason?: string }[]> {
  const out: { name: string; state: string; reason?: string }[] = [];
  let token: string | undefined;
  do {
    const r = await cw.send(new DescribeAlarmsCommand({ AlarmNamePrefix: prefix, AlarmTypes: ['MetricAlarm', 'CompositeAlarm'], NextToken: token }));
    for (const a of [...(r.MetricAlarms ?? []), ...(r.CompositeAlarms ?? [])])
      out.push({ name: a.AlarmName!, state: a.StateValue ?? 'UNKNOWN', reason: a.StateReason });
    token = r.NextToken;
  } while (token);
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

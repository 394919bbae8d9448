import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { GetObjectCommand, ListObjectVersionsCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { DescribeExecutionCommand, ListExecutionsCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { layout } from '../../lambdas/core/lake/layout';
import type { Manifest } from '../../lambdas/core/lake/manifest';
import { OUTPUTS } from '../../lib/pipeline-stack';
import { main } from '../../src/cli/main';

const cfn = mockClient(CloudFormationClient);
const s3 = mockClient(S3Client);
const sfn = mockClient(SFNClient);
const sqs = mockClient(SQSClient);
const cw = mockClient(CloudWatchClient);

async function cli(...args: string[]) {
  const lines: string[] = [];
  const errs: string[] = [];
  const code = await main(args, { log: (s) => lines.push(s), err: (s) => errs.push(s) });
  return { code, out: lines.join('\n'), err: errs.join('\n') };
}

const outputs: Record<string, string> = Object.fromEntries(Object.values(OUTPUTS).map((k) => [k, `value-of-${k}`]));
Object.assign(outputs, {
  LandingBucketName: 'landing',
  LakeBucketName: 'lake',
  StateMachineArn: 'arn:aws:states:us-east-1:1:stateMachine:files',
  Datasets: 'orders,sales,events',
});

/** Just what readJson uses of a GetObject body. */
const body = (s: string) => ({ transformToString: async () => s });
const manifest = (key: string, status: Manifest['status'], versionId: string): Manifest => ({
  manifestVersion: 1,
  status,
  source: { dataset: 'orders', bucket: 'landing', key, versionId, landedAt: '2026-11-22T00:00:00Z' },
  counts: { rowsIn: 3, rowsOut: 3, rowsQuarantined: 0, rowsDeduplicated: 0, rowsWarned: 0 },
  reasons: {},
  warnings: {},
  outputs: { silver: [], gold: [] },
  durationsMs: {},
  finishedAt: new Date().toISOString(),
});

beforeEach(() => {
  cfn.on(DescribeStacksCommand, { StackName: 'landing-to-lake-dev' }).resolves({
    Stacks: [
      {
        StackName: 'landing-to-lake-dev',
        CreationTime: new Date(),
        StackStatus: 'CREATE_COMPLETE',
        Outputs: Object.entries(outputs).map(([OutputKey, OutputValue]) => ({ OutputKey, OutputValue })),
      },
    ],
  });
  sfn.on(ListExecutionsCommand).resolves({ executions: [] });
});
afterEach(() => {
  for (const m of [cfn, s3, sfn, sqs, cw]) m.reset();
});

describe('ops commands: help and usage', () => {
  it.each(['status', 'reconcile', 'redrive', 'replay'])('%s --help explains the command with examples (exit 0, no AWS call)', async (cmd) => {
    const r = await cli(cmd, '--help');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(new RegExp(`^pipeline ${cmd} `));
    expect(r.out).toMatch(/Examples:\n {2}pipeline /);
    expect(r.out).toMatch(/Exit codes: 0 ok; 1 .*; 2 bad usage/s);
    expect((await cli('help', cmd)).out).toBe(r.out);
    expect(cfn.calls()).toHaveLength(0);
  });

  it('usage mistakes exit 2 before any AWS call', async () => {
    for (const args of [
      ['status', '--since', '1h'],
      ['status', 'orders'],
      ['redrive'],
      ['redrive', 'ingest', '--max', '0'],
      ['redrive', 'ingest', '--max', 'lots'],
      ['replay'],
      ['replay', '--dataset', 'orders', '--from', 'last tuesday'],
      ['replay', '--dataset', 'orders', '--run-id', 'far-too-long-id'],
      ['replay', '--dataset', 'orders', '--prefix', 'landing/sales/'],
      ['replay', '--dataset', 'orders', '--distributed', '--from', '24h'],
      ['reconcile', '--dataset', 'nope'],
    ]) {
      const r = await cli(...args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.err, args.join(' ')).toMatch(/^error: /);
    }
    expect(cfn.calls()).toHaveLength(0);
  });

  it('no stack, no credentials: exit 2 with what to do', async () => {
    cfn
      .on(DescribeStacksCommand, { StackName: 'nope' })
      .rejects(Object.assign(new Error('Stack with id nope does not exist'), { name: 'ValidationError', $metadata: { httpStatusCode: 400 } }));
    let r = await cli('status', '--stack', 'nope');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/stack nope does not exist .*pass --stack \/ --env/);
    cfn
      .on(DescribeStacksCommand, { StackName: 'landing-to-lake-prod' })
      .rejects(Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' }));
    r = await cli('reconcile', '--env', 'prod');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/no usable AWS credentials/);
  });

  it('an AWS error after the stack was found: exit 3, the call and reason, no stack trace', async () => {
    s3.on(ListObjectVersionsCommand).rejects(Object.assign(new Error('Access Denied'), { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } }));
    s3.on(ListObjectsV2Command).rejects(Object.assign(new Error('Access Denied'), { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } }));
    const r = await cli('reconcile', '--dataset', 'orders');
    expect(r.code).toBe(3);
    expect(r.err).toMatch(/^error: AWS AccessDenied \(HTTP 403\): Access Denied/);
    expect(r.err).toMatch(/lack a permission/);
  });
});

describe('reconcile and replay through the CLI (mocked AWS)', () => {
  const landed = [
    { Key: 'landing/orders/a.csv', VersionId: 'v1', ETag: '"e1"', IsLatest: true, LastModified: new Date('2026-11-22T01:00:00Z'), Size: 10 },
    { Key: 'landing/orders/b.csv', VersionId: 'v2', ETag: '"e2"', IsLatest: true, LastModified: new Date('2026-11-22T02:00:00Z'), Size: 20 },
    { Key: 'landing/orders/b.csv', VersionId: 'v1', ETag: '"e0"', IsLatest: false, LastModified: new Date('2026-11-21T02:00:00Z'), Size: 20 },
    { Key: 'landing/orders/readme.txt', VersionId: 'v1', ETag: '"e3"', IsLatest: true, LastModified: new Date('2026-11-22T03:00:00Z'), Size: 5 },
  ];
  beforeEach(() => {
    s3.on(ListObjectVersionsCommand, { Prefix: 'landing/orders/' }).resolves({ Versions: landed, IsTruncated: false });
    s3.on(GetObjectCommand).rejects(Object.assign(new Error('NoSuchKey'), { name: 'NoSuchKey', $metadata: { httpStatusCode: 404 } }));
  });

  it('reconcile: gold, superseded, missing (exit 1) and unrouted', async () => {
    // b.csv's manifest is about its older version: the latest is missing.
    s3.on(GetObjectCommand, { Bucket: 'lake', Key: layout.manifest('orders', 'landing/orders/a.csv') }).resolves({
      Body: body(JSON.stringify(manifest('landing/orders/a.csv', 'succeeded', 'v1'))),
    } as never);
    s3.on(GetObjectCommand, { Bucket: 'lake', Key: layout.manifest('orders', 'landing/orders/b.csv') }).resolves({
      Body: body(JSON.stringify(manifest('landing/orders/b.csv', 'succeeded', 'v1'))),
    } as never);
    const r = await cli('reconcile', '--dataset', 'orders', '--json');
    expect(r.code).toBe(1);
    const rep = JSON.parse(r.out);
    expect(rep.objects.map((o: { key: string; versionId: string; fate: string }) => `${o.key}@${o.versionId}=${o.fate}`)).toEqual([
      'landing/orders/a.csv@v1=gold',
      'landing/orders/b.csv@v2=missing',
      'landing/orders/b.csv@v1=gold',
      'landing/orders/readme.txt@v1=unrouted',
    ]);
    const since = await cli('reconcile', '--dataset', 'orders', '--since', '2026-11-22T01:30:00Z');
    expect(since.code).toBe(1);
    expect(since.out).toContain('2 landed object version(s) since 2026-11-22T01:30:00.000Z: 1 missing, 1 unrouted');
  });

  it('replay: one execution per latest routed version with the dispatcher input; the same command again starts nothing', async () => {
    const names = new Set<string>();
    sfn.on(StartExecutionCommand).callsFake((i: { name: string }) => {
      if (names.has(i.name)) throw Object.assign(new Error('exists'), { name: 'ExecutionAlreadyExists' });
      names.add(i.name);
      return { executionArn: `arn:${i.name}`, startDate: new Date() };
    });
    const first = await cli('replay', '--dataset', 'orders', '--json');
    expect(first.code).toBe(0);
    expect(JSON.parse(first.out)).toMatchObject({ files: 2, started: 2, alreadyStarted: 0, failed: 0 });
    const calls = sfn.commandCalls(StartExecutionCommand).map((c) => c.args[0].input);
    expect(calls.map((c) => c.stateMachineArn)).toEqual([outputs.StateMachineArn, outputs.StateMachineArn]);
    const inputs = calls.map((c) => JSON.parse(c.input!));
    expect(inputs[0]).toEqual({
      dataset: 'orders',
      bucket: 'landing',
      key: 'landing/orders/a.csv',
      versionId: 'v1',
      etag: 'e1',
      size: 10,
      landedAt: '2026-11-22T01:00:00.000Z',
      execution: calls[0].name,
    });
    expect(inputs[1]).toMatchObject({ key: 'landing/orders/b.csv', versionId: 'v2' });
    for (const c of calls) expect(c.name).toMatch(/^replay-[0-9a-f]{8}-orders-[0-9a-f]{40}$/);

    const again = await cli('replay', '--dataset', 'orders', '--json');
    expect(JSON.parse(again.out)).toMatchObject({ started: 0, alreadyStarted: 2 });
    const fix2 = await cli('replay', '--dataset', 'orders', '--run-id', 'fix2', '--json');
    expect(JSON.parse(fix2.out)).toMatchObject({ runId: 'fix2', started: 2 });
    expect([...names].filter((n) => n.startsWith('replay-fix2-orders-'))).toHaveLength(2);
  });

  it('a distributed replay run again starts nothing, also while the first is still running (StartExecution would answer success then)', async () => {
    sfn.on(DescribeExecutionCommand).rejects(Object.assign(new Error('none'), { name: 'ExecutionDoesNotExist' }));
    sfn.on(StartExecutionCommand).callsFake((i: { stateMachineArn: string; name: string }) => ({
      executionArn: `${i.stateMachineArn.replace(':stateMachine:', ':execution:')}:${i.name}`,
      startDate: new Date(),
    }));
    const first = await cli('replay', '--dataset', 'orders', '--distributed', '--json');
    expect(first.code).toBe(0);
    const started = JSON.parse(first.out);
    expect(started).toMatchObject({ distributed: true, files: 2 });
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(1);
    sfn
      .on(DescribeExecutionCommand)
      .resolves({ executionArn: started.execution, stateMachineArn: outputs.ReplayStateMachineArn, status: 'RUNNING', startDate: new Date() });
    const again = await cli('replay', '--dataset', 'orders', '--distributed', '--json');
    expect(JSON.parse(again.out)).toMatchObject({ distributed: true, alreadyStarted: true, status: 'RUNNING' });
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(1);
    expect(sfn.commandCalls(DescribeExecutionCommand).at(-1)!.args[0].input.executionArn).toBe(started.execution);
  });

  it('replay run again while its executions still run starts nothing and says so (StartExecution would answer success then)', async () => {
    // As AWS answers for Standard workflows: the same name and input while RUNNING succeeds with the original execution.
    const running = new Set<string>();
    sfn.on(StartExecutionCommand).callsFake((i: { stateMachineArn: string; name: string }) => {
      running.add(`${i.stateMachineArn.replace(':stateMachine:', ':execution:')}:${i.name}`);
      return { executionArn: `${i.stateMachineArn.replace(':stateMachine:', ':execution:')}:${i.name}`, startDate: new Date() };
    });
    sfn.on(DescribeExecutionCommand).callsFake((i: { executionArn: string }) => {
      if (!running.has(i.executionArn)) throw Object.assign(new Error('none'), { name: 'ExecutionDoesNotExist' });
      return { executionArn: i.executionArn, stateMachineArn: outputs.StateMachineArn, status: 'RUNNING', startDate: new Date() };
    });
    const first = await cli('replay', '--dataset', 'orders', '--json');
    expect(JSON.parse(first.out)).toMatchObject({ files: 2, started: 2, alreadyStarted: 0, failed: 0 });
    const again = await cli('replay', '--dataset', 'orders', '--json');
    expect(JSON.parse(again.out)).toMatchObject({ files: 2, started: 0, alreadyStarted: 2, failed: 0 });
    expect(again.err).toContain('2/2 (0 started, 2 already started, 0 failed)');
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(2);
  });

  it('replay --dry-run lists and starts nothing; --from/--to bound the range', async () => {
    const r = await cli('replay', '--dataset', 'orders', '--from', '2026-11-22T01:30:00Z', '--dry-run');
    expect(r.code).toBe(0);
    expect(r.out).toBe('landing/orders/b.csv');
    expect(r.err).toMatch(/1 file\(s\) under landing\/orders\/ from 2026-11-22T01:30:00.000Z \(dry run\)/);
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });
});

describe('status through the CLI (mocked AWS)', () => {
  it('prints the table, and the same report as JSON', async () => {
    s3.on(GetObjectCommand).rejects(Object.assign(new Error('NoSuchKey'), { name: 'NoSuchKey', $metadata: { httpStatusCode: 404 } }));
    s3.on(GetObjectCommand, { Bucket: 'lake', Key: layout.lastSuccess('orders') }).resolves({
      Body: body(JSON.stringify({ dataset: 'orders', at: new Date(Date.now() - 5 * 60_000).toISOString() })),
    } as never);
    s3.on(ListObjectsV2Command).resolves({ Contents: [], IsTruncated: false });
    // Two orders files of the last day loaded with warnings: status sums them per dataset.
    const warned = ['a', 'b'].map((n) => layout.manifest('orders', `landing/orders/${n}.csv`));
    s3.on(ListObjectsV2Command, { Bucket: 'lake', Prefix: layout.manifestPrefix('orders') }).resolves({
      Contents: warned.map((Key) => ({ Key, LastModified: new Date() })),
      IsTruncated: false,
    });
    for (const [i, Key] of warned.entries())
      s3.on(GetObjectCommand, { Bucket: 'lake', Key }).resolves({
        Body: body(
          JSON.stringify({ ...manifest(`landing/orders/${i}.csv`, 'succeeded', 'v1'), warnings: { 'gold.overflow(by_day.total)': 1, [`rule_${i}`]: 2 + i } }),
        ),
      } as never);
    sqs
      .on(GetQueueAttributesCommand)
      .callsFake((i: { QueueUrl: string }) => ({ Attributes: { ApproximateNumberOfMessages: i.QueueUrl === outputs.IngestDlqUrl ? '4' : '0' } }));
    cw.on(DescribeAlarmsCommand).resolves({
      MetricAlarms: [{ AlarmName: 'landing-to-lake-dev-ingest-dlq', StateValue: 'ALARM', StateReason: 'Threshold Crossed: 1 datapoint' }],
      CompositeAlarms: [],
    });
    sfn
      .on(ListExecutionsCommand, { statusFilter: 'FAILED' })
      .resolves({ executions: [{ executionArn: 'arn:x', stateMachineArn: 'sm', name: 'orders-x', status: 'FAILED', startDate: new Date() }] });
    sfn.on(DescribeExecutionCommand).resolves({
      executionArn: 'arn:x',
      stateMachineArn: 'sm',
      status: 'FAILED',
      startDate: new Date(),
      input: JSON.stringify({ dataset: 'orders', key: 'landing/orders/x.csv' }),
      error: 'schema.incompatible',
      cause: 'no column order_id',
    });
    const r = await cli('status');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^orders\s+\S+Z\s+5 \/ 1440 min/m);
    expect(r.out).toMatch(/^events\s+never\s+never loaded \(SLA 60 min\)/m);
    expect(r.out).toMatch(/^IngestDlq\s+4$/m);
    expect(r.out).toContain('orders warnings (24 h): rule_1 ×3, gold.overflow(by_day.total) ×2, rule_0 ×2');
    expect(r.out).not.toMatch(/^(sales|events) warnings/m);
    expect(r.out).toMatch(/ALARM landing-to-lake-dev-ingest-dlq/);
    expect(r.out).toMatch(/landing\/orders\/x.csv schema.incompatible no column order_id/);
    expect(cw.commandCalls(DescribeAlarmsCommand)[0].args[0].input.AlarmNamePrefix).toBe('landing-to-lake-dev-');
    const j = JSON.parse((await cli('status', '--dataset', 'sales', '--json')).out);
    expect(j.datasets.map((d: { dataset: string }) => d.dataset)).toEqual(['sales']);
    expect(j.failedExecutions24h).toEqual([]); // the failure was an orders file
    expect(j.queues).toEqual({ IngestQueue: 0, IngestDlq: 4, RuleTargetDlq: 0, FailedQueue: 0, FailedDlq: 0 });
  });
});

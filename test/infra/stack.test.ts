import type { Stack } from 'aws-cdk-lib';
import { Annotations, Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../lib/config';
import { synth } from './synth';

let stack: Stack;
let t: Template;
beforeAll(() => {
  ({ stack, template: t } = synth());
});

const definition = () => {
  const sm = Object.values(t.findResources('AWS::StepFunctions::StateMachine'))[0];
  const parts = (sm.Properties.DefinitionString['Fn::Join'][1] as unknown[]).map((p) => (typeof p === 'string' ? p : 'REF'));
  return JSON.parse(parts.join('')) as { States: Record<string, Record<string, unknown>> };
};

describe('storage', () => {
  it('landing emits EventBridge events through the bucket property, with no custom resource anywhere', () => {
    t.hasResourceProperties('AWS::S3::Bucket', {
      NotificationConfiguration: { EventBridgeConfiguration: { EventBridgeEnabled: true } },
      VersioningConfiguration: { Status: 'Enabled' },
    });
    const types = Object.values(t.toJSON().Resources as Record<string, { Type: string }>).map((r) => r.Type);
    expect(types.filter((x) => x.startsWith('Custom::') || x === 'AWS::CloudFormation::CustomResource')).toEqual([]);
  });

  it('every bucket is encrypted, blocks public access and denies non-TLS requests', () => {
    const buckets = t.findResources('AWS::S3::Bucket');
    expect(Object.keys(buckets)).toHaveLength(3);
    for (const b of Object.values(buckets)) {
      expect(b.Properties.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault.SSEAlgorithm).toBe('AES256');
      expect(b.Properties.PublicAccessBlockConfiguration).toEqual({
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      });
    }
    const policies = Object.values(t.findResources('AWS::S3::BucketPolicy'));
    expect(policies).toHaveLength(3);
    for (const p of policies) {
      expect(p.Properties.PolicyDocument.Statement).toEqual(
        expect.arrayContaining([expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]),
      );
    }
  });

  it('dev destroys, prod retains', () => {
    expect(Object.values(t.findResources('AWS::S3::Bucket')).every((b) => b.DeletionPolicy === 'Delete')).toBe(true);
    const prod = synth('prod').template;
    expect(Object.values(prod.findResources('AWS::S3::Bucket')).every((b) => b.DeletionPolicy === 'Retain')).toBe(true);
    expect(Object.values(prod.findResources('AWS::Logs::LogGroup')).every((b) => b.DeletionPolicy === 'Retain')).toBe(true);
  });

  it('lifecycle rules expire landing, quarantine and incomplete uploads', () => {
    t.hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: {
        Rules: Match.arrayWith([
          Match.objectLike({ Id: 'expire-landed-files', Prefix: 'landing/', ExpirationInDays: 90 }),
          Match.objectLike({ Id: 'abort-incomplete-uploads', AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 } }),
        ]),
      },
    });
    t.hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: { Rules: Match.arrayWith([Match.objectLike({ Id: 'expire-quarantine', Prefix: 'quarantine/', ExpirationInDays: 180 })]) },
    });
  });
});

describe('ingest', () => {
  it('one rule per dataset on Object Created with prefix+suffix wildcards, targeting the queue with a DLQ', () => {
    const rules = t.findResources('AWS::Events::Rule');
    const patterns = Object.values(rules)
      .map((r) => r.Properties.EventPattern)
      .filter((p) => p?.source);
    expect(patterns).toHaveLength(loadConfig('config/pipeline.json').datasets.length);
    const orders = patterns.find((p) => JSON.stringify(p).includes('landing/orders/'));
    expect(orders).toMatchObject({
      source: ['aws.s3'],
      'detail-type': ['Object Created'],
      detail: { object: { key: [{ wildcard: 'landing/orders/*.csv' }, { wildcard: 'landing/orders/*.csv.gz' }] } },
    });
    for (const r of Object.values(rules).filter((x) => x.Properties.EventPattern?.source)) {
      expect(r.Properties.Targets[0]).toMatchObject({
        DeadLetterConfig: { Arn: expect.anything() },
        RetryPolicy: { MaximumRetryAttempts: 20, MaximumEventAgeInSeconds: 86400 },
      });
    }
  });

  it('queues are SSE, TLS-only, and the work queues redrive to DLQs with maxReceiveCount from config', () => {
    const queues = t.findResources('AWS::SQS::Queue');
    expect(Object.values(queues).every((q) => q.Properties.SqsManagedSseEnabled === true)).toBe(true);
    const withRedrive = Object.values(queues).filter((q) => q.Properties.RedrivePolicy);
    expect(withRedrive).toHaveLength(2);
    for (const q of withRedrive) expect(q.Properties.RedrivePolicy.maxReceiveCount).toBe(5);
    for (const p of Object.values(t.findResources('AWS::SQS::QueuePolicy'))) {
      expect(JSON.stringify(p.Properties.PolicyDocument)).toContain('"aws:SecureTransport":"false"');
    }
  });

  it('the ingest queue visibility timeout is at least 6x the dispatcher timeout', () => {
    const fn = Object.values(t.findResources('AWS::Lambda::Function')).find((f) => f.Properties.Environment.Variables.STATE_MACHINE_ARN)!;
    const ingest = Object.values(t.findResources('AWS::SQS::Queue')).find((q) => q.Properties.VisibilityTimeout === 180);
    expect(fn.Properties.Timeout).toBe(30);
    expect(ingest).toBeDefined();
  });

  it('the dispatcher consumes with ReportBatchItemFailures', () => {
    t.hasResourceProperties('AWS::Lambda::EventSourceMapping', { FunctionResponseTypes: ['ReportBatchItemFailures'], BatchSize: 10 });
  });
});

describe('functions', () => {
  it('Node 24 on arm64, X-Ray, explicit log groups with retention, Powertools env, V8 flags', () => {
    const fns = Object.values(t.findResources('AWS::Lambda::Function'));
    expect(fns.length).toBeGreaterThanOrEqual(5);
    for (const f of fns) {
      expect(f.Properties).toMatchObject({
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        TracingConfig: { Mode: 'Active' },
        LoggingConfig: { LogGroup: { Ref: expect.any(String) } },
      });
      expect(f.Properties.Environment.Variables).toMatchObject({ POWERTOOLS_SERVICE_NAME: 'landing-to-lake', POWERTOOLS_METRICS_NAMESPACE: 'LandingToLake' });
      expect(f.Properties.Environment.Variables.PIPELINE_FAULT_INJECTION).toBeUndefined();
      // The young generation the bench measures the stage's peak RSS with (lib/node-options.ts).
      expect(f.Properties.Environment.Variables.NODE_OPTIONS.split(' ')).toEqual(['--enable-source-maps', '--max-semi-space-size=8']);
    }
    for (const lg of Object.values(t.findResources('AWS::Logs::LogGroup'))) expect(lg.Properties.RetentionInDays).toBe(7);
  });

  it('fault injection is only switched on in the test environment', () => {
    const test = synth('test').template;
    const fns = Object.values(test.findResources('AWS::Lambda::Function')).filter((f) => f.Properties.Environment.Variables.LAKE_BUCKET);
    expect(fns.every((f) => f.Properties.Environment.Variables.PIPELINE_FAULT_INJECTION === 'on')).toBe(true);
  });
});

describe('state machine', () => {
  it('Standard, X-Ray, logs ALL to a log group with retention', () => {
    t.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      StateMachineType: 'STANDARD',
      TracingConfiguration: { Enabled: true },
      LoggingConfiguration: { Level: 'ALL', IncludeExecutionData: true },
    });
  });

  it('Validate → Transform → Publish → Done; each stage retries transient errors with FULL jitter and catches to Quarantine', () => {
    const { States } = definition();
    expect(States.Validate.Next).toBe('Transform');
    expect(States.Transform.Next).toBe('Publish');
    expect(States.Publish.Next).toBe('Done');
    for (const s of ['Validate', 'Transform', 'Publish', 'Quarantine']) {
      expect(States[s].Retry).toEqual([
        // Throttling first and on its own: waited out for tens of minutes, without using up the transient retries.
        { ErrorEquals: ['Lambda.TooManyRequestsException'], IntervalSeconds: 5, MaxAttempts: 20, BackoffRate: 2, MaxDelaySeconds: 120, JitterStrategy: 'FULL' },
        {
          ErrorEquals: [
            'Lambda.ServiceException',
            'Lambda.AWSLambdaException',
            'Lambda.SdkClientException',
            'Lambda.ClientExecutionTimeoutException',
            'States.Timeout',
            'TransientError',
          ],
          IntervalSeconds: 2,
          MaxAttempts: 5,
          BackoffRate: 2,
          MaxDelaySeconds: 60,
          JitterStrategy: 'FULL',
        },
      ]);
      expect(JSON.stringify(States[s].Retry)).not.toContain('DataError');
    }
    for (const s of ['Validate', 'Transform', 'Publish'])
      expect(States[s].Catch).toEqual([{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'Quarantine' }]);
    expect(States.Quarantine.Next).toBe('NotifyFailed');
    expect(States.NotifyFailed).toMatchObject({
      Resource: 'arn:REF:states:::sqs:sendMessage',
      Next: 'Failed',
      Parameters: { QueueUrl: 'REF', 'MessageBody.$': '$' },
    });
    expect(States.Quarantine.Catch).toEqual([{ ErrorEquals: ['States.ALL'], ResultPath: '$.quarantineError', Next: 'NotifyFailed' }]);
    expect(States.Failed).toEqual({ Type: 'Fail', ErrorPath: '$.reason', CausePath: '$.message' });
  });
});

describe('replay machine', () => {
  it('is a logged, traced Distributed Map over the landing bucket that starts the file pipeline with deterministic names', () => {
    const machines = Object.values(t.findResources('AWS::StepFunctions::StateMachine'));
    expect(machines).toHaveLength(2);
    const replay = machines.find((m) => JSON.stringify(m.Properties.DefinitionString).includes('DISTRIBUTED'))!;
    expect(replay.Properties).toMatchObject({ TracingConfiguration: { Enabled: true }, LoggingConfiguration: { Level: 'ALL' } });
    const asl = JSON.parse((replay.Properties.DefinitionString['Fn::Join'][1] as unknown[]).map((p) => (typeof p === 'string' ? p : 'REF')).join(''));
    const map = asl.States.EachLandedFile;
    expect(map.ItemReader).toEqual({ Resource: 'arn:REF:states:::s3:listObjectsV2', Parameters: { Bucket: 'REF', 'Prefix.$': '$.prefix' } });
    const start = map.ItemProcessor.States.StartFile;
    expect(start.Parameters['Name.$']).toBe("States.Format('replay-{}-{}', $.runId, States.Hash($.key, 'SHA-256'))");
    expect(start.Catch[0].ErrorEquals).toEqual(['StepFunctions.ExecutionAlreadyExistsException']);
  });
});

describe('cdk-nag AwsSolutions', () => {
  it('has no unsuppressed errors or warnings, and every suppression carries a reason', () => {
    const errors = Annotations.fromStack(stack).findError('*', Match.stringLikeRegexp('AwsSolutions-.*'));
    const warnings = Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('AwsSolutions-.*'));
    expect(errors.map((e) => `${e.id}: ${e.entry.data}`)).toEqual([]);
    expect(warnings.map((e) => `${e.id}: ${e.entry.data}`)).toEqual([]);
    const suppressions = Object.values(
      t.toJSON().Resources as Record<string, { Metadata?: { cdk_nag?: { rules_to_suppress: { reason: string }[] } } }>,
    ).flatMap((r) => r.Metadata?.cdk_nag?.rules_to_suppress ?? []);
    const stackLevel = (t.toJSON().Metadata?.cdk_nag?.rules_to_suppress ?? []) as { reason: string }[];
    expect(suppressions.length + stackLevel.length).toBeGreaterThan(0);
    for (const s of [...suppressions, ...stackLevel]) expect(s.reason.length).toBeGreaterThan(40);
  });
});

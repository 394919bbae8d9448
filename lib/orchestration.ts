import { Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import type { PipelineConfig } from './config';
import { secureQueue } from './queues';
import { removalPolicy, retentionDays, StageFunction } from './stage-function';

export interface OrchestrationProps {
  config: PipelineConfig;
  landing: s3.IBucket;
  lake: s3.IBucket;
}

/** Errors worth retrying: the Lambda service's own, timeouts, and our TransientError. Never DataError. */
export const TRANSIENT_ERRORS = [
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
  'States.Timeout',
  'TransientError',
];

export const STAGE_RETRY: sfn.RetryProps = {
  errors: TRANSIENT_ERRORS,
  interval: Duration.seconds(2),
  backoffRate: 2,
  maxAttempts: 5,
  maxDelay: Duration.seconds(60),
  jitterStrategy: sfn.JitterType.FULL,
};

/** State names are API: the local runner wires handlers to them. */
export const STATES = {
  validate: 'Validate',
  transform: 'Transform',
  publish: 'Publish',
  quarantine: 'Quarantine',
  notifyFailed: 'NotifyFailed',
  failed: 'Failed',
  done: 'Done',
} as const;

/**
 * The per-file state machine: Validate → Transform (bronze, silver) → Publish
 * (gold, manifest) → Done; any stage's unrecoverable error → Quarantine → a
 * message on the `failed` queue → Failed.
 */
export class Orchestration extends Construct {
  readonly stateMachine: sfn.StateMachine;
  readonly failedQueue: sqs.Queue;
  readonly failedDlq: sqs.Queue;
  readonly functions: Record<'validate' | 'transform' | 'publish' | 'quarantine', StageFunction>;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: OrchestrationProps) {
    super(scope, id);
    const { config, landing, lake } = props;
    const env = { LAKE_BUCKET: lake.bucketName };
    const fn = (name: 'validate' | 'transform' | 'publish' | 'quarantine', description: string) =>
      new StageFunction(this, `${name[0].toUpperCase()}${name.slice(1)}Function`, { config, entry: name, description, environment: env, withContracts: true });

    this.functions = {
      validate: fn('validate', 'Checks a landed file against its dataset contract'),
      transform: fn('transform', 'Writes bronze, silver and row-level quarantine for one file'),
      publish: fn('publish', 'Recomputes gold for touched partitions and writes the manifest'),
      quarantine: fn('quarantine', 'Moves a failed file to quarantine with a machine-readable reason'),
    };
    const { validate, transform, publish, quarantine } = this.functions;

    // Least privilege, by prefix.
    for (const f of [validate, transform, quarantine]) landing.grantRead(f, 'landing/*');
    transform.addToRolePolicy(landingVersionRead(landing));
    quarantine.addToRolePolicy(landingVersionRead(landing));
    validate.addToRolePolicy(landingVersionRead(landing));
    lake.grantPut(transform, 'bronze/*');
    lake.grantPut(transform, 'silver/*');
    lake.grantDelete(transform, 'silver/*');
    lake.grantPut(transform, 'quarantine/*');
    lake.grantDelete(transform, 'quarantine/*');
    lake.grantRead(transform, 'manifests/*');
    lake.grantPut(transform, '_partials/*');
    lake.grantDelete(transform, '_partials/*');
    lake.grantRead(publish, '_partials/*');
    lake.grantPut(publish, 'gold/*');
    lake.grantDelete(publish, 'gold/*');
    lake.grantPut(publish, 'manifests/*');
    lake.grantPut(publish, '_state/*');
    lake.grantPut(quarantine, 'quarantine/*');
    lake.grantPut(quarantine, 'manifests/*');
    if (config.faultInjection) for (const f of [validate, transform, publish]) lake.grantReadWrite(f, '_faults/*');

    const { queue: failedQueue, dlq: failedDlq } = secureQueue(this, 'Failed', {
      visibilityTimeout: Duration.minutes(5),
      maxReceiveCount: config.ingest.maxReceiveCount,
    });
    this.failedQueue = failedQueue;
    this.failedDlq = failedDlq;

    const task = (state: string, f: StageFunction) =>
      new tasks.LambdaInvoke(this, state, {
        stateName: state,
        lambdaFunction: f,
        payloadResponseOnly: true,
        retryOnServiceExceptions: false,
        taskTimeout: sfn.Timeout.duration(Duration.seconds(config.stages.timeoutSeconds + 30)),
      }).addRetry(STAGE_RETRY);

    const failed = new sfn.Fail(this, STATES.failed, { stateName: STATES.failed, errorPath: '$.reason', causePath: '$.message' });
    const notifyFailed = new tasks.SqsSendMessage(this, STATES.notifyFailed, {
      stateName: STATES.notifyFailed,
      queue: failedQueue,
      messageBody: sfn.TaskInput.fromJsonPathAt('$'),
      resultPath: sfn.JsonPath.DISCARD,
    })
      .addRetry({ ...STAGE_RETRY, errors: ['States.ALL'] })
      .next(failed);
    const quarantineTask = task(STATES.quarantine, quarantine).addCatch(notifyFailed, { errors: ['States.ALL'], resultPath: '$.quarantineError' });
    quarantineTask.next(notifyFailed);

    const catchToQuarantine = { errors: ['States.ALL'], resultPath: '$.error' };
    const definition = task(STATES.validate, validate)
      .addCatch(quarantineTask, catchToQuarantine)
      .next(task(STATES.transform, transform).addCatch(quarantineTask, catchToQuarantine))
      .next(task(STATES.publish, publish).addCatch(quarantineTask, catchToQuarantine))
      .next(new sfn.Succeed(this, STATES.done, { stateName: STATES.done }));

    this.logGroup = new logs.LogGroup(this, 'ExecutionLogs', {
      logGroupName: `/aws/vendedlogs/states/${config.name}-${config.envName}-${scopeHash(this)}`,
      retention: retentionDays(config.logRetentionDays),
      removalPolicy: removalPolicy(config),
    });
    this.stateMachine = new sfn.StateMachine(this, 'FilePipeline', {
      definitionBody: sfn.DefinitionBody.fromChainable(definition),
      stateMachineType: sfn.StateMachineType.STANDARD,
      timeout: Duration.hours(2),
      tracingEnabled: true,
      logs: { destination: this.logGroup, level: sfn.LogLevel.ALL, includeExecutionData: true },
      comment: 'One execution per landed file version: Validate -> Transform -> Publish, Quarantine on failure',
    });
  }
}

function landingVersionRead(bucket: s3.IBucket) {
  // CopyObject/GetObject of a specific version needs s3:GetObjectVersion, which grantRead omits.
  return new iam.PolicyStatement({
    actions: ['s3:GetObjectVersion'],
    resources: [bucket.arnForObjects('landing/*')],
  });
}

function scopeHash(scope: Construct): string {
  return scope.node.addr.slice(0, 8);
}

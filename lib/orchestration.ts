import { type CfnElement, Duration, Stack } from 'aws-cdk-lib';
import { NagSuppressions } from 'cdk-nag';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import type { PipelineConfig } from './config';
import { secureQueue } from './queues';
import { STATES } from './states';
import { grantStageAccess } from './stage-access';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { removalPolicy, retentionDays, stageFunction } from './stage-function';

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
  'Lambda.ClientExecutionTimeoutException',
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

/**
 * Throttling is waited out, not quarantined: its own retrier (its attempts do
 * not use up the transient ones), capped at 2 min between attempts, about 32
 * minutes in all at the longest draw (full jitter averages half). Reserved
 * concurrency makes stages throttle under a burst; this is what turns that
 * into a queue instead of quarantined files.
 */
export const THROTTLE_RETRY: sfn.RetryProps = {
  errors: ['Lambda.TooManyRequestsException'],
  interval: Duration.seconds(5),
  backoffRate: 2,
  maxAttempts: 20,
  maxDelay: Duration.seconds(120),
  jitterStrategy: sfn.JitterType.FULL,
};

/** Longest total wait a retrier can draw (each wait capped at maxDelay). */
export function retryWaitSeconds(r: sfn.RetryProps): number {
  let total = 0;
  for (let i = 0; i < (r.maxAttempts ?? 3); i++)
    total += Math.min((r.interval?.toSeconds() ?? 1) * (r.backoffRate ?? 2) ** i, r.maxDelay?.toSeconds() ?? Infinity);
  return total;
}

/** A throttled Invoke is refused before the function runs; allow this much for each refusal anyway. */
export const THROTTLED_ATTEMPT_SECONDS = 5;
const NOTIFY_TIMEOUT = Duration.seconds(60);

/**
 * The longest an execution can take: every stage on the way to Failed
 * (Validate, Transform, Publish, Quarantine, NotifyFailed) using every retry,
 * each attempt running to its timeout. The execution timeout must be longer,
 * or a timed-out execution skips Quarantine and the failed-queue message.
 */
export function worstCaseSeconds(config: PipelineConfig): number {
  const lambdaTask = config.stages.timeoutSeconds + 30;
  const stage =
    (1 + (STAGE_RETRY.maxAttempts ?? 0)) * lambdaTask +
    retryWaitSeconds(STAGE_RETRY) +
    (THROTTLE_RETRY.maxAttempts ?? 0) * THROTTLED_ATTEMPT_SECONDS +
    retryWaitSeconds(THROTTLE_RETRY);
  const notify = (1 + (STAGE_RETRY.maxAttempts ?? 0)) * NOTIFY_TIMEOUT.toSeconds() + retryWaitSeconds(STAGE_RETRY);
  return 4 * stage + notify;
}

export { STATES } from './states';

/**
 * The per-file state machine: Validate → Transform (bronze, silver) → Publish
 * (gold, manifest) → Done; any stage's unrecoverable error → Quarantine → a
 * message on the `failed` queue → Failed.
 */
export class Orchestration extends Construct {
  readonly stateMachine: sfn.StateMachine;
  readonly failedQueue: sqs.Queue;
  readonly failedDlq: sqs.Queue;
  readonly functions: Record<'validate' | 'transform' | 'publish' | 'quarantine', lambda.Function>;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: OrchestrationProps) {
    super(scope, id);
    const { config, landing, lake } = props;
    const env = { LAKE_BUCKET: lake.bucketName };
    const fn = (name: 'validate' | 'transform' | 'publish' | 'quarantine', description: string) =>
      stageFunction(this, `${name[0].toUpperCase()}${name.slice(1)}Function`, {
        config,
        entry: name,
        description,
        environment: env,
        withContracts: true,
        reservedConcurrency: config.concurrency.reserved[name],
      });

    this.functions = {
      validate: fn('validate', 'Checks a landed file against its dataset contract'),
      transform: fn('transform', 'Writes bronze, silver and row-level quarantine for one file'),
      publish: fn('publish', 'Recomputes gold for touched partitions and writes the manifest'),
      quarantine: fn('quarantine', 'Moves a failed file to quarantine with a machine-readable reason'),
    };
    const { validate, transform, publish, quarantine } = this.functions;

    grantStageAccess(this, config, this.functions, landing, lake);

    const { queue: failedQueue, dlq: failedDlq } = secureQueue(this, 'Failed', {
      visibilityTimeout: Duration.minutes(5),
      maxReceiveCount: config.ingest.maxReceiveCount,
      // Someone has to work these: two weeks, and an alarm on the oldest one's age.
      retentionPeriod: Duration.days(14),
    });
    this.failedQueue = failedQueue;
    this.failedDlq = failedDlq;

    const task = (state: string, f: lambda.Function) =>
      new tasks.LambdaInvoke(this, state, {
        stateName: state,
        lambdaFunction: f,
        payloadResponseOnly: true,
        retryOnServiceExceptions: false,
        taskTimeout: sfn.Timeout.duration(Duration.seconds(config.stages.timeoutSeconds + 30)),
      })
        .addRetry(THROTTLE_RETRY)
        .addRetry(STAGE_RETRY);

    const failed = new sfn.Fail(this, STATES.failed, { stateName: STATES.failed, errorPath: '$.reason', causePath: '$.message' });
    const notifyFailed = new tasks.SqsSendMessage(this, STATES.notifyFailed, {
      stateName: STATES.notifyFailed,
      queue: failedQueue,
      messageBody: sfn.TaskInput.fromJsonPathAt('$'),
      resultPath: sfn.JsonPath.DISCARD,
      taskTimeout: sfn.Timeout.duration(NOTIFY_TIMEOUT),
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
      // The worst-case retry path plus an hour, in whole hours (8 h with the default stage timeout).
      timeout: Duration.hours(Math.ceil((worstCaseSeconds(config) + 3600) / 3600)),
      tracingEnabled: true,
      logs: { destination: this.logGroup, level: sfn.LogLevel.ALL, includeExecutionData: true },
      comment: 'One execution per landed file version: Validate -> Transform -> Publish, Quarantine on failure',
    });
    const stack = Stack.of(this);
    NagSuppressions.addResourceSuppressions(
      this.stateMachine,
      [
        {
          id: 'AwsSolutions-IAM5',
          reason:
            'Step Functions invokes each stage function by qualified ARN (function:version), which CDK grants as <arn>:*; the four functions themselves are fixed.',
          appliesTo: Object.values(this.functions).map((f) => `Resource::<${stack.getLogicalId(f.node.defaultChild as CfnElement)}.Arn>:*`),
        },
      ],
      true,
    );
  }
}

function scopeHash(scope: Construct): string {
  return scope.node.addr.slice(0, 8);
}

import { type CfnElement, Duration, Stack } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import type { PipelineConfig } from './config';
import { removalPolicy, retentionDays } from './stage-function';

export interface ReplayProps {
  config: PipelineConfig;
  landing: s3.IBucket;
  filePipeline: sfn.IStateMachine;
}

/**
 * Replay for large ranges: a Distributed Map over `landing/<dataset>/<prefix>`
 * that runs the file pipeline once per object (suffixes of the dataset
 * only), so a backfill of a million files is one API call from the CLI and runs
 * inside Step Functions, not in a laptop loop. Input: { dataset, prefix, runId }.
 * Each child is started with startExecution.sync:2 and waited for, so the
 * map's MaxConcurrency (config concurrency.replayFiles) bounds the file
 * pipelines running, not just the start calls: a backfill applies
 * back-pressure instead of flooding the stages.
 * Child names are `replay-<runId>-<sha256(key)>`: the same runId twice starts
 * nothing twice; the CLI names the parent `replay-<runId>-<hash of the listing>`,
 * so rerunning it after more files landed starts only those.
 */
export class Replay extends Construct {
  readonly stateMachine: sfn.StateMachine;

  constructor(scope: Construct, id: string, props: ReplayProps) {
    super(scope, id);
    const { config, landing, filePipeline } = props;

    const name = sfn.JsonPath.format('replay-{}-{}', sfn.JsonPath.stringAt('$.runId'), sfn.JsonPath.hash(sfn.JsonPath.stringAt('$.key'), 'SHA-256'));
    const start = new tasks.StepFunctionsStartExecution(this, 'StartFile', {
      stateMachine: filePipeline,
      integrationPattern: sfn.IntegrationPattern.RUN_JOB,
      name,
      input: sfn.TaskInput.fromObject({
        'dataset.$': '$.dataset',
        bucket: landing.bucketName,
        'key.$': '$.key',
        'etag.$': '$.etag',
        'size.$': '$.size',
        // No landedAt: the item reader's LastModified is epoch seconds, not the ISO time
        // FileState carries; Validate takes it from the object's own LastModified instead.
        execution: name,
      }),
      resultPath: sfn.JsonPath.DISCARD,
    });
    // Start-call faults and the account's running-execution limit are retried; nothing else is.
    start.addRetry({
      errors: ['StepFunctions.ExecutionLimitExceededException', 'StepFunctions.AWSStepFunctionsException', 'StepFunctions.SdkClientException'],
      interval: Duration.seconds(5),
      backoffRate: 2,
      maxAttempts: 8,
      maxDelay: Duration.seconds(120),
      jitterStrategy: sfn.JitterType.FULL,
    });
    // An earlier run of the same replay already started this file: fine, and not worth a retry.
    start.addCatch(new sfn.Pass(this, 'AlreadyStarted'), { errors: ['StepFunctions.ExecutionAlreadyExistsException'] });
    // The file was quarantined or failed: its own execution reported it (failed queue); the replay goes on.
    start.addCatch(new sfn.Pass(this, 'FileDidNotSucceed'), { errors: ['States.TaskFailed'] });

    // Only what the dataset's rule would have routed (its suffixes), as the dispatcher does.
    const routed = sfn.Condition.or(
      ...config.datasets.map((d) =>
        sfn.Condition.and(
          sfn.Condition.stringEquals('$.dataset', d.name),
          sfn.Condition.or(...d.suffixes.map((x) => sfn.Condition.stringMatches('$.key', `*${x}`))),
        ),
      ),
    );
    const perFile = new sfn.Choice(this, 'Routed suffix?').when(routed, start).otherwise(new sfn.Pass(this, 'Skip'));

    const map = new sfn.DistributedMap(this, 'EachLandedFile', {
      itemReader: new sfn.S3ObjectsItemReader({ bucket: landing, prefix: sfn.JsonPath.stringAt('$.prefix') }),
      itemSelector: {
        'dataset.$': '$.dataset',
        'runId.$': '$.runId',
        'key.$': '$$.Map.Item.Value.Key',
        'etag.$': '$$.Map.Item.Value.Etag',
        'size.$': '$$.Map.Item.Value.Size',
      },
      maxConcurrency: config.concurrency.replayFiles,
      toleratedFailurePercentage: 0,
      resultPath: sfn.JsonPath.DISCARD,
    });
    map.itemProcessor(perFile);

    const logGroup = new logs.LogGroup(this, 'Logs', {
      logGroupName: `/aws/vendedlogs/states/${config.name}-${config.envName}-replay-${this.node.addr.slice(0, 8)}`,
      retention: retentionDays(config.logRetentionDays),
      removalPolicy: removalPolicy(config),
    });
    this.stateMachine = new sfn.StateMachine(this, 'ReplayMachine', {
      definitionBody: sfn.DefinitionBody.fromChainable(map),
      stateMachineType: sfn.StateMachineType.STANDARD,
      timeout: Duration.hours(24),
      tracingEnabled: true,
      logs: { destination: logGroup, level: sfn.LogLevel.ALL, includeExecutionData: true },
      comment: 'Replay/backfill: Distributed Map over landed files -> one file-pipeline execution each',
    });
    // No landing grant of our own: the item reader's policy (s3:ListBucket on the landing bucket) is all a replay needs.
    filePipeline.grantStartExecution(this.stateMachine);
    const stack = Stack.of(this);
    const child = stack.getLogicalId(filePipeline.node.defaultChild as CfnElement);
    const self = stack.getLogicalId(this.stateMachine.node.defaultChild as CfnElement);
    NagSuppressions.addResourceSuppressions(
      this.stateMachine,
      [
        {
          id: 'AwsSolutions-IAM5',
          reason:
            "Waiting for a child (startExecution.sync:2) needs DescribeExecution/StopExecution on the file pipeline's executions, whose names are per file; the Distributed Map starts executions of its own state machine.",
          // The file pipeline's executions (children), and this machine's own (Distributed Map runs);
          // region and account are tokens or literals depending on the stack's env.
          appliesTo: [{ regex: executionsOf(child, '\\*') }, { regex: executionsOf(self, ':\\*|\\/\\*:\\*') }],
        },
      ],
      true,
    );
  }
}

/** cdk-nag's rendering of `arn:…:execution:<name of state machine logicalId><suffix>`, as an appliesTo regex. */
function executionsOf(logicalId: string, suffix: string): string {
  const name = `\\{"Fn::Select":\\[6,\\{"Fn::Split":\\[":",\\{"Ref":"${logicalId}"\\}\\]\\}\\]\\}`;
  return `/^Resource::arn:<AWS::Partition>:states:(<AWS::Region>|[a-z0-9-]+):(<AWS::AccountId>|[0-9]+):execution:${name}(${suffix})$/g`;
}

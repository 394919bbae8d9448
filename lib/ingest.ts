import { Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import type { PipelineConfig } from './config';
import { deadLetterQueue, secureQueue } from './queues';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { stageFunction } from './stage-function';

export interface IngestProps {
  config: PipelineConfig;
  landing: s3.IBucket;
  stateMachine: sfn.IStateMachine;
}

/**
 * S3 Object Created → one EventBridge rule per dataset (prefix + suffix) →
 * the ingest queue → the dispatcher, which starts one execution per file.
 * Both the rule target and the queue have dead-letter queues.
 */
export class Ingest extends Construct {
  readonly queue: sqs.Queue;
  readonly dlq: sqs.Queue;
  readonly targetDlq: sqs.Queue;
  readonly rules: Record<string, events.Rule> = {};
  readonly dispatcher: lambda.Function;

  constructor(scope: Construct, id: string, props: IngestProps) {
    super(scope, id);
    const { config, landing, stateMachine } = props;
    const dispatchTimeout = Duration.seconds(config.ingest.dispatchTimeoutSeconds);

    const { queue, dlq } = secureQueue(this, 'Ingest', {
      // AWS guidance for Lambda event sources: at least 6x the function timeout.
      visibilityTimeout: Duration.seconds(dispatchTimeout.toSeconds() * 6),
      maxReceiveCount: config.ingest.maxReceiveCount,
    });
    this.queue = queue;
    this.dlq = dlq;
    this.targetDlq = deadLetterQueue(this, 'RuleTargetDlq');
    NagSuppressions.addResourceSuppressions(this.targetDlq, [
      {
        id: 'AwsSolutions-SQS3',
        reason: 'This queue is the EventBridge rule target dead-letter queue: the last stop, alarmed on, redriven with `pipeline redrive target`.',
      },
    ]);

    for (const d of config.datasets) {
      const rule = new events.Rule(this, `Rule-${d.name}`, {
        description: `S3 Object Created under landing/${d.name}/ (${d.suffixes.join(', ')}) -> ingest queue`,
        eventPattern: {
          source: ['aws.s3'],
          detailType: ['Object Created'],
          detail: {
            bucket: { name: [landing.bucketName] },
            // Wildcard ANDs prefix and suffix in one matcher; a list ORs the suffixes.
            object: { key: d.suffixes.map((s) => ({ wildcard: `landing/${d.name}/*${s}` })) },
          },
        },
      });
      rule.addTarget(new targets.SqsQueue(queue, { deadLetterQueue: this.targetDlq, retryAttempts: 20, maxEventAge: Duration.hours(24) }));
      this.rules[d.name] = rule;
    }

    this.dispatcher = stageFunction(this, 'Dispatcher', {
      config,
      entry: 'dispatch',
      description: 'Starts one Step Functions execution per landed file (idempotent name)',
      timeout: dispatchTimeout,
      memoryMb: 256,
      environment: {
        STATE_MACHINE_ARN: stateMachine.stateMachineArn,
        PIPELINE_DATASETS: JSON.stringify(Object.fromEntries(config.datasets.map((d) => [d.name, d.suffixes]))),
      },
    });
    stateMachine.grantStartExecution(this.dispatcher);
    this.dispatcher.addEventSource(
      new SqsEventSource(queue, {
        batchSize: config.ingest.batchSize,
        maxBatchingWindow: Duration.seconds(1),
        reportBatchItemFailures: true,
        maxConcurrency: config.concurrency.dispatchers,
      }),
    );
  }
}

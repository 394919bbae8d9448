import * as cw from 'aws-cdk-lib/aws-cloudwatch';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { PERIOD, RUNBOOK, type AlarmFactory } from './alarm-factory';

export interface QueueMonitoringProps {
  factory: AlarmFactory;
  ingestQueue: sqs.IQueue;
  ingestDlq: sqs.IQueue;
  targetDlq: sqs.IQueue;
  failedQueue: sqs.IQueue;
  failedDlq: sqs.IQueue;
  maxMessageAgeSeconds: number;
  /** Age of the oldest failed-file message that means nobody is working the failed queue. */
  maxFailedAgeSeconds: number;
}

/** Dead-letter queues (anything in them is lost work), the ingest backlog, and the failed queue. */
export class QueueMonitoring extends Construct {
  /** Pipeline faults: DLQs and the ingest backlog. */
  readonly pipelineAlarms: cw.Alarm[];
  /** A file failed (bad data or a fault); someone has to look at it. */
  readonly failedQueueVisible: cw.Alarm;
  /** Failed files nobody has worked for days: they expire after 14. */
  readonly failedQueueAge: cw.Alarm;

  constructor(scope: Construct, id: string, props: QueueMonitoringProps) {
    super(scope, id);
    const { factory } = props;
    const max = { period: PERIOD, statistic: cw.Stats.MAXIMUM };

    const dlq = (alarmId: string, what: string, queue: sqs.IQueue, summary: string) =>
      factory.metricAlarm(this, alarmId, {
        what,
        metric: queue.metricApproximateNumberOfMessagesVisible(max),
        threshold: 0,
        summary,
        runbook: RUNBOOK.dlq,
        routing: 'child',
      });

    this.pipelineAlarms = [
      dlq(
        'IngestDlq',
        'ingest-dlq-visible',
        props.ingestDlq,
        'S3 events the dispatcher failed to start an execution for (maxReceiveCount times) are in the ingest DLQ; those files are not being processed. Recover with `pipeline redrive ingest`.',
      ),
      dlq(
        'TargetDlq',
        'target-dlq-visible',
        props.targetDlq,
        'EventBridge could not deliver S3 events to the ingest queue (rule-target DLQ); those files are not being processed. Recover with `pipeline redrive target`.',
      ),
      dlq(
        'FailedDlq',
        'failed-dlq-visible',
        props.failedDlq,
        'Failed-file messages were received and not deleted maxReceiveCount times (failed DLQ). Recover with `pipeline redrive failed`.',
      ),
      factory.metricAlarm(this, 'IngestAge', {
        what: 'ingest-oldest-message-age',
        metric: props.ingestQueue.metricApproximateAgeOfOldestMessage(max),
        threshold: props.maxMessageAgeSeconds,
        summary: `The oldest S3 event in the ingest queue is older than ${props.maxMessageAgeSeconds} s: the dispatcher is not keeping up or is failing.`,
        runbook: RUNBOOK.ingestAge,
        routing: 'child',
      }),
    ];

    this.failedQueueVisible = factory.metricAlarm(this, 'FailedQueue', {
      what: 'failed-queue-visible',
      metric: props.failedQueue.metricApproximateNumberOfMessagesVisible(max),
      threshold: 0,
      summary: 'A file failed (quarantined or a pipeline fault) and its message is waiting on the failed queue.',
      runbook: RUNBOOK.failedQueue,
      routing: 'child',
    });

    this.failedQueueAge = factory.metricAlarm(this, 'FailedQueueAge', {
      what: 'failed-queue-age',
      metric: props.failedQueue.metricApproximateAgeOfOldestMessage(max),
      threshold: props.maxFailedAgeSeconds,
      summary: `A failed-file message has waited more than ${props.maxFailedAgeSeconds / 3600} h on the failed queue: nobody is working it, and messages expire after 14 days.`,
      runbook: RUNBOOK.failedQueueAge,
      routing: 'warning',
    });
  }
}

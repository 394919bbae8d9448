import { Duration } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';

export interface SecureQueueProps {
  visibilityTimeout: Duration;
  maxReceiveCount: number;
  /** @default 4 days */
  retentionPeriod?: Duration;
}

/** An SSE, TLS-only queue with its own dead-letter queue (14 days to act on it). */
export function secureQueue(scope: Construct, id: string, props: SecureQueueProps): { queue: sqs.Queue; dlq: sqs.Queue } {
  const dlq = new sqs.Queue(scope, `${id}Dlq`, {
    encryption: sqs.QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
    retentionPeriod: Duration.days(14),
  });
  const queue = new sqs.Queue(scope, `${id}Queue`, {
    encryption: sqs.QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
    visibilityTimeout: props.visibilityTimeout,
    retentionPeriod: props.retentionPeriod ?? Duration.days(4),
    deadLetterQueue: { queue: dlq, maxReceiveCount: props.maxReceiveCount },
  });
  return { queue, dlq };
}

/** A dead-letter queue that is itself a terminal store (rule-target DLQ). */
export function deadLetterQueue(scope: Construct, id: string): sqs.Queue {
  return new sqs.Queue(scope, id, { encryption: sqs.QueueEncryption.SQS_MANAGED, enforceSSL: true, retentionPeriod: Duration.days(14) });
}

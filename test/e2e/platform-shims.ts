import { PutMetricDataCommand, type MetricDatum } from '@aws-sdk/client-cloudwatch';
import { FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { cw, logs, sqs } from './helpers';

/**
 * PLATFORM SHIMS. MiniStack evaluates alarms and publishes to SNS, but it does
 * not turn EMF log lines into metrics, nor publish AWS/SQS metrics. These
 * produce those metrics from the same sources AWS uses, so that the emulator's
 * own alarm engine evaluates the real alarm definitions. They never set an
 * alarm's state. Against LocalStack Pro (which does both), they are redundant
 * but harmless.
 */

/** AWS/SQS ApproximateNumberOfMessagesVisible, as SQS publishes it every minute, from the queue's attributes. */
export async function shimSqsMetrics(queueUrl: string): Promise<number> {
  const a = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessages'] }));
  const visible = Number(a.Attributes?.ApproximateNumberOfMessages ?? 0);
  const queueName = queueUrl.split('/').pop()!;
  await cw.send(
    new PutMetricDataCommand({
      Namespace: 'AWS/SQS',
      MetricData: [
        {
          MetricName: 'ApproximateNumberOfMessagesVisible',
          Dimensions: [{ Name: 'QueueName', Value: queueName }],
          Value: visible,
          Unit: 'Count',
          Timestamp: new Date(),
        },
      ],
    }),
  );
  return visible;
}

interface EmfDoc {
  _aws: { Timestamp: number; CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string; Unit?: string }[] }[] };
  [k: string]: unknown;
}

/**
 * CloudWatch's EMF extraction: read a function's log group and publish every
 * embedded-metric document once, with exactly the dimensions it declares.
 */
export class EmfForwarder {
  private readonly seen = new Set<string>();

  constructor(private readonly logGroupName: string) {}

  async forward(): Promise<number> {
    let token: string | undefined;
    let sent = 0;
    do {
      const r = await logs.send(new FilterLogEventsCommand({ logGroupName: this.logGroupName, nextToken: token }));
      for (const e of r.events ?? []) {
        const id = e.eventId ?? `${e.timestamp}:${e.message}`;
        if (this.seen.has(id) || !e.message?.includes('"_aws"')) continue;
        this.seen.add(id);
        let doc: EmfDoc;
        try {
          doc = JSON.parse(e.message.slice(e.message.indexOf('{')));
        } catch {
          continue;
        }
        for (const d of doc._aws?.CloudWatchMetrics ?? []) {
          const data: MetricDatum[] = [];
          for (const dims of d.Dimensions) {
            for (const m of d.Metrics) {
              const value = doc[m.Name];
              if (typeof value !== 'number') continue;
              data.push({
                MetricName: m.Name,
                Dimensions: dims.map((n) => ({ Name: n, Value: String(doc[n]) })),
                Value: value,
                Unit: (m.Unit as MetricDatum['Unit']) ?? 'None',
                Timestamp: new Date(),
              });
            }
          }
          if (data.length) {
            await cw.send(new PutMetricDataCommand({ Namespace: d.Namespace, MetricData: data }));
            sent += data.length;
          }
        }
      }
      token = r.nextToken;
    } while (token);
    return sent;
  }
}

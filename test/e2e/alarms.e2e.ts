import { DescribeAlarmHistoryCommand, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { GetFunctionConfigurationCommand, InvokeCommand } from '@aws-sdk/client-lambda';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { cw, lambda, out, putLanding, RUN, s3, sns, sqs, stackFunctionName, waitFor, waitForManifest } from './helpers';
import { EmfForwarder, shimSqsMetrics } from './platform-shims';

const PREFIX = 'landing-to-lake-test-';
let inbox: string;
const notifications: { AlarmName?: string; NewStateValue?: string }[] = [];

async function alarmState(name: string): Promise<string | undefined> {
  const r = await cw.send(new DescribeAlarmsCommand({ AlarmNames: [name], AlarmTypes: ['MetricAlarm', 'CompositeAlarm'] }));
  return (r.MetricAlarms?.[0] ?? r.CompositeAlarms?.[0])?.StateValue;
}

/** Drain the SQS queue subscribed to the alarm topic. */
async function readInbox(): Promise<typeof notifications> {
  const r = await sqs.send(new ReceiveMessageCommand({ QueueUrl: inbox, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
  for (const m of r.Messages ?? []) {
    const body = JSON.parse(m.Body!);
    const msg = typeof body.Message === 'string' ? safeJson(body.Message) : body;
    notifications.push(msg);
  }
  return notifications;
}
const notified = async (alarm: string, state: string) => (await readInbox()).some((n) => n.AlarmName === alarm && n.NewStateValue === state);

/** The EMF forwarder of a function's log group (its LoggingConfig's group, as AWS writes there). */
async function emfOf(logicalIdPrefix: string): Promise<{ fn: string; emf: EmfForwarder }> {
  const fn = await stackFunctionName(logicalIdPrefix);
  const logGroup = (await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: fn }))).LoggingConfig?.LogGroup ?? `/aws/lambda/${fn}`;
  return { fn, emf: new EmfForwarder(logGroup) };
}

const safeJson = (s: string) => {
  try {
    return JSON.parse(s);
  } catch {
    return { raw: s };
  }
};

beforeAll(async () => {
  const q = await sqs.send(new CreateQueueCommand({ QueueName: `alarm-inbox-${RUN}` }));
  inbox = q.QueueUrl!;
  const arn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: inbox, AttributeNames: ['QueueArn'] }))).Attributes!.QueueArn;
  await sns.send(new SubscribeCommand({ TopicArn: out().AlarmTopicArn, Protocol: 'sqs', Endpoint: arn, Attributes: { RawMessageDelivery: 'false' } }));
});

describe('alarms reach people', () => {
  it.concurrent('a consumer that keeps failing: the message reaches the ingest DLQ, the DLQ alarm fires and a notification arrives', async () => {
    // A message the dispatcher can never process (not JSON): it reports it failed every time.
    await sqs.send(new SendMessageCommand({ QueueUrl: out().IngestQueueUrl, MessageBody: `{not json ${RUN}` }));
    const visible = await waitFor('message in the ingest DLQ', async () => shimSqsMetrics(out().IngestDlqUrl), 480_000, 3000);
    expect(visible).toBeGreaterThan(0);
    const dlqAlarm = `${PREFIX}ingest-dlq-visible`;
    await waitFor(
      `${dlqAlarm} in ALARM`,
      async () => {
        await shimSqsMetrics(out().IngestDlqUrl);
        return (await alarmState(dlqAlarm)) === 'ALARM';
      },
      90_000,
      2000,
    );
    // The DLQ alarm pages through the pipeline-wide composite.
    await waitFor('pipeline-failing notification on the alarm topic', () => notified(`${PREFIX}pipeline-failing`, 'ALARM'), 60_000, 1000);
  }, 660_000);

  it.concurrent("a file quarantined whole: its dataset's files-quarantined warning (a plain metric alarm) notifies the alarm topic", async () => {
    const { emf } = await emfOf('OrchestrationQuarantine');
    const key = `landing/orders/e2e-${RUN}-alarm-poison.csv`;
    const { at } = await putLanding(key, readFileSync('samples/sales/sales_poison.csv'));
    expect((await waitForManifest('orders', key, at)).status).toBe('quarantined');
    const alarm = `${PREFIX}orders-files-quarantined`;
    await waitFor('FilesQuarantined forwarded', async () => (await emf.forward()) > 0, 60_000, 1000);
    await waitFor(`${alarm} in ALARM`, async () => (await alarmState(alarm)) === 'ALARM', 90_000, 1000);
    await waitFor(`${alarm} notification on the alarm topic`, () => notified(alarm, 'ALARM'), 60_000, 1000);
  }, 300_000);

  it.concurrent('freshness: a dataset with no file within its SLA alarms, and returns to OK after a file loads', async () => {
    const { fn, emf } = await emfOf('MonitoringFreshnessChecker');
    const alarm = `${PREFIX}events-freshness`;
    // Stand-in for time passing: the checker's own first-seen marker, ten minutes ago.
    await s3.send(
      new PutObjectCommand({
        Bucket: out().LakeBucketName,
        Key: '_state/freshness/events.first-seen.json',
        Body: JSON.stringify({ dataset: 'events', at: new Date(Date.now() - 10 * 60_000).toISOString() }),
      }),
    );
    const check = async () => {
      await lambda.send(new InvokeCommand({ FunctionName: fn }));
      await waitFor('EMF forwarded', async () => (await emf.forward()) > 0, 30_000, 500);
    };
    await check();
    // CloudWatch evaluates an alarm once a minute.
    await waitFor(`${alarm} in ALARM`, async () => (await alarmState(alarm)) === 'ALARM', 90_000, 1000);
    // The dataset's composite follows its child.
    expect(await alarmState(`${PREFIX}events-unhealthy`)).toBe('ALARM');

    const key = `landing/events/e2e-${RUN}.jsonl`;
    const { at } = await putLanding(key, '{"event_id":"e1","user_id":"u1","event_type":"view","value":1,"ts":"2026-11-20T10:00:00Z"}\n');
    await waitForManifest('events', key, at);
    // The alarm looks at the maximum over its window (2 x 1 minute): OK once the stale points age out.
    const loadedAt = new Date();
    await waitFor(
      `${alarm} back to OK`,
      async () => {
        await check();
        const h = await cw.send(new DescribeAlarmHistoryCommand({ AlarmName: alarm, StartDate: loadedAt }));
        return (h.AlarmHistoryItems ?? []).some((i) => /ALARM to OK/.test(i.HistorySummary ?? ''));
      },
      240_000,
      10_000,
    );
  }, 420_000);
});

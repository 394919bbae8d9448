import {
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ListMessageMoveTasksCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
  StartMessageMoveTaskCommand,
} from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { moveMessages, moveTaskUnavailable, redrive, type QueueOps } from '../../src/cli/ops/redrive';

/** An in-memory queue with SQS's visibility semantics that fails the sends it is told to. */
function fakeQueue(bodies: string[]) {
  const messages = bodies.map((body, i) => ({ id: String(i), body, receipt: `r${i}`, inflight: false }));
  const deleted: string[] = [];
  const ops: QueueOps = {
    async receive(max) {
      const batch = messages.filter((m) => !m.inflight && !deleted.includes(m.receipt)).slice(0, max);
      for (const m of batch) m.inflight = true; // invisible until the visibility timeout (never, here)
      return batch;
    },
    async send() {},
    async delete(receipts) {
      deleted.push(...receipts);
    },
  };
  return { ops, deleted, remaining: () => messages.filter((m) => !deleted.includes(m.receipt)).map((m) => m.body) };
}

describe('receive-send-delete redrive loop', () => {
  it('a message whose send failed is never deleted; the others move; counts are exact', async () => {
    const dlq = fakeQueue(Array.from({ length: 25 }, (_, i) => `m${i}`));
    const target: string[] = [];
    const progress: number[] = [];
    const p = await moveMessages(
      dlq.ops,
      {
        send: async (b) => {
          if (b === 'm3' || b === 'm17') throw new Error('ThrottlingException');
          target.push(b);
        },
      },
      { onProgress: (x) => progress.push(x.moved) },
    );
    expect(p).toEqual({ moved: 23, failed: 2 });
    expect(dlq.remaining()).toEqual(['m3', 'm17']);
    expect(target).toHaveLength(23);
    expect(target).not.toContain('m3');
    expect(progress.at(-1)).toBe(23);
  });

  it('deletes only after the send resolved', async () => {
    const dlq = fakeQueue(['a']);
    const order: string[] = [];
    const ops = { ...dlq.ops, delete: async (r: string[]) => void order.push(`delete ${r}`) };
    await moveMessages(ops, { send: async (b) => void order.push(`send ${b}`) });
    expect(order).toEqual(['send a', 'delete r0']);
  });

  it('stops at --max', async () => {
    const dlq = fakeQueue(Array.from({ length: 30 }, (_, i) => `m${i}`));
    expect(await moveMessages(dlq.ops, { send: async () => {} }, { max: 12 })).toEqual({ moved: 12, failed: 0 });
    expect(dlq.remaining()).toHaveLength(18);
  });
});

describe('redrive against SQS', () => {
  const sqs = mockClient(SQSClient);
  afterEach(() => sqs.reset());
  const client = new SQSClient({ region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
  const attrs = () =>
    sqs.on(GetQueueAttributesCommand).callsFake((i: { QueueUrl: string }) => ({
      Attributes: { QueueArn: `arn:aws:sqs:us-east-1:1:${i.QueueUrl.split('/').pop()}`, ApproximateNumberOfMessages: '1' },
    }));

  it('uses an SQS message move task when the endpoint has one, and waits for it', async () => {
    attrs();
    sqs.on(StartMessageMoveTaskCommand).resolves({ TaskHandle: 'h1' });
    sqs
      .on(ListMessageMoveTasksCommand)
      .resolvesOnce({ Results: [{ TaskHandle: 'h1', Status: 'RUNNING', ApproximateNumberOfMessagesMoved: 3 }] })
      .resolves({ Results: [{ TaskHandle: 'h1', Status: 'COMPLETED', ApproximateNumberOfMessagesMoved: 7 }] });
    const seen: number[] = [];
    const r = await redrive(client, 'http://q/dlq', 'http://q/src', { pollMs: 1, onProgress: (p) => seen.push(p.moved) });
    expect(r).toEqual({ moved: 7, failed: 0, method: 'move-task' });
    expect(seen).toEqual([3, 7]);
    expect(sqs.commandCalls(StartMessageMoveTaskCommand)[0].args[0].input).toEqual({
      SourceArn: 'arn:aws:sqs:us-east-1:1:dlq',
      DestinationArn: 'arn:aws:sqs:us-east-1:1:src',
    });
    expect(sqs.commandCalls(ReceiveMessageCommand)).toHaveLength(0);
  });

  it('falls back to the loop where move tasks are unsupported, and deletes nothing it could not send', async () => {
    attrs();
    sqs.on(StartMessageMoveTaskCommand).rejects(
      Object.assign(new Error('The action StartMessageMoveTask is not valid for this endpoint.'), {
        name: 'InvalidAction',
        $metadata: { httpStatusCode: 400 },
      }),
    );
    sqs
      .on(ReceiveMessageCommand)
      .resolvesOnce({
        Messages: [
          { MessageId: '1', Body: '{"ok":1}', ReceiptHandle: 'h-ok' },
          { MessageId: '2', Body: '{"bad":1}', ReceiptHandle: 'h-bad' },
        ],
      })
      .resolves({ Messages: [] });
    sqs.on(SendMessageCommand).callsFake((i: { MessageBody: string }) => {
      if (i.MessageBody.includes('bad')) throw Object.assign(new Error('KMS throttled'), { name: 'KmsThrottled' });
      return { MessageId: 'x' };
    });
    sqs.on(DeleteMessageBatchCommand).resolves({ Successful: [{ Id: '0' }], Failed: [] });
    const r = await redrive(client, 'http://q/dlq', 'http://q/src');
    expect(r).toEqual({ moved: 1, failed: 1, method: 'loop' });
    // Bodies go unchanged to the source queue; only the sent message is deleted.
    expect(sqs.commandCalls(SendMessageCommand).map((c) => [c.args[0].input.QueueUrl, c.args[0].input.MessageBody])).toEqual([
      ['http://q/src', '{"ok":1}'],
      ['http://q/src', '{"bad":1}'],
    ]);
    const deletes = sqs.commandCalls(DeleteMessageBatchCommand);
    expect(deletes).toHaveLength(1);
    expect(deletes[0].args[0].input).toMatchObject({ QueueUrl: 'http://q/dlq', Entries: [{ ReceiptHandle: 'h-ok' }] });
  });

  it('forceLoop (the rule-target DLQ) and --max never start a move task', async () => {
    attrs();
    sqs.on(ReceiveMessageCommand).resolves({ Messages: [] });
    await redrive(client, 'http://q/dlq', 'http://q/src', { forceLoop: true });
    await redrive(client, 'http://q/dlq', 'http://q/src', { max: 5 });
    expect(sqs.commandCalls(StartMessageMoveTaskCommand)).toHaveLength(0);
  });

  it('a failed move task is an error, not a silent fallback', async () => {
    attrs();
    sqs.on(StartMessageMoveTaskCommand).resolves({ TaskHandle: 'h1' });
    sqs.on(ListMessageMoveTasksCommand).resolves({ Results: [{ TaskHandle: 'h1', Status: 'FAILED', FailureReason: 'AccessDenied on kms:Decrypt' }] });
    await expect(redrive(client, 'http://q/dlq', 'http://q/src', { pollMs: 1 })).rejects.toThrow(/move task FAILED: AccessDenied on kms:Decrypt/);
  });

  it('recognises "unsupported" answers', () => {
    expect(moveTaskUnavailable(Object.assign(new Error('x'), { name: 'InvalidAction' }))).toBe(true);
    expect(moveTaskUnavailable(Object.assign(new Error('x'), { name: 'UnsupportedOperation' }))).toBe(true);
    expect(moveTaskUnavailable(Object.assign(new Error('x'), { name: 'UnknownError', $metadata: { httpStatusCode: 404 } }))).toBe(true);
    expect(moveTaskUnavailable(Object.assign(new Error('x'), { name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } }))).toBe(false);
  });
});

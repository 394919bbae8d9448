import {
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  type SQSClient,
  StartMessageMoveTaskCommand,
  ListMessageMoveTasksCommand,
} from '@aws-sdk/client-sqs';

/** The minimal queue operations the fallback redrive needs (fakeable in tests). */
export interface QueueOps {
  receive(max: number): Promise<{ id: string; body: string; receipt: string; attributes?: Record<string, string> }[]>;
  send(body: string): Promise<void>;
  delete(receipts: string[]): Promise<void>;
}

export interface RedriveProgress {
  moved: number;
  failed: number;
}

/**
 * Receive → send → delete, one batch at a time. A message is deleted from the
 * DLQ only after its copy was accepted by the source queue; a failed send
 * leaves it in the DLQ (it becomes visible again) and is counted.
 */
export async function moveMessages(
  from: QueueOps,
  to: Pick<QueueOps, 'send'>,
  opts: { max?: number; onProgress?: (p: RedriveProgress) => void } = {},
): Promise<RedriveProgress> {
  const p: RedriveProgress = { moved: 0, failed: 0 };
  const max = opts.max ?? Number.POSITIVE_INFINITY;
  let emptyPolls = 0;
  while (p.moved + p.failed < max && emptyPolls < 2) {
    const batch = await from.receive(Math.min(10, max - p.moved - p.failed));
    if (!batch.length) {
      emptyPolls++;
      continue;
    }
    emptyPolls = 0;
    const sent: string[] = [];
    for (const m of batch) {
      try {
        await to.send(m.body);
        sent.push(m.receipt);
      } catch {
        p.failed++;
      }
    }
    if (sent.length) await from.delete(sent);
    p.moved += sent.length;
    opts.onProgress?.(p);
    // Every message of this batch failed to send: stop rather than spin on them.
    if (!sent.length) break;
  }
  return p;
}

export function sqsQueueOps(sqs: SQSClient, url: string): QueueOps {
  return {
    async receive(max) {
      const r = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: max, WaitTimeSeconds: 1, VisibilityTimeout: 60 }));
      return (r.Messages ?? []).map((m) => ({ id: m.MessageId!, body: m.Body ?? '', receipt: m.ReceiptHandle! }));
    },
    async send(body) {
      await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: body }));
    },
    async delete(receipts) {
      const r = await sqs.send(new DeleteMessageBatchCommand({ QueueUrl: url, Entries: receipts.map((h, i) => ({ Id: String(i), ReceiptHandle: h })) }));
      if (r.Failed?.length)
        throw new Error(`could not delete ${r.Failed.length} redriven message(s) from the DLQ; they may be redriven twice (the pipeline is idempotent)`);
    },
  };
}

export async function queueArn(sqs: SQSClient, url: string): Promise<string> {
  const a = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }));
  return a.Attributes!.QueueArn!;
}

export async function visibleCount(sqs: SQSClient, url: string): Promise<number> {
  const a = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['ApproximateNumberOfMessages'] }));
  return Number(a.Attributes?.ApproximateNumberOfMessages ?? 0);
}

/** The endpoint has no SQS message move tasks (emulators) or will not run one for this queue pair. */
export function moveTaskUnavailable(e: unknown): boolean {
  const err = e as Error & { Code?: string; $metadata?: { httpStatusCode?: number } };
  const code = `${err.name ?? ''} ${err.Code ?? ''}`;
  if (/UnsupportedOperation|InvalidAction|UnknownOperation|NotImplemented|InvalidParameterValue|AccessDenied|ResourceNotFound/i.test(code)) return true;
  const status = err.$metadata?.httpStatusCode;
  return status === 404 || status === 501;
}

/**
 * SQS's own redrive (StartMessageMoveTask) when the endpoint has it; otherwise
 * the receive-send-delete loop. StartMessageMoveTask only moves out of queues
 * that are SQS dead-letter queues of another queue (not the EventBridge
 * rule-target DLQ) and cannot stop at a count, so `forceLoop` / `max` use the
 * loop. Returns how it moved and how many.
 */
export async function redrive(
  sqs: SQSClient,
  dlqUrl: string,
  sourceUrl: string,
  opts: { max?: number; onProgress?: (p: RedriveProgress) => void; forceLoop?: boolean; pollMs?: number; waitMs?: number } = {},
): Promise<RedriveProgress & { method: 'move-task' | 'loop'; running?: boolean }> {
  if (!opts.forceLoop && opts.max === undefined) {
    let handle: string | undefined;
    const dlqArn = await queueArn(sqs, dlqUrl);
    try {
      const r = await sqs.send(new StartMessageMoveTaskCommand({ SourceArn: dlqArn, DestinationArn: await queueArn(sqs, sourceUrl) }));
      handle = r.TaskHandle;
    } catch (e) {
      if (!moveTaskUnavailable(e)) throw e;
      // Endpoint without move tasks (emulators), or not a redrive DLQ: fall back to the loop.
    }
    if (handle !== undefined) {
      const end = Date.now() + (opts.waitMs ?? 10 * 60_000);
      let moved = 0;
      for (;;) {
        const t = await sqs.send(new ListMessageMoveTasksCommand({ SourceArn: dlqArn, MaxResults: 10 }));
        const task = (t.Results ?? []).find((x) => !handle || x.TaskHandle === handle) ?? t.Results?.[0];
        if (task) {
          moved = Number(task.ApproximateNumberOfMessagesMoved ?? moved);
          opts.onProgress?.({ moved, failed: 0 });
          if (task.Status === 'COMPLETED') return { moved, failed: 0, method: 'move-task' };
          if (task.Status === 'FAILED' || task.Status === 'CANCELLED')
            throw new Error(`SQS message move task ${task.Status}: ${task.FailureReason ?? 'no reason given'} (${moved} moved)`);
        }
        if (Date.now() > end) return { moved, failed: 0, method: 'move-task', running: true };
        await new Promise((r) => setTimeout(r, opts.pollMs ?? 1000));
      }
    }
  }
  const p = await moveMessages(sqsQueueOps(sqs, dlqUrl), sqsQueueOps(sqs, sourceUrl), opts);
  return { ...p, method: 'loop' };
}

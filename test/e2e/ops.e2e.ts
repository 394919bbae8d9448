import { DeleteObjectCommand } from '@aws-sdk/client-s3';
import { ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { layout } from '../../lambdas/core/lake/layout';
import { main } from '../../src/cli/main';
import { executionsForKey, manifestOf, objectCreatedEvent, out, putLanding, RUN, s3, sqs, waitFor, waitForManifest } from './helpers';

/** Run the `pipeline` CLI in-process against the deployed test stack. */
async function pipeline(...args: string[]) {
  const lines: string[] = [];
  const errs: string[] = [];
  const code = await main([...args, '--config', 'test/e2e/pipeline.e2e.json', '--env', 'test'], { log: (s) => lines.push(s), err: (s) => errs.push(s) });
  return { code, out: lines.join('\n'), err: errs.join('\n') };
}

describe('operations', () => {
  it('status reports datasets, queues, alarms and failed executions', async () => {
    const r = await pipeline('status', '--json');
    expect(r.code).toBe(0);
    const s = JSON.parse(r.out);
    expect(s.stack).toBe('landing-to-lake-test');
    expect(s.datasets.map((d: { dataset: string }) => d.dataset)).toEqual(['orders', 'sales', 'events']);
    expect(Object.keys(s.queues)).toEqual(['IngestQueue', 'IngestDlq', 'RuleTargetDlq', 'FailedQueue', 'FailedDlq']);
    expect(s.alarms.length).toBeGreaterThan(10);
    const table = await pipeline('status', '--dataset', 'orders');
    expect(table.out).toMatch(/orders/);
  });

  it('reconcile: a processed file is gold; one whose outcome is unknown is missing (exit 1)', async () => {
    const key = `landing/orders/ops-${RUN}/good.csv`;
    const { at } = await putLanding(key, readFileSync('samples/orders/orders_v3.csv'));
    await waitForManifest('orders', key, at);
    const ok = await pipeline('reconcile', '--dataset', 'orders', '--json');
    const fate = (json: string, k: string) => JSON.parse(json).objects.find((o: { key: string }) => o.key === k)?.fate;
    expect(fate(ok.out, key)).toBe('gold');
    // Under the dataset prefix with a suffix no rule routes: reported, not missing.
    const unrouted = `landing/orders/ops-${RUN}/notes.txt`;
    await putLanding(unrouted, 'not a data file');
    await s3.send(new DeleteObjectCommand({ Bucket: out().LakeBucketName, Key: layout.manifest('orders', key) }));
    const bad = await pipeline('reconcile', '--dataset', 'orders', '--json');
    expect(bad.code).toBe(1);
    expect(fate(bad.out, key)).toBe('missing');
    expect(fate(bad.out, unrouted)).toBe('unrouted');
    const text = await pipeline('reconcile', '--dataset', 'orders');
    expect(text.code).toBe(1);
    expect(text.out).toMatch(new RegExp(`^missing\\s+${key.replace(/[.]/g, '\\.')}`, 'm'));
    expect(text.out).toMatch(/\d+ missing: no manifest and no running execution/);
  });

  it('replay runs landed files again, and the same replay twice starts nothing twice', async () => {
    const key = `landing/orders/ops-${RUN}-replay/r.csv`;
    const { at, versionId } = await putLanding(key, readFileSync('samples/orders/orders_v2.csv'));
    const first = await waitForManifest('orders', key, at);
    const r = await pipeline('replay', '--dataset', 'orders', '--prefix', `ops-${RUN}-replay/`, '--json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ files: 1, started: 1, alreadyStarted: 0, failed: 0 });
    const again = await waitFor('replayed manifest', async () => {
      const m = await manifestOf('orders', key);
      return m?.execution?.startsWith('replay-') ? m : undefined;
    });
    expect(Date.parse(again.finishedAt)).toBeGreaterThan(Date.parse(first.finishedAt));
    expect(again.counts).toEqual(first.counts);
    // The input the dispatcher builds, pinned to the object version that landed, same ingest date.
    // (MiniStack's S3 events carry no version-id, so the first manifest has none; AWS's do.)
    expect(again.source).toMatchObject({ key, etag: first.source.etag, versionId });
    expect(again.source.landedAt.slice(0, 10)).toBe(first.source.landedAt.slice(0, 10));
    const twice = await pipeline('replay', '--dataset', 'orders', '--prefix', `ops-${RUN}-replay/`, '--json');
    expect(JSON.parse(twice.out)).toMatchObject({ started: 0, alreadyStarted: 1 });
    expect((await executionsForKey(key)).filter((e) => e.name?.startsWith('replay-'))).toHaveLength(1);
  });

  it('a distributed replay (Distributed Map in the stack) re-runs every routed file under a prefix', async () => {
    const keys = [`landing/sales/ops-${RUN}-dist/a.csv`, `landing/sales/ops-${RUN}-dist/b.csv`];
    const firsts = [];
    for (const k of keys) {
      const { at } = await putLanding(k, readFileSync('samples/sales/sales_bad_rows.csv'));
      firsts.push(await waitForManifest('sales', k, at));
    }
    await putLanding(`landing/sales/ops-${RUN}-dist/notes.txt`, 'not routed');
    const r = await pipeline('replay', '--dataset', 'sales', '--prefix', `ops-${RUN}-dist/`, '--distributed', '--json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ files: 2, distributed: true });
    for (const k of keys) {
      const m = await waitFor(
        `replayed manifest of ${k}`,
        async () => {
          const x = await manifestOf('sales', k);
          return x?.execution?.startsWith('replay-') ? x : undefined;
        },
        90_000,
      );
      expect(m.status).toBe('succeeded');
      expect(m.execution).toMatch(/^replay-[0-9a-f]{8}-[0-9a-f]{64}$/);
      // landedAt comes from the object (ISO), not the item reader's epoch seconds.
      expect(m.source.landedAt).toMatch(/^\d{4}-\d{2}-\d{2}T/);
      expect(m.outputs.bronze).toContain(`ingest_date=${new Date().toISOString().slice(0, 10)}/`);
    }
    // The unrouted file was skipped by the map, as the dispatcher would have.
    expect(await manifestOf('sales', `landing/sales/ops-${RUN}-dist/notes.txt`)).toBeUndefined();
    const again = await pipeline('replay', '--dataset', 'sales', '--prefix', `ops-${RUN}-dist/`, '--distributed', '--json');
    expect(JSON.parse(again.out)).toMatchObject({ alreadyStarted: true });
  });

  it('redrive ingest moves DLQ messages back to the ingest queue, where they are processed', async () => {
    const key = `landing/orders/ops-${RUN}-redrive/d.csv`;
    const { at } = await putLanding(key, readFileSync('samples/orders/orders_v1.csv'));
    await waitForManifest('orders', key, at);
    // An event that "failed" earlier, parked in the DLQ (a distinct etag, so it is a new run).
    const event = objectCreatedEvent(out().LandingBucketName, { key, size: 79, etag: `redrive-${RUN}` }, `redrive-${RUN}`);
    await sqs.send(new SendMessageCommand({ QueueUrl: out().IngestDlqUrl, MessageBody: JSON.stringify(event) }));
    const r = await pipeline('redrive', 'ingest');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/redrove [1-9]\d* message\(s\) from the ingest DLQ/);
    const m = await waitFor('manifest of the redriven event', async () => {
      const x = await manifestOf('orders', key);
      return x?.source.etag === `redrive-${RUN}` ? x : undefined;
    });
    expect(m.status).toBe('succeeded');
  });

  it('redrive target: EventBridge events parked in the rule-target DLQ go to the ingest queue unchanged and are processed', async () => {
    const key = `landing/orders/ops-${RUN}-target/t.csv`;
    const { at } = await putLanding(key, readFileSync('samples/orders/orders_v1.csv'));
    await waitForManifest('orders', key, at);
    // What EventBridge puts in a target DLQ: the whole event as the body (the error is in attributes).
    const event = objectCreatedEvent(out().LandingBucketName, { key, size: 79, etag: `target-${RUN}` }, `ev-${RUN}`);
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: out().RuleTargetDlqUrl,
        MessageBody: JSON.stringify(event),
        MessageAttributes: { ERROR_CODE: { DataType: 'String', StringValue: 'SQS.AccessDenied' } },
      }),
    );
    const r = await pipeline('redrive', 'target', '--json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ queue: 'target', method: 'loop', failed: 0 });
    expect(JSON.parse(r.out).moved).toBeGreaterThanOrEqual(1);
    expect(r.err).toMatch(/redriving target: \d+ message\(s\) visible/);
    const m = await waitFor('manifest of the redriven target event', async () => {
      const x = await manifestOf('orders', key);
      return x?.source.etag === `target-${RUN}` ? x : undefined;
    });
    expect(m.status).toBe('succeeded');
  });

  it('redrive failed: the failed DLQ goes back to the failed queue', async () => {
    const marker = `failed-${RUN}`;
    await sqs.send(new SendMessageCommand({ QueueUrl: out().FailedDlqUrl, MessageBody: JSON.stringify({ marker }) }));
    const r = await pipeline('redrive', 'failed');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/redrove [1-9]\d* message\(s\) from the failed DLQ/);
    const found = await waitFor(
      'redriven message on the failed queue',
      async () => {
        const x = await sqs.send(
          new ReceiveMessageCommand({ QueueUrl: out().FailedQueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1, VisibilityTimeout: 30 }),
        );
        return (x.Messages ?? []).some((msg) => msg.Body?.includes(marker));
      },
      20_000,
    );
    expect(found).toBe(true);
  });
});

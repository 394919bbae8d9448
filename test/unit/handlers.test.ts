import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, HeadObjectCommand, NoSuchKey, NotFound, PutObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { describe, expect, it, vi } from 'vitest';
import { TransientError } from '../../lambdas/core/base/errors';
import { executionName } from '../../lambdas/core/lake/layout';
import { PreconditionFailed } from '../../lambdas/core/lake/store';
import { makeDispatch, type ExecutionStarter } from '../../lambdas/handlers/dispatch';
import type { FileState } from '../../lambdas/handlers/state';
import { S3ObjectStore } from '../../lambdas/shared/s3-store';
import { createTelemetry } from '../../lambdas/shared/telemetry';
import { s3ObjectCreated } from '../s3-events';

const s3Event = (key: string, version = 'v1', detailType = 'Object Created') => s3ObjectCreated('landing-b', key, version, detailType);
const sqs = (...bodies: unknown[]): SQSEvent => ({
  Records: bodies.map((b, i) => ({ messageId: `m${i}`, body: typeof b === 'string' ? b : JSON.stringify(b) }) as SQSRecord),
});

function dispatcher(starter: ExecutionStarter) {
  return makeDispatch({ ...createTelemetry({ silent: true }), starter, datasets: new Set(['orders']), suffixes: { orders: ['.csv'] } });
}

describe('dispatcher', () => {
  it('starts one execution per object version with a deterministic name and the file reference as input', async () => {
    const started: [string, FileState][] = [];
    const h = dispatcher({ start: async (name, input) => (started.push([name, input]), 'started') });
    const res = await h(sqs(s3Event('landing/orders/a.csv')));
    expect(res.batchItemFailures).toEqual([]);
    expect(started).toHaveLength(1);
    const [name, input] = started[0];
    expect(name).toBe(executionName('orders', 'landing-b', 'landing/orders/a.csv', 'v1'));
    expect(name).toMatch(/^orders-[0-9a-f]{40}$/);
    expect(input).toMatchObject({
      dataset: 'orders',
      bucket: 'landing-b',
      key: 'landing/orders/a.csv',
      versionId: 'v1',
      landedAt: '2026-11-22T10:00:00Z',
      execution: name,
    });
    // Another version of the same key is another execution.
    expect(executionName('orders', 'landing-b', 'landing/orders/a.csv', 'v2')).not.toBe(name);
  });

  it('treats ExecutionAlreadyExists (a redelivered event) as success', async () => {
    const h = dispatcher({ start: async () => 'duplicate' });
    expect((await h(sqs(s3Event('landing/orders/a.csv')))).batchItemFailures).toEqual([]);
  });

  it('ignores non-object events, unknown datasets and other suffixes without failing them', async () => {
    const start = vi.fn(async () => 'started' as const);
    const h = dispatcher({ start });
    const res = await h(
      sqs(s3Event('landing/orders/a.csv', 'v1', 'Object Deleted'), s3Event('landing/other/a.csv'), s3Event('landing/orders/a.txt'), { hello: 'world' }),
    );
    expect(res.batchItemFailures).toEqual([]);
    expect(start).not.toHaveBeenCalled();
  });

  it('reports only the failed messages of a batch for redelivery (and malformed JSON bodies)', async () => {
    const h = dispatcher({
      start: async (_n, input) => {
        if (input.key.endsWith('b.csv')) throw new Error('throttled');
        return 'started';
      },
    });
    const res = await h(sqs(s3Event('landing/orders/a.csv'), s3Event('landing/orders/b.csv'), '{not json'));
    // SQS reads the list as a set: order is whatever the records finished in.
    expect(res.batchItemFailures).toHaveLength(2);
    expect(res.batchItemFailures).toEqual(expect.arrayContaining([{ itemIdentifier: 'm1' }, { itemIdentifier: 'm2' }]));
  });
});

describe('dispatcher: event parsing (Powertools parser) and context', () => {
  it('takes an event put over IPv6 (the stock schema only takes IPv4)', async () => {
    const started: string[] = [];
    const h = dispatcher({ start: async (name) => (started.push(name), 'started') });
    const ev = s3Event('landing/orders/a.csv');
    ev.detail['source-ip-address'] = '2001:db8::1';
    expect((await h(sqs(ev))).batchItemFailures).toEqual([]);
    expect(started).toHaveLength(1);
  });

  it('fails (never ignores) an Object Created event it cannot read, so it reaches the DLQ and its alarm', async () => {
    const start = vi.fn(async () => 'started' as const);
    const h = dispatcher({ start });
    const noBucket = s3Event('landing/orders/a.csv') as Record<string, unknown>;
    noBucket.detail = { ...(noBucket.detail as object), bucket: undefined };
    const badTime = { ...s3Event('landing/orders/b.csv'), time: 'yesterday' };
    const res = await h(sqs(noBucket, badTime, s3Event('landing/orders/c.csv')));
    expect(res.batchItemFailures).toHaveLength(2);
    expect(res.batchItemFailures).toEqual(expect.arrayContaining([{ itemIdentifier: 'm0' }, { itemIdentifier: 'm1' }]));
    expect(start).toHaveBeenCalledTimes(1);
  });

  it("gives each invocation's context to the logger (request id and cold start on every line)", async () => {
    const lines: string[] = [];
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => (lines.push(String(chunk)), true));
    try {
      const { lazy } = await import('../../lambdas/handlers/state');
      const { logger } = createTelemetry();
      const h = lazy(async () => ({ handle: async (n: number) => (logger.info('working', { n }), n + 1), logger }));
      const ctx = {
        awsRequestId: 'req-1',
        functionName: 'fn',
        functionVersion: '$LATEST',
        invokedFunctionArn: 'arn:aws:lambda:eu-west-1:1:function:fn',
        memoryLimitInMB: '128',
      } as unknown as import('aws-lambda').Context;
      expect(await h(1, ctx)).toBe(2);
      expect(await h(2, { ...ctx, awsRequestId: 'req-2' })).toBe(3);
    } finally {
      spy.mockRestore();
    }
    const logged = lines.map((l) => JSON.parse(l)).filter((l) => l.message === 'working');
    // Cold start is per process (Powertools keeps it module-wide): only the later call is known to be warm here.
    expect(logged.map((l) => [l.function_request_id, l.function_name, typeof l.cold_start])).toEqual([
      ['req-1', 'fn', 'boolean'],
      ['req-2', 'fn', 'boolean'],
    ]);
    expect(logged[1].cold_start).toBe(false);
  });
});

describe('S3ObjectStore', () => {
  it('maps throttling and 5xx to TransientError, and a missing key to undefined', async () => {
    const mock = mockClient(S3Client);
    const store = new S3ObjectStore(new S3Client({ region: 'us-east-1' }));
    mock.on(HeadObjectCommand).rejects(new NotFound({ message: 'nope', $metadata: { httpStatusCode: 404 } }));
    expect(await store.head('b', 'k')).toBeUndefined();
    mock.on(GetObjectCommand).rejects(new S3ServiceException({ name: 'SlowDown', $fault: 'server', message: 'slow down', $metadata: { httpStatusCode: 503 } }));
    await expect(store.read('b', 'k')).rejects.toBeInstanceOf(TransientError);
    mock
      .on(GetObjectCommand)
      .rejects(new S3ServiceException({ name: 'AccessDenied', $fault: 'client', message: 'denied', $metadata: { httpStatusCode: 403 } }));
    await expect(store.read('b', 'k')).rejects.not.toBeInstanceOf(TransientError);
    mock.restore();
  });

  it('readTextTagged returns the ETag of the content it read (unquoted), and undefined for a missing key', async () => {
    const mock = mockClient(S3Client);
    const store = new S3ObjectStore(new S3Client({ region: 'us-east-1' }));
    // biome-ignore lint/suspicious/noExplicitAny: a stand-in for the SDK's stream body (only transformToString is read)
    mock.on(GetObjectCommand, { Key: 'k' }).resolves({ ETag: '"e9"', Body: { transformToString: async () => '[1]' } as any });
    mock.on(GetObjectCommand, { Key: 'gone' }).rejects(new NoSuchKey({ message: 'nope', $metadata: { httpStatusCode: 404 } }));
    expect(await store.readTextTagged('b', 'k')).toEqual({ text: '[1]', etag: 'e9' });
    expect(await store.readTextTagged('b', 'gone')).toBeUndefined();
    mock.restore();
  });

  it('writes user metadata with an object and returns it from head', async () => {
    const mock = mockClient(S3Client);
    const store = new S3ObjectStore(new S3Client({ region: 'us-east-1' }));
    const body = join(tmpdir(), `meta-${process.pid}`);
    writeFileSync(body, 'x');
    mock.on(PutObjectCommand).resolves({});
    await store.putFile('b', 'k', body, 'x/y', { ifMatch: 'abc' }, { 'partials-sha256': 'c0ffee' });
    await store.putFile('b', 'k', body, 'x/y');
    expect(mock.commandCalls(PutObjectCommand).map((c) => c.args[0].input.Metadata)).toEqual([{ 'partials-sha256': 'c0ffee' }, undefined]);
    mock.on(HeadObjectCommand).resolves({ ETag: '"e1"', ContentLength: 1, Metadata: { 'partials-sha256': 'c0ffee' } });
    expect(await store.head('b', 'k')).toMatchObject({ etag: 'e1', metadata: { 'partials-sha256': 'c0ffee' } });
    mock.restore();
  });

  it('sends conditional writes with a quoted ETag and turns 412, 409 and 404 into PreconditionFailed (other errors stay what they were)', async () => {
    const mock = mockClient(S3Client);
    const store = new S3ObjectStore(new S3Client({ region: 'us-east-1' }));
    const body = join(tmpdir(), `cond-${process.pid}`);
    writeFileSync(body, 'x');
    mock.on(PutObjectCommand).resolves({});
    await store.putFile('b', 'k', body, 'x/y', { ifMatch: 'abc' });
    await store.putFile('b', 'k', body, 'x/y', { ifNoneMatch: '*' });
    const sent = mock.commandCalls(PutObjectCommand).map((c) => [c.args[0].input.IfMatch, c.args[0].input.IfNoneMatch]);
    expect(sent).toEqual([
      ['"abc"', undefined],
      [undefined, '*'],
    ]);
    for (const [name, status] of [
      ['PreconditionFailed', 412],
      ['ConditionalRequestConflict', 409],
      ['NoSuchKey', 404],
    ] as const) {
      mock.on(PutObjectCommand).rejects(new S3ServiceException({ name, $fault: 'client', message: name, $metadata: { httpStatusCode: status } }));
      await expect(store.putFile('b', 'k', body, 'x/y', { ifMatch: 'abc' })).rejects.toBeInstanceOf(PreconditionFailed);
    }
    mock
      .on(PutObjectCommand)
      .rejects(new S3ServiceException({ name: 'AccessDenied', $fault: 'client', message: 'denied', $metadata: { httpStatusCode: 403 } }));
    await expect(store.putFile('b', 'k', body, 'x/y', { ifMatch: 'abc' })).rejects.not.toBeInstanceOf(PreconditionFailed);
    // Unconditional writes never become PreconditionFailed.
    mock.on(PutObjectCommand).rejects(new S3ServiceException({ name: 'NoSuchBucket', $fault: 'client', message: 'gone', $metadata: { httpStatusCode: 404 } }));
    await expect(store.putFile('b', 'k', body)).rejects.not.toBeInstanceOf(PreconditionFailed);
    mock.restore();
  });
});

import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
  UploadPartCommand,
  UploadPartCopyCommand,
} from '@aws-sdk/client-s3';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { mockClient } from 'aws-sdk-client-mock';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { TransientError } from '../../lambdas/core/base/errors';
import { PreconditionFailed } from '../../lambdas/core/lake/store';
import { S3ObjectStore } from '../../lambdas/shared/s3-store';

/**
 * CopyObject refuses sources past 5 GiB, and a plain CSV may have 8 GiB: past
 * the single-copy limit the store copies byte ranges as the parts of a
 * multipart upload; PutObject likewise, so a large silver or row file is
 * uploaded in parts. Limits are lowered here so small sizes take that path.
 */

const mock = mockClient(S3Client);
afterEach(() => mock.reset());

const store = (single: number, part: number) => new S3ObjectStore(new S3Client({ region: 'us-east-1' }), { single, part });
const from = (size?: number) => ({ bucket: 'landing', key: 'landing/sales/big file.csv', versionId: 'v 1', size });
const to = { bucket: 'lake', key: 'bronze/sales/big.csv' };
const SOURCE = 'landing/landing/sales/big%20file.csv?versionId=v%201';
/** What HeadObject says of the source: the parts copy from this content only, and its headers carry over. */
const headOf = (size: number) => ({ ContentLength: size, ETag: '"src-etag"', ContentType: 'text/csv', ContentEncoding: 'gzip', Metadata: { producer: 'erp' } });

describe('S3ObjectStore.copy', () => {
  it('one CopyObject up to the limit, or when the size is unknown', async () => {
    mock.on(CopyObjectCommand).resolves({});
    await store(100, 10).copy(from(100), to);
    await store(100, 10).copy(from(undefined), to);
    expect(mock.commandCalls(CopyObjectCommand).map((c) => c.args[0].input.CopySource)).toEqual([SOURCE, SOURCE]);
    expect(mock.commandCalls(CreateMultipartUploadCommand)).toHaveLength(0);
  });

  it('past the limit: parts whose ranges cover every byte once, in order, completed by number', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 101, max: 5000 }), fc.integer({ min: 1, max: 700 }), async (size, part) => {
        mock.reset();
        mock.on(HeadObjectCommand, { Bucket: 'landing', Key: from().key, VersionId: 'v 1' }).resolves(headOf(size));
        mock.on(CreateMultipartUploadCommand).resolves({ UploadId: 'u1' });
        mock.on(UploadPartCopyCommand).callsFake((i) => ({ CopyPartResult: { ETag: `"e${i.PartNumber}"` } }));
        mock.on(CompleteMultipartUploadCommand).resolves({});
        await store(100, part).copy(from(size), to);
        const ranges = mock
          .commandCalls(UploadPartCopyCommand)
          .map((c) => c.args[0].input)
          .sort((a, b) => a.PartNumber! - b.PartNumber!);
        let next = 0;
        for (const [i, r] of ranges.entries()) {
          expect([r.PartNumber, r.UploadId, r.CopySource, r.CopySourceIfMatch, r.Bucket, r.Key]).toEqual([i + 1, 'u1', SOURCE, '"src-etag"', 'lake', to.key]);
          const [, a, b] = /^bytes=(\d+)-(\d+)$/.exec(r.CopySourceRange!)!.map(Number);
          expect(a).toBe(next);
          expect(b - a + 1).toBeLessThanOrEqual(part);
          next = b + 1;
        }
        expect(next).toBe(size);
        expect(mock.commandCalls(CreateMultipartUploadCommand)[0].args[0].input).toEqual({
          Bucket: 'lake',
          Key: to.key,
          ContentType: 'text/csv',
          ContentEncoding: 'gzip',
          Metadata: { producer: 'erp' },
        });
        const done = mock.commandCalls(CompleteMultipartUploadCommand)[0].args[0].input;
        expect(done.MultipartUpload!.Parts).toEqual(ranges.map((r) => ({ PartNumber: r.PartNumber, ETag: `"e${r.PartNumber}"` })));
        expect(mock.commandCalls(AbortMultipartUploadCommand)).toHaveLength(0);
      }),
      { numRuns: 50 },
    );
  });

  it('a part that fails: no further part starts, the abort waits for the parts in flight, and the error keeps its kind (throttling is transient)', async () => {
    const events: string[] = [];
    mock.on(HeadObjectCommand).resolves(headOf(1000));
    mock.on(CreateMultipartUploadCommand).resolves({ UploadId: 'u2' });
    mock.on(UploadPartCopyCommand).callsFake(async (i) => {
      if (i.PartNumber === 3) {
        events.push('fail 3');
        throw new S3ServiceException({ name: 'SlowDown', $fault: 'server', message: 'slow down', $metadata: { httpStatusCode: 503 } });
      }
      await new Promise((r) => setTimeout(r, 20));
      events.push(`done ${i.PartNumber}`);
      return { CopyPartResult: { ETag: '"x"' } };
    });
    mock.on(AbortMultipartUploadCommand).callsFake(() => {
      events.push('abort');
      return {};
    });
    await expect(store(100, 10).copy(from(1000), to)).rejects.toBeInstanceOf(TransientError);
    expect(mock.commandCalls(AbortMultipartUploadCommand).map((c) => c.args[0].input)).toEqual([{ Bucket: 'lake', Key: to.key, UploadId: 'u2' }]);
    expect(mock.commandCalls(CompleteMultipartUploadCommand)).toHaveLength(0);
    // 100 parts, 4 at a time: the three in flight when part 3 failed finish first, then the abort; no more start.
    expect(events.at(-1)).toBe('abort');
    expect(events.sort()).toEqual(['abort', 'done 1', 'done 2', 'done 4', 'fail 3']);
  });

  it('a source overwritten mid-copy (its ETag changed) fails the copy rather than mixing two contents', async () => {
    mock.on(HeadObjectCommand).resolves(headOf(1000));
    mock.on(CreateMultipartUploadCommand).resolves({ UploadId: 'u3' });
    mock.on(UploadPartCopyCommand).callsFake((i) => {
      if (i.PartNumber > 2 && i.CopySourceIfMatch === '"src-etag"')
        throw new S3ServiceException({
          name: 'PreconditionFailed',
          $fault: 'client',
          message: 'At least one of the pre-conditions you specified did not hold',
          $metadata: { httpStatusCode: 412 },
        });
      return { CopyPartResult: { ETag: '"x"' } };
    });
    await expect(store(100, 10).copy(from(1000), to)).rejects.toThrow(/pre-conditions/);
    expect(mock.commandCalls(CompleteMultipartUploadCommand)).toHaveLength(0);
    expect(mock.commandCalls(AbortMultipartUploadCommand)).toHaveLength(1);
  });
});

describe('S3ObjectStore.putFile', () => {
  const dir = mkdtempSync(join(tmpdir(), 's3-put-'));
  afterEach(() => rmSync(join(dir, 'f'), { force: true }));
  const bytesOf = async (body: Readable) => {
    const chunks: Buffer[] = [];
    for await (const c of body) chunks.push(c as Buffer);
    return Buffer.concat(chunks);
  };

  it('one PutObject up to the limit', async () => {
    writeFileSync(join(dir, 'f'), Buffer.alloc(100, 7));
    mock.on(PutObjectCommand).resolves({});
    await store(100, 10).putFile('lake', 'silver/x.parquet', join(dir, 'f'));
    expect(mock.commandCalls(PutObjectCommand)).toHaveLength(1);
    expect(mock.commandCalls(CreateMultipartUploadCommand)).toHaveLength(0);
  });

  it('past the limit: parts whose bodies are the file, byte for byte, in order; headers and the condition go with the upload', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 101, maxLength: 3000 }), fc.integer({ min: 1, max: 700 }), async (data, part) => {
        mock.reset();
        writeFileSync(join(dir, 'f'), data);
        const got = new Map<number, Buffer>();
        mock.on(CreateMultipartUploadCommand).resolves({ UploadId: 'p1' });
        mock.on(UploadPartCommand).callsFake(async (i) => {
          const body = await bytesOf(i.Body as Readable);
          expect(body.length).toBe(i.ContentLength);
          got.set(i.PartNumber, body);
          return { ETag: `"e${i.PartNumber}"` };
        });
        mock.on(CompleteMultipartUploadCommand).resolves({});
        await store(100, part).putFile('lake', 'silver/dt=1/x.parquet', join(dir, 'f'), 'application/vnd.apache.parquet', { ifNoneMatch: '*' }, { m: '1' });
        const numbers = [...got.keys()].sort((a, b) => a - b);
        expect(numbers).toEqual(Array.from({ length: Math.ceil(data.length / part) }, (_, i) => i + 1));
        expect(Buffer.concat(numbers.map((n) => got.get(n)!))).toEqual(Buffer.from(data));
        for (const n of numbers.slice(0, -1)) expect(got.get(n)!.length).toBe(part);
        expect(mock.commandCalls(CreateMultipartUploadCommand)[0].args[0].input).toEqual({
          Bucket: 'lake',
          Key: 'silver/dt=1/x.parquet',
          ContentType: 'application/vnd.apache.parquet',
          Metadata: { m: '1' },
        });
        const done = mock.commandCalls(CompleteMultipartUploadCommand)[0].args[0].input;
        expect(done.IfNoneMatch).toBe('*');
        expect(done.MultipartUpload!.Parts).toEqual(numbers.map((n) => ({ PartNumber: n, ETag: `"e${n}"` })));
        expect(mock.commandCalls(PutObjectCommand)).toHaveLength(0);
      }),
      { numRuns: 40 },
    );
  });

  it('a lost condition at completion is PreconditionFailed, and the upload is aborted', async () => {
    writeFileSync(join(dir, 'f'), Buffer.alloc(1000, 1));
    mock.on(CreateMultipartUploadCommand).resolves({ UploadId: 'p2' });
    mock.on(UploadPartCommand).resolves({ ETag: '"x"' });
    mock
      .on(CompleteMultipartUploadCommand)
      .rejects(new S3ServiceException({ name: 'PreconditionFailed', $fault: 'client', message: 'not met', $metadata: { httpStatusCode: 412 } }));
    mock.on(AbortMultipartUploadCommand).resolves({});
    await expect(store(100, 300).putFile('lake', 'gold/x.parquet', join(dir, 'f'), undefined, { ifMatch: 'abc' })).rejects.toBeInstanceOf(PreconditionFailed);
    expect(mock.commandCalls(CompleteMultipartUploadCommand)[0].args[0].input.IfMatch).toBe('"abc"');
    expect(mock.commandCalls(AbortMultipartUploadCommand).map((c) => c.args[0].input)).toEqual([{ Bucket: 'lake', Key: 'gold/x.parquet', UploadId: 'p2' }]);
  });

  it('an upload reaped mid-way (404 NoSuchUpload) under a condition is not a lost race: the error keeps its kind', async () => {
    writeFileSync(join(dir, 'f'), Buffer.alloc(1000, 1));
    mock.on(CreateMultipartUploadCommand).resolves({ UploadId: 'p4' });
    const reaped = new S3ServiceException({ name: 'NoSuchUpload', $fault: 'client', message: 'gone', $metadata: { httpStatusCode: 404 } });
    mock.on(UploadPartCommand).callsFake(async (i) => {
      await bytesOf(i.Body as Readable);
      throw reaped;
    });
    mock.on(AbortMultipartUploadCommand).resolves({});
    const put = store(100, 300).putFile('lake', 'gold/x.parquet', join(dir, 'f'), undefined, { ifNoneMatch: '*' });
    await expect(put).rejects.not.toBeInstanceOf(PreconditionFailed);
    await expect(put).rejects.toMatchObject({ name: 'NoSuchUpload' });
    expect(mock.commandCalls(CompleteMultipartUploadCommand)).toHaveLength(0);
  });

  it('a failed part: no Complete, an abort, and the error keeps its kind', async () => {
    writeFileSync(join(dir, 'f'), Buffer.alloc(1000, 1));
    mock.on(CreateMultipartUploadCommand).resolves({ UploadId: 'p3' });
    mock.on(UploadPartCommand).callsFake(async (i) => {
      await bytesOf(i.Body as Readable);
      if (i.PartNumber === 2) throw new S3ServiceException({ name: 'InternalError', $fault: 'server', message: 'oops', $metadata: { httpStatusCode: 500 } });
      return { ETag: '"x"' };
    });
    mock.on(AbortMultipartUploadCommand).resolves({});
    await expect(store(100, 100).putFile('lake', 'silver/x.parquet', join(dir, 'f'))).rejects.toBeInstanceOf(TransientError);
    expect(mock.commandCalls(CompleteMultipartUploadCommand)).toHaveLength(0);
    expect(mock.commandCalls(AbortMultipartUploadCommand)).toHaveLength(1);
  });
});

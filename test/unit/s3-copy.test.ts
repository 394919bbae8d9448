import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  S3Client,
  S3ServiceException,
  UploadPartCopyCommand,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { TransientError } from '../../lambdas/core/base/errors';
import { S3ObjectStore } from '../../lambdas/shared/s3-store';

/**
 * CopyObject refuses sources past 5 GiB, and a plain CSV may have 8 GiB: past
 * the single-copy limit the store copies byte ranges as the parts of a
 * multipart upload. Limits are lowered here so small sizes take that path.
 */

const mock = mockClient(S3Client);
afterEach(() => mock.reset());

const store = (single: number, part: number) => new S3ObjectStore(new S3Client({ region: 'us-east-1' }), { single, part });
const from = (size?: number) => ({ bucket: 'landing', key: 'landing/sales/big file.csv', versionId: 'v 1', size });
const to = { bucket: 'lake', key: 'bronze/sales/big.csv' };
const SOURCE = 'landing/landing/sales/big%20file.csv?versionId=v%201';

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
          expect([r.PartNumber, r.UploadId, r.CopySource, r.Bucket, r.Key]).toEqual([i + 1, 'u1', SOURCE, 'lake', to.key]);
          const [, a, b] = /^bytes=(\d+)-(\d+)$/.exec(r.CopySourceRange!)!.map(Number);
          expect(a).toBe(next);
          expect(b - a + 1).toBeLessThanOrEqual(part);
          next = b + 1;
        }
        expect(next).toBe(size);
        const done = mock.commandCalls(CompleteMultipartUploadCommand)[0].args[0].input;
        expect(done.MultipartUpload!.Parts).toEqual(ranges.map((r) => ({ PartNumber: r.PartNumber, ETag: `"e${r.PartNumber}"` })));
        expect(mock.commandCalls(AbortMultipartUploadCommand)).toHaveLength(0);
      }),
      { numRuns: 50 },
    );
  });

  it('a part that fails aborts the upload, starts no further part, and the error keeps its kind (throttling is transient)', async () => {
    mock.on(CreateMultipartUploadCommand).resolves({ UploadId: 'u2' });
    mock.on(UploadPartCopyCommand).callsFake((i) => {
      if (i.PartNumber === 3) throw new S3ServiceException({ name: 'SlowDown', $fault: 'server', message: 'slow down', $metadata: { httpStatusCode: 503 } });
      return { CopyPartResult: { ETag: '"x"' } };
    });
    mock.on(AbortMultipartUploadCommand).resolves({});
    await expect(store(100, 10).copy(from(1000), to)).rejects.toBeInstanceOf(TransientError);
    expect(mock.commandCalls(AbortMultipartUploadCommand).map((c) => c.args[0].input)).toEqual([{ Bucket: 'lake', Key: to.key, UploadId: 'u2' }]);
    expect(mock.commandCalls(CompleteMultipartUploadCommand)).toHaveLength(0);
    // 100 parts, 4 at a time: the ones in flight when part 3 failed finish, no more start.
    expect(mock.commandCalls(UploadPartCopyCommand).length).toBeLessThan(10);
  });
});

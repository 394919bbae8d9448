import { describe, expect, it } from 'vitest';
import { executionName } from '../../lambdas/core/lake/layout';
import { replayPrefix, replayRunId, replayStart } from '../../src/cli/ops/commands';

describe('replay naming', () => {
  it('the run id is a pure function of what was asked, so the same command is idempotent', () => {
    const a = replayRunId({ dataset: 'orders', prefix: 'landing/orders/', from: '24h' });
    expect(a).toMatch(/^[0-9a-f]{8}$/);
    expect(replayRunId({ dataset: 'orders', prefix: 'landing/orders/', from: '24h' })).toBe(a);
    expect(replayRunId({ dataset: 'orders', prefix: 'landing/orders/', from: '48h' })).not.toBe(a);
    expect(replayRunId({ dataset: 'orders', prefix: 'landing/orders/2026/', from: '24h' })).not.toBe(a);
    expect(replayRunId({ dataset: 'orders', prefix: 'landing/orders/', runId: 'fix2' })).toBe('fix2');
    // Child names of the Distributed Map are replay-<runId>-<64 hex>: 80 characters at most.
    expect(() => replayRunId({ dataset: 'orders', prefix: 'landing/orders/', runId: 'nine-char' })).toThrow(/1-8 characters/);
    expect(() => replayRunId({ dataset: 'orders', prefix: 'landing/orders/', runId: 'a b' })).toThrow(/1-8 characters/);
  });

  it('names each file version like the dispatcher does, under the replay prefix, with the dispatcher input', () => {
    const o = { key: 'landing/orders/2026/a.csv', versionId: 'v1', etag: 'e1', size: 42, lastModified: new Date('2026-11-22T10:00:00Z') };
    const { name, input } = replayStart('orders', 'landing-bucket', 'abcd1234', o);
    expect(name).toBe(executionName('orders', 'landing-bucket', o.key, 'v1', 'replay-abcd1234-'));
    expect(name).toMatch(/^replay-abcd1234-orders-[0-9a-f]{40}$/);
    expect(name.length).toBeLessThanOrEqual(80);
    expect(input).toEqual({
      dataset: 'orders',
      bucket: 'landing-bucket',
      key: o.key,
      versionId: 'v1',
      etag: 'e1',
      size: 42,
      landedAt: '2026-11-22T10:00:00.000Z',
      execution: name,
    });
    // Unversioned: the ETag tells versions apart.
    expect(replayStart('orders', 'b', 'r', { ...o, versionId: undefined }).name).toBe(executionName('orders', 'b', o.key, 'e1', 'replay-r-'));
    // A new version of the key is a new execution within the same replay.
    expect(replayStart('orders', 'b', 'r', { ...o, versionId: 'v2' }).name).not.toBe(replayStart('orders', 'b', 'r', o).name);
  });

  it('--prefix is relative to the dataset and cannot leave it', () => {
    expect(replayPrefix('orders')).toBe('landing/orders/');
    expect(replayPrefix('orders', '2026/11/')).toBe('landing/orders/2026/11/');
    expect(replayPrefix('orders', '/2026/')).toBe('landing/orders/2026/');
    expect(replayPrefix('orders', 'landing/orders/x')).toBe('landing/orders/x');
    expect(() => replayPrefix('orders', 'landing/sales/')).toThrow(/must be under landing\/orders\//);
  });
});

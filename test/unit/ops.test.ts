import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main';
import { fateOf, summarize } from '../../src/cli/ops/fate';
import { moveMessages, type QueueOps } from '../../src/cli/ops/redrive';
import { parseTime } from '../../src/cli/ops/stack';
import { manifest } from './ops-fixtures';

const obj = (extra: object = {}) => ({ key: 'landing/orders/a.csv', lastModified: new Date(), ...extra });

describe('reconcile: fate of a landed object', () => {
  it('follows the manifest when it is about this version', () => {
    expect(fateOf(obj({ versionId: 'v1' }), manifest('succeeded', { versionId: 'v1' }), new Set())).toEqual({
      fate: 'gold',
      detail: '2 rows out, 1 quarantined',
    });
    expect(fateOf(obj({ etag: 'e1' }), manifest('quarantined', { etag: 'e1' }, { reason: 'schema.incompatible', message: 'm' }), new Set()).fate).toBe(
      'quarantine',
    );
    expect(fateOf(obj({ etag: 'e1' }), manifest('failed', { etag: 'e1' }, { reason: 'pipeline.error', message: 'boom' }), new Set())).toEqual({
      fate: 'failed',
      detail: 'pipeline.error: boom',
    });
  });

  it('is in flight while an execution runs for the key, missing otherwise', () => {
    expect(fateOf(obj({ versionId: 'v2' }), undefined, new Set(['landing/orders/a.csv'])).fate).toBe('in-flight');
    expect(fateOf(obj({ versionId: 'v2' }), undefined, new Set())).toEqual({ fate: 'missing', detail: 'no manifest and no running execution' });
  });

  it('a manifest for another version does not vouch for this one', () => {
    expect(fateOf(obj({ versionId: 'v2' }), manifest('succeeded', { versionId: 'v1' }), new Set()).fate).toBe('missing');
    expect(fateOf(obj({ etag: 'e2' }), manifest('succeeded', { etag: 'e1' }), new Set()).fate).toBe('missing');
    // An older version whose key was reprocessed since is superseded, not missing.
    expect(fateOf(obj({ versionId: 'v1' }), manifest('succeeded', { versionId: 'v2' }), new Set(), false).fate).toBe('superseded');
  });

  it('summarizes', () => {
    expect(summarize([{ fate: 'gold' }, { fate: 'gold' }, { fate: 'missing' }])).toMatchObject({ gold: 2, missing: 1, failed: 0 });
  });
});

describe('redrive loop', () => {
  function fakeQueue(bodies: string[]) {
    const visible = bodies.map((body, i) => ({ id: String(i), body, receipt: `r${i}` }));
    const deleted: string[] = [];
    const ops: QueueOps = {
      async receive(max) {
        return visible.filter((m) => !deleted.includes(m.receipt)).slice(0, max);
      },
      async send() {},
      async delete(receipts) {
        deleted.push(...receipts);
      },
    };
    return { ops, deleted };
  }

  it('moves everything and deletes only what was sent', async () => {
    const dlq = fakeQueue(Array.from({ length: 23 }, (_, i) => `m${i}`));
    const received: string[] = [];
    const p = await moveMessages(dlq.ops, { send: async (b) => void received.push(b) });
    expect(p).toEqual({ moved: 23, failed: 0 });
    expect(received).toHaveLength(23);
    expect(dlq.deleted).toHaveLength(23);
  });

  it('never deletes a message whose send failed', async () => {
    const dlq = fakeQueue(['ok1', 'bad', 'ok2']);
    const p = await moveMessages(dlq.ops, {
      send: async (b) => {
        if (b === 'bad') throw new Error('throttled');
      },
    });
    expect(p.moved).toBe(2);
    expect(p.failed).toBeGreaterThanOrEqual(1);
    expect(dlq.deleted).toEqual(['r0', 'r2']);
  });

  it('stops when nothing can be sent instead of spinning', async () => {
    const dlq = fakeQueue(['a', 'b']);
    const p = await moveMessages(dlq.ops, { send: async () => Promise.reject(new Error('down')) });
    expect(p).toEqual({ moved: 0, failed: 2 });
    expect(dlq.deleted).toEqual([]);
  });

  it('honours --max', async () => {
    const dlq = fakeQueue(Array.from({ length: 30 }, (_, i) => `m${i}`));
    expect((await moveMessages(dlq.ops, { send: async () => {} }, { max: 12 })).moved).toBe(12);
  });
});

describe('ops CLI surface', () => {
  it('parses ISO times and ages', () => {
    const now = new Date('2026-11-22T12:00:00Z');
    expect(parseTime('24h', now)?.toISOString()).toBe('2026-11-21T12:00:00.000Z');
    expect(parseTime('7d', now)?.toISOString()).toBe('2026-11-15T12:00:00.000Z');
    expect(parseTime('2026-11-20')?.toISOString()).toBe('2026-11-20T00:00:00.000Z');
    expect(() => parseTime('yesterday')).toThrow(/cannot read time 'yesterday'/);
  });

  it('usage errors exit 2 with a message', async () => {
    const errs: string[] = [];
    const run = (args: string[]) => main(args, { log: () => {}, err: (s) => errs.push(s) });
    expect(await run(['redrive'])).toBe(2);
    expect(await run(['redrive', 'nowhere', '--stack', 'x'])).toBe(2);
    expect(await run(['replay'])).toBe(2);
    expect(await run(['status', '--dataset', 'nope'])).toBe(2);
    expect(errs.join('\n')).toMatch(/redrive needs one of: ingest, failed, target/);
    expect(errs.join('\n')).toMatch(/replay needs --dataset/);
    expect(errs.join('\n')).toMatch(/unknown dataset 'nope'/);
  });
});

import { describe, expect, it } from 'vitest';
import type { Manifest } from '../../lambdas/core/lake/manifest';
import { manifest as orderManifest } from './ops-fixtures';
import { FAILING_FATES, fateOf, manifestIsFor, summarize } from '../../src/cli/ops/fate';
import { renderReconcile, renderStatus, type StatusReport } from '../../src/cli/ops/render';

const manifest = (status: Manifest['status'], source: Partial<Manifest['source']>, failure?: Manifest['failure']): Manifest =>
  orderManifest(status, source, failure, { rowsIn: 10, rowsOut: 9 });
const obj = (extra: object = {}) => ({ key: 'landing/orders/a.csv', lastModified: new Date('2026-11-22T00:00:00Z'), ...extra });

describe('fate classification', () => {
  it('matches a manifest to a version by versionId first, then by ETag ignoring quotes', () => {
    expect(manifestIsFor(obj({ versionId: 'v1', etag: 'x' }), manifest('succeeded', { versionId: 'v1', etag: 'y' }))).toBe(true);
    expect(manifestIsFor(obj({ versionId: 'v2', etag: 'x' }), manifest('succeeded', { versionId: 'v1', etag: 'x' }))).toBe(false);
    // A replayed manifest from the Distributed Map carries the item reader's quoted ETag and no version.
    expect(manifestIsFor(obj({ versionId: 'v1', etag: 'abc' }), manifest('succeeded', { etag: '"abc"' }))).toBe(true);
    expect(manifestIsFor(obj({ versionId: 'v1', etag: 'abc' }), manifest('succeeded', { etag: '"abd"' }))).toBe(false);
    expect(manifestIsFor(obj({ versionId: 'v1' }), manifest('succeeded', {}))).toBe(true);
  });

  it('gold, quarantine (with reason) and failed from a manifest about this version', () => {
    expect(fateOf(obj({ versionId: 'v1' }), manifest('succeeded', { versionId: 'v1' }), new Set())).toEqual({
      fate: 'gold',
      detail: '9 rows out, 1 quarantined',
    });
    expect(
      fateOf(obj({ etag: 'e' }), manifest('quarantined', { etag: 'e' }, { reason: 'schema.incompatible', message: 'no column order_id' }), new Set()),
    ).toEqual({
      fate: 'quarantine',
      detail: 'schema.incompatible: no column order_id',
    });
    expect(fateOf(obj({ etag: 'e' }), manifest('failed', { etag: 'e' }, { reason: 'pipeline.error', message: 'boom' }), new Set()).fate).toBe('failed');
  });

  it('a running execution (a replay) outranks an earlier quarantine or failure, never a success', () => {
    const running = new Set(['landing/orders/a.csv']);
    expect(fateOf(obj({ etag: 'e' }), manifest('failed', { etag: 'e' }), running)).toEqual({ fate: 'in-flight', detail: 're-running (last run: failed)' });
    expect(fateOf(obj({ etag: 'e' }), manifest('succeeded', { etag: 'e' }), running).fate).toBe('gold');
    expect(fateOf(obj({ etag: 'new' }), manifest('succeeded', { etag: 'old' }), running).fate).toBe('in-flight');
  });

  it('missing when nothing vouches for the version; superseded when a newer one was processed', () => {
    expect(fateOf(obj({ versionId: 'v2' }), manifest('succeeded', { versionId: 'v1' }), new Set())).toEqual({
      fate: 'missing',
      detail: 'the manifest is about another version of this key',
    });
    expect(fateOf(obj({ versionId: 'v1' }), manifest('succeeded', { versionId: 'v2' }), new Set(), false).fate).toBe('superseded');
    expect(fateOf(obj({ versionId: 'v1' }), undefined, new Set(), false).fate).toBe('missing');
  });

  it('only missing fails reconcile', () => {
    expect(FAILING_FATES).toEqual(['missing']);
    expect(summarize([{ fate: 'gold' }, { fate: 'unrouted' }, { fate: 'missing' }, { fate: 'missing' }])).toEqual({
      gold: 1,
      quarantine: 0,
      failed: 0,
      'in-flight': 0,
      missing: 2,
      superseded: 0,
      unrouted: 1,
    });
  });
});

const report: StatusReport = {
  stack: 'landing-to-lake-dev',
  datasets: [
    {
      dataset: 'orders',
      lastSuccess: '2026-11-22T10:00:00.000Z',
      minutesSinceLastSuccess: 12,
      slaMinutes: 60,
      fresh: true,
      files24h: { succeeded: 5, quarantined: 1, failed: 0 },
      rows24h: { in: 100, out: 95, quarantined: 5 },
      quarantineRatio: 0.05,
      warnings24h: { 'gold.overflow(daily.total)': 2, quantity_max: 7 },
    },
    {
      dataset: 'sales',
      lastSuccess: '2026-11-21T08:00:00.000Z',
      minutesSinceLastSuccess: 1560,
      slaMinutes: 1440,
      fresh: false,
      files24h: { succeeded: 0, quarantined: 0, failed: 0 },
      rows24h: { in: 0, out: 0, quarantined: 0 },
      quarantineRatio: 0,
      warnings24h: {},
    },
    {
      dataset: 'events',
      lastSuccess: null,
      minutesSinceLastSuccess: null,
      slaMinutes: 30,
      fresh: false,
      files24h: { succeeded: 0, quarantined: 0, failed: 0 },
      rows24h: { in: 0, out: 0, quarantined: 0 },
      quarantineRatio: 0,
      warnings24h: {},
    },
  ],
  queues: { IngestQueue: 0, IngestDlq: 2, RuleTargetDlq: 0, FailedQueue: 1, FailedDlq: 0 },
  runningExecutions: 3,
  alarms: [
    { name: 'landing-to-lake-dev-sales-freshness', state: 'ALARM', reason: 'Threshold Crossed' },
    { name: 'landing-to-lake-dev-orders-freshness', state: 'OK' },
    { name: 'landing-to-lake-dev-capacity', state: 'INSUFFICIENT_DATA' },
  ],
  failedExecutions24h: [
    { name: 'orders-abc', startDate: '2026-11-22T09:00:00.000Z', dataset: 'orders', key: 'landing/orders/x.csv', error: 'DataError', cause: 'bad\nthing' },
  ],
};

describe('status table', () => {
  it('renders datasets, queues, alarms and failures in aligned columns', () => {
    const text = renderStatus(report);
    const lines = text.split('\n');
    expect(lines[0]).toBe('landing-to-lake-dev');
    const header = lines.find((l) => l.startsWith('dataset'))!;
    const orders = lines.find((l) => l.startsWith('orders'))!;
    // Columns line up under their headers.
    expect(orders.indexOf('12 / 60 min')).toBe(header.indexOf('age / SLA'));
    expect(orders.indexOf('5/1/0')).toBe(header.indexOf('files 24h'));
    expect(orders).toMatch(/100\/95\/5\s+5\.0$/);
    expect(text).toMatch(/^sales .*1560 \/ 1440 min LATE/m);
    expect(text).toMatch(/^events\s+never\s+never loaded \(SLA 30 min\)/m);
    expect(text).toMatch(/^IngestDlq\s+2$/m);
    expect(text).toContain('orders warnings (24 h): quantity_max ×7, gold.overflow(daily.total) ×2');
    expect(text).not.toMatch(/^(sales|events) warnings/m);
    expect(text).toContain('running executions: 3');
    expect(text).toMatch(/alarms: 1 ALARM, 1 INSUFFICIENT_DATA, 1 OK/);
    expect(text).toMatch(/ALARM landing-to-lake-dev-sales-freshness Threshold Crossed/);
    expect(text).toContain('failed executions (24 h): 1');
    expect(text).toContain('landing/orders/x.csv DataError bad thing');
  });

  it('says so when there is nothing to report', () => {
    const text = renderStatus({ ...report, alarms: [], failedExecutions24h: [] });
    expect(text).toContain('alarms: none found');
    expect(text).toContain('failed executions (24 h): none');
  });
});

describe('reconcile table', () => {
  it('lists what is not fine, then totals and what to do', () => {
    const objects = [
      { dataset: 'orders', key: 'landing/orders/a.csv', landed: '2026-11-22T00:00:00.000Z', fate: 'gold' as const, detail: '9 rows out' },
      {
        dataset: 'orders',
        key: 'landing/orders/b.csv',
        versionId: 'v9',
        landed: '2026-11-22T00:01:00.000Z',
        fate: 'missing' as const,
        detail: 'no manifest and no running execution',
      },
      {
        dataset: 'orders',
        key: 'landing/orders/c.txt',
        landed: '2026-11-22T00:02:00.000Z',
        fate: 'unrouted' as const,
        detail: 'no rule routes this suffix (.csv)',
      },
    ];
    const text = renderReconcile({ stack: 's', since: '2026-11-21T00:00:00.000Z', totals: summarize(objects), objects });
    expect(text).not.toContain('landing/orders/a.csv');
    expect(text).toMatch(/^missing\s+landing\/orders\/b\.csv \(v9\)\s+2026-11-22T00:01:00\.000Z\s+no manifest/m);
    expect(text).toMatch(/^unrouted\s+landing\/orders\/c\.txt/m);
    expect(text).toContain('3 landed object version(s) since 2026-11-21T00:00:00.000Z: 1 gold, 1 missing, 1 unrouted');
    expect(text).toMatch(/1 missing: .*pipeline replay --dataset <d> --prefix <key>/);
  });

  it('is one line when everything is gold', () => {
    const objects = [{ dataset: 'orders', key: 'landing/orders/a.csv', landed: 'x', fate: 'gold' as const }];
    expect(renderReconcile({ stack: 's', totals: summarize(objects), objects })).toBe('1 landed object version(s): 1 gold');
  });
});

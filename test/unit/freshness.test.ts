import { readFileSync } from 'node:fs';
import { mkdtemp, rm, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { assessFreshness, freshnessKeys, minutesBetween, parseStateTime } from '../../lambdas/core/lake/freshness';
import { layout } from '../../lambdas/core/lake/layout';
import { datasetsFromEnv, makeFreshness, type FreshnessDeps } from '../../lambdas/handlers/freshness';
import { DirectoryObjectStore } from '../../lambdas/shared/dir-store';
import { createTelemetry } from '../../lambdas/shared/telemetry';

const NOW = new Date('2026-11-22T12:00:00.000Z');
const minutesAgo = (m: number) => new Date(NOW.getTime() - m * 60_000);
const success = (at: Date | string) => ({
  text: JSON.stringify({ dataset: 'orders', at: typeof at === 'string' ? at : at.toISOString(), key: 'landing/orders/a.csv' }),
});

describe('freshness logic (fake clock)', () => {
  it('reads the same state object Publish writes', () => {
    expect(freshnessKeys.lastSuccess('orders')).toBe(layout.lastSuccess('orders'));
    expect(freshnessKeys.firstSeen('orders')).toBe('_state/freshness/orders.first-seen.json');
  });

  it('never loaded, first check: 0 minutes, and asks to record first-seen now', () => {
    const r = assessFreshness({ dataset: 'orders', now: NOW });
    expect(r).toEqual({
      dataset: 'orders',
      minutesSinceLastSuccess: 0,
      basis: 'first-run',
      since: NOW.toISOString(),
      writeFirstSeen: { dataset: 'orders', at: NOW.toISOString() },
    });
  });

  it('never loaded, later checks: counts from first-seen, writes nothing', () => {
    const r = assessFreshness({ dataset: 'orders', now: NOW, firstSeen: { text: JSON.stringify({ dataset: 'orders', at: minutesAgo(90).toISOString() }) } });
    expect(r).toMatchObject({ minutesSinceLastSuccess: 90, basis: 'first-seen' });
    expect(r.writeFirstSeen).toBeUndefined();
    expect(r.warning).toBeUndefined();
  });

  it('loaded recently', () => {
    expect(assessFreshness({ dataset: 'orders', now: NOW, lastSuccess: success(minutesAgo(3)) })).toMatchObject({
      minutesSinceLastSuccess: 3,
      basis: 'last-success',
      since: minutesAgo(3).toISOString(),
    });
  });

  it('stale: whole minutes since the last success, whatever first-seen says', () => {
    const r = assessFreshness({
      dataset: 'orders',
      now: NOW,
      lastSuccess: success(new Date(minutesAgo(1500).getTime() - 59_000)),
      firstSeen: { text: JSON.stringify({ at: minutesAgo(5).toISOString() }) },
    });
    expect(r).toMatchObject({ minutesSinceLastSuccess: 1500, basis: 'last-success' });
    expect(r.minutesSinceLastSuccess > 1440).toBe(true);
  });

  it('a success stamped in the future (clock skew) counts as 0, never negative', () => {
    expect(assessFreshness({ dataset: 'orders', now: NOW, lastSuccess: success(minutesAgo(-10)) }).minutesSinceLastSuccess).toBe(0);
    expect(minutesBetween(NOW, minutesAgo(1))).toBe(0);
  });

  it('corrupt state file: falls back to the object LastModified (written at success time) and warns', () => {
    for (const text of ['{not json', '{"dataset":"orders"}', '{"at":"yesterday"}', 'null', '[]']) {
      const r = assessFreshness({ dataset: 'orders', now: NOW, lastSuccess: { text, lastModified: minutesAgo(42) } });
      expect(r).toMatchObject({ minutesSinceLastSuccess: 42, basis: 'last-success-object-time' });
      expect(r.warning).toMatch(/_state\/freshness\/orders\.json is not a valid state document/);
    }
  });

  it('corrupt state file with no LastModified: counts as never loaded, from first-seen, and still warns', () => {
    const r = assessFreshness({
      dataset: 'orders',
      now: NOW,
      lastSuccess: { text: 'garbage' },
      firstSeen: { text: JSON.stringify({ at: minutesAgo(7).toISOString() }) },
    });
    expect(r).toMatchObject({ minutesSinceLastSuccess: 7, basis: 'first-seen' });
    expect(r.warning).toMatch(/counting as never loaded/);
  });

  it('corrupt first-seen marker: uses its LastModified, or rewrites it when there is none', () => {
    expect(assessFreshness({ dataset: 'orders', now: NOW, firstSeen: { text: '{', lastModified: minutesAgo(20) } })).toMatchObject({
      minutesSinceLastSuccess: 20,
      basis: 'first-seen',
    });
    const r = assessFreshness({ dataset: 'orders', now: NOW, firstSeen: { text: '{' } });
    expect(r).toMatchObject({ minutesSinceLastSuccess: 0, basis: 'first-run', writeFirstSeen: { at: NOW.toISOString() } });
    expect(r.warning).toMatch(/first-seen\.json is unreadable/);
  });

  it('the logic module has no AWS (or Powertools) imports', () => {
    const imports = [...readFileSync('lambdas/core/lake/freshness.ts', 'utf8').matchAll(/from '([^']+)'/g)].map((m) => m[1]);
    expect(imports).toEqual(['./layout']);
  });

  it('parseStateTime accepts only documents with a valid ISO `at`', () => {
    expect(parseStateTime('{"at":"2026-11-22T12:00:00Z"}')?.toISOString()).toBe('2026-11-22T12:00:00.000Z');
    expect(parseStateTime('{"at":12}')).toBeUndefined();
    expect(parseStateTime('')).toBeUndefined();
  });
});

interface Emf {
  _aws: { CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string; Unit: string }[] }[] };
  [k: string]: unknown;
}

describe('freshness handler (DirectoryObjectStore, real Powertools EMF output)', () => {
  let root: string;
  let store: DirectoryObjectStore;
  let emf: Emf[];
  let clock: Date;
  const LAKE = 'lake-bucket';

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'freshness-'));
    store = new DirectoryObjectStore(root);
    emf = [];
    clock = NOW;
    delete process.env.POWERTOOLS_METRICS_DISABLED;
    delete process.env.POWERTOOLS_DEV;
    // Powertools Metrics prints EMF through its own Console bound to process.stdout.
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      for (const line of String(chunk).split('\n')) {
        if (!line.trim().startsWith('{')) continue;
        const doc = JSON.parse(line) as Emf;
        if (doc._aws) emf.push(doc);
      }
      return true;
    });
  });
  afterEach(async () => {
    vi.restoreAllMocks();
    await rm(root, { recursive: true, force: true });
  });

  const handler = (
    datasets = [
      { name: 'orders', freshnessSlaMinutes: 1440 },
      { name: 'events', freshnessSlaMinutes: 60 },
    ],
    s = store,
  ) => {
    const t = createTelemetry();
    t.logger.setLogLevel('SILENT');
    const deps: FreshnessDeps = { ...t, store: s, lakeBucket: LAKE, now: () => clock, datasets };
    return makeFreshness(deps);
  };
  const value = (dataset: string) => emf.filter((d) => d.dataset === dataset).map((d) => d.MinutesSinceLastSuccess);

  it('emits MinutesSinceLastSuccess per dataset with {service, dataset, stage=freshness}', async () => {
    await store.putText(LAKE, layout.lastSuccess('orders'), JSON.stringify({ dataset: 'orders', at: minutesAgo(30).toISOString() }));
    const report = await handler()();
    expect(report.datasets.map((d) => [d.dataset, d.minutesSinceLastSuccess, d.basis, d.stale])).toEqual([
      ['orders', 30, 'last-success', false],
      ['events', 0, 'first-run', false],
    ]);
    expect(emf).toHaveLength(2);
    expect(emf[0]).toMatchObject({
      _aws: {
        CloudWatchMetrics: [
          { Namespace: 'LandingToLake', Dimensions: [['service', 'dataset', 'stage']], Metrics: [{ Name: 'MinutesSinceLastSuccess', Unit: 'Count' }] },
        ],
      },
      service: 'landing-to-lake',
      dataset: 'orders',
      stage: 'freshness',
      MinutesSinceLastSuccess: 30,
    });
    expect(value('events')).toEqual([0]);
  });

  it('never loaded: writes first-seen on the first run and counts from it afterwards', async () => {
    await handler()();
    expect(JSON.parse((await store.readText(LAKE, freshnessKeys.firstSeen('events')))!)).toEqual({ dataset: 'events', at: NOW.toISOString() });
    clock = new Date(NOW.getTime() + 61 * 60_000);
    const report = await handler()();
    expect(report.datasets.find((d) => d.dataset === 'events')).toMatchObject({ minutesSinceLastSuccess: 61, basis: 'first-seen', stale: true });
    expect(value('events')).toEqual([0, 61]);
  });

  it('stale, then a load (Publish rewrites the state object) brings it back', async () => {
    await store.putText(LAKE, layout.lastSuccess('events'), JSON.stringify({ dataset: 'events', at: minutesAgo(120).toISOString() }));
    expect((await handler()()).datasets.find((d) => d.dataset === 'events')).toMatchObject({ minutesSinceLastSuccess: 120, stale: true });
    await store.putText(LAKE, layout.lastSuccess('events'), JSON.stringify({ dataset: 'events', at: minutesAgo(1).toISOString() }));
    expect((await handler()()).datasets.find((d) => d.dataset === 'events')).toMatchObject({ minutesSinceLastSuccess: 1, stale: false });
  });

  it('corrupt state file: uses the file time, not "never loaded"', async () => {
    await store.putText(LAKE, layout.lastSuccess('orders'), '{truncated');
    const at = minutesAgo(25);
    await utimes(store.path(LAKE, layout.lastSuccess('orders')), at, at);
    const r = (await handler()()).datasets.find((d) => d.dataset === 'orders')!;
    expect(r).toMatchObject({ minutesSinceLastSuccess: 25, basis: 'last-success-object-time' });
    expect(await store.readText(LAKE, freshnessKeys.firstSeen('orders'))).toBeUndefined();
  });

  it('a store error for one dataset still emits the others, then fails the run (missing datapoint = breaching)', async () => {
    const failing = new DirectoryObjectStore(root);
    const readText = failing.readText.bind(failing);
    failing.readText = async (bucket, key) => {
      if (key.includes('orders')) throw new Error('AccessDenied');
      return readText(bucket, key);
    };
    await expect(handler(undefined, failing)()).rejects.toThrow(/freshness check failed for dataset\(s\) orders/);
    expect(value('orders')).toEqual([]);
    expect(value('events')).toEqual([0]);
  });

  it('reads its datasets from FRESHNESS_DATASETS', () => {
    expect(datasetsFromEnv('[{"name":"orders","freshnessSlaMinutes":5}]')).toEqual([{ name: 'orders', freshnessSlaMinutes: 5 }]);
    expect(() => datasetsFromEnv('')).toThrow(/FRESHNESS_DATASETS is not set/);
  });
});

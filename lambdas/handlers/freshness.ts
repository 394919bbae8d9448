import { assessFreshness, freshnessKeys, type FreshnessResult, type StateObject } from '../core/lake/freshness';
import type { ObjectStore } from '../core/lake/store';
import { lambdaDeps } from '../shared/deps';
import { emitStageMetrics, type Telemetry } from '../shared/telemetry';
import { lazy } from './state';

export interface FreshnessDataset {
  name: string;
  freshnessSlaMinutes: number;
}

export interface FreshnessDeps extends Telemetry {
  store: ObjectStore;
  lakeBucket: string;
  now: () => Date;
  datasets: FreshnessDataset[];
}

export interface FreshnessReport {
  datasets: (FreshnessResult & { slaMinutes: number; stale: boolean })[];
}

async function readState(store: ObjectStore, bucket: string, key: string): Promise<StateObject | undefined> {
  const text = await store.readText(bucket, key);
  if (text === undefined) return undefined;
  const head = await store.head(bucket, key);
  return { text, lastModified: head?.lastModified };
}

/**
 * Freshness check (scheduled): for every dataset, minutes since its last
 * successful load, as metric MinutesSinceLastSuccess {service, dataset,
 * stage=freshness}. The alarm treats a missing datapoint as breaching, so a
 * dataset this run could not check (an S3 error) alarms too; the run still
 * checks the others first, then fails so the error is visible.
 */
export function makeFreshness(deps: FreshnessDeps) {
  return async (): Promise<FreshnessReport> => {
    const report: FreshnessReport = { datasets: [] };
    const failed: string[] = [];
    for (const d of deps.datasets) {
      try {
        const lastSuccess = await readState(deps.store, deps.lakeBucket, freshnessKeys.lastSuccess(d.name));
        const firstSeen = lastSuccess ? undefined : await readState(deps.store, deps.lakeBucket, freshnessKeys.firstSeen(d.name));
        const r = assessFreshness({ dataset: d.name, now: deps.now(), lastSuccess, firstSeen });
        if (r.writeFirstSeen) await deps.store.putText(deps.lakeBucket, freshnessKeys.firstSeen(d.name), JSON.stringify(r.writeFirstSeen));
        if (r.warning) deps.logger.warn(r.warning, { dataset: d.name });
        const entry = { ...r, slaMinutes: d.freshnessSlaMinutes, stale: r.minutesSinceLastSuccess > d.freshnessSlaMinutes };
        deps.logger.info('freshness checked', { ...entry });
        emitStageMetrics(deps, d.name, 'freshness', { MinutesSinceLastSuccess: r.minutesSinceLastSuccess });
        report.datasets.push(entry);
      } catch (e) {
        deps.logger.error('freshness check failed; no datapoint for this dataset (the alarm treats that as breaching)', { dataset: d.name, error: e as Error });
        failed.push(d.name);
      }
    }
    if (failed.length) throw new Error(`freshness check failed for dataset(s) ${failed.join(', ')}; see the log for the cause`);
    return report;
  };
}

/** FRESHNESS_DATASETS: JSON [{ name, freshnessSlaMinutes }], set by lib/monitoring/freshness-checker.ts. */
export function datasetsFromEnv(raw = process.env.FRESHNESS_DATASETS): FreshnessDataset[] {
  if (!raw) throw new Error('FRESHNESS_DATASETS is not set; the function was deployed without pipeline configuration');
  return JSON.parse(raw) as FreshnessDataset[];
}

export const handler = lazy(async () => {
  const { logger, metrics, store, lakeBucket, now } = await lambdaDeps();
  return { handle: makeFreshness({ logger, metrics, store, lakeBucket, now, datasets: datasetsFromEnv() }), logger };
});

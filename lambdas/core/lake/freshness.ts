import { layout } from './layout';

/**
 * Dataset freshness: how long since the last successful load. Pure logic, no
 * AWS and no clock of its own; the handler (lambdas/handlers/freshness.ts)
 * reads the state objects and emits the metric.
 *
 * State objects, in the lake bucket:
 *  - `_state/freshness/<dataset>.json`: written by Publish after every
 *    successful load: `{ dataset, at, key, manifest }`.
 *  - `_state/freshness/<dataset>.first-seen.json`: written by the freshness
 *    check the first time it runs for a dataset that has never loaded:
 *    `{ dataset, at }`. A dataset that never loaded counts from that moment,
 *    i.e. from the first check after it was deployed. This needs no synth-time
 *    timestamp (which would make every synth differ) and survives redeploys.
 */

/** A state object as read from the store: its body and, when known, its LastModified. */
export interface StateObject {
  text: string;
  lastModified?: Date;
}

export interface FirstSeenDoc {
  dataset: string;
  at: string;
}

/** What the minutes are counted from. */
export type FreshnessBasis =
  /** The `at` of the last-success state object. */
  | 'last-success'
  /** The last-success object exists but is unreadable: its LastModified (Publish wrote it at success time). */
  | 'last-success-object-time'
  /** Never loaded: counted from the first-seen marker. */
  | 'first-seen'
  /** Never loaded and no marker yet: this run writes it; 0 minutes. */
  | 'first-run';

export interface FreshnessInput {
  dataset: string;
  now: Date;
  /** `_state/freshness/<dataset>.json`, undefined when the dataset never loaded. */
  lastSuccess?: StateObject;
  /** `_state/freshness/<dataset>.first-seen.json`, undefined when absent. */
  firstSeen?: StateObject;
}

export interface FreshnessResult {
  dataset: string;
  minutesSinceLastSuccess: number;
  basis: FreshnessBasis;
  /** ISO time the minutes are counted from. */
  since: string;
  /** The caller must persist this as the first-seen marker. */
  writeFirstSeen?: FirstSeenDoc;
  /** Something an operator should know (a corrupt state object); worth a log warning. */
  warning?: string;
}

export const freshnessKeys = {
  /** Written by Publish (lambdas/handlers/publish.ts). */
  lastSuccess: layout.lastSuccess,
  firstSeen: (dataset: string) => `_state/freshness/${dataset}.first-seen.json`,
};

/** Whole minutes from `from` to `to`, never negative (a clock-skewed future timestamp counts as now). */
export function minutesBetween(from: Date, to: Date): number {
  return Math.max(0, Math.floor((to.getTime() - from.getTime()) / 60_000));
}

/** The `at` timestamp of a state document, or undefined if the document is not one. */
export function parseStateTime(text: string): Date | undefined {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!doc || typeof doc !== 'object' || typeof (doc as { at?: unknown }).at !== 'string') return undefined;
  const at = new Date((doc as { at: string }).at);
  return Number.isNaN(at.getTime()) ? undefined : at;
}

const validDate = (d: Date | undefined): d is Date => d instanceof Date && !Number.isNaN(d.getTime());

export function assessFreshness(input: FreshnessInput): FreshnessResult {
  const { dataset, now } = input;
  const result = (basis: FreshnessBasis, since: Date, extra: Partial<FreshnessResult> = {}): FreshnessResult => ({
    dataset,
    minutesSinceLastSuccess: minutesBetween(since, now),
    basis,
    since: since.toISOString(),
    ...extra,
  });

  let warning: string | undefined;
  if (input.lastSuccess) {
    const at = parseStateTime(input.lastSuccess.text);
    if (at) return result('last-success', at);
    if (validDate(input.lastSuccess.lastModified)) {
      return result('last-success-object-time', input.lastSuccess.lastModified, {
        warning: `${freshnessKeys.lastSuccess(dataset)} is not a valid state document; counting from the object's LastModified. The next successful load rewrites it.`,
      });
    }
    warning = `${freshnessKeys.lastSuccess(dataset)} is not a valid state document and has no LastModified; counting as never loaded.`;
  }

  if (input.firstSeen) {
    const at = parseStateTime(input.firstSeen.text) ?? (validDate(input.firstSeen.lastModified) ? input.firstSeen.lastModified : undefined);
    if (at) return result('first-seen', at, warning ? { warning } : {});
    warning = [warning, `${freshnessKeys.firstSeen(dataset)} is unreadable; rewriting it (the count restarts now).`].filter(Boolean).join(' ');
  }

  return result('first-run', now, { writeFirstSeen: { dataset, at: now.toISOString() }, ...(warning ? { warning } : {}) });
}

import type { Manifest } from '../../../lambdas/core/lake/manifest';

/** What became of one landed object version. */
export type Fate = 'gold' | 'quarantine' | 'failed' | 'in-flight' | 'missing' | 'superseded' | 'unrouted';

/** Fates that make `pipeline reconcile` exit 1. */
export const FAILING_FATES: readonly Fate[] = ['missing'];

export interface LandedObject {
  key: string;
  versionId?: string;
  etag?: string;
  lastModified: Date;
}

const unquote = (s: string) => s.replace(/"/g, '');

/**
 * Is this manifest about this object version? A manifest is per landing key and
 * describes the version processed last: compare version ids when both sides
 * have one, else ETags (quotes ignored); a manifest that records neither is
 * taken at its word.
 */
export function manifestIsFor(obj: LandedObject, manifest: Manifest): boolean {
  const m = manifest.source;
  if (m.versionId && obj.versionId) return m.versionId === obj.versionId;
  if (m.etag && obj.etag) return unquote(m.etag) === unquote(obj.etag);
  return true;
}

/**
 * Classify a landed object from its key's manifest and the keys of running
 * executions: the manifest's outcome when it is about this version (a running
 * execution, e.g. a replay, takes precedence over an earlier quarantine or
 * failure); in flight while an execution runs for the key; an older version
 * whose key has since been processed is 'superseded'; anything else 'missing'.
 */
export function fateOf(obj: LandedObject, manifest: Manifest | undefined, running: Set<string>, isLatest = true): { fate: Fate; detail?: string } {
  const same = manifest !== undefined && manifestIsFor(obj, manifest);
  if (manifest && same && manifest.status === 'succeeded')
    return { fate: 'gold', detail: `${manifest.counts.rowsOut} rows out, ${manifest.counts.rowsQuarantined} quarantined` };
  if (running.has(obj.key) && isLatest)
    return { fate: 'in-flight', detail: manifest && same ? `re-running (last run: ${manifest.status})` : 'execution running' };
  if (manifest && same) {
    if (manifest.status === 'quarantined')
      return { fate: 'quarantine', detail: manifest.failure ? `${manifest.failure.reason}: ${manifest.failure.message}` : 'quarantined' };
    return { fate: 'failed', detail: manifest.failure ? `${manifest.failure.reason}: ${manifest.failure.message}` : 'failed' };
  }
  if (!isLatest && manifest) return { fate: 'superseded', detail: 'a newer version of this key was processed' };
  if (running.has(obj.key)) return { fate: 'in-flight', detail: 'an execution for this key is running' };
  return { fate: 'missing', detail: manifest ? 'the manifest is about another version of this key' : 'no manifest and no running execution' };
}

export function summarize(fates: { fate: Fate }[]): Record<Fate, number> {
  const out: Record<Fate, number> = { gold: 0, quarantine: 0, failed: 0, 'in-flight': 0, missing: 0, superseded: 0, unrouted: 0 };
  for (const f of fates) out[f.fate]++;
  return out;
}

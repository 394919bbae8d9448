import type { Manifest } from '../../../lambdas/core/manifest';

/** What became of one landed object version. */
export type Fate = 'gold' | 'quarantine' | 'failed' | 'in-flight' | 'missing' | 'superseded';

export interface LandedObject {
  key: string;
  versionId?: string;
  etag?: string;
  lastModified: Date;
}

/**
 * Classify a landed object from its key's manifest and the keys of running
 * executions. A manifest describes the latest processed version of its key, so
 * it only vouches for this object when version (or, unversioned, ETag) match;
 * an older version whose key has since been reprocessed is 'superseded'.
 */
export function fateOf(obj: LandedObject, manifest: Manifest | undefined, running: Set<string>, isLatest = true): { fate: Fate; detail?: string } {
  const sameVersion =
    manifest &&
    (manifest.source.versionId && obj.versionId ? manifest.source.versionId === obj.versionId : !manifest.source.etag || !obj.etag || manifest.source.etag.replace(/"/g, '') === obj.etag.replace(/"/g, ''));
  if (manifest && sameVersion) {
    if (manifest.status === 'succeeded') return { fate: 'gold', detail: `${manifest.counts.rowsOut} rows out, ${manifest.counts.rowsQuarantined} quarantined` };
    if (manifest.status === 'quarantined') return { fate: 'quarantine', detail: manifest.failure?.reason ?? 'quarantined' };
    return { fate: 'failed', detail: manifest.failure ? `${manifest.failure.reason}: ${manifest.failure.message}` : 'failed' };
  }
  if (running.has(obj.key)) return { fate: 'in-flight' };
  if (!isLatest && manifest) return { fate: 'superseded', detail: 'a newer version of this key was processed' };
  return { fate: 'missing', detail: manifest ? 'the manifest is for another version of this key' : 'no manifest and no running execution' };
}

export function summarize(fates: { fate: Fate }[]): Record<Fate, number> {
  const out: Record<Fate, number> = { gold: 0, quarantine: 0, failed: 0, 'in-flight': 0, missing: 0, superseded: 0 };
  for (const f of fates) out[f.fate]++;
  return out;
}

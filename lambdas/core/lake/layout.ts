import { createHash } from 'node:crypto';

/**
 * Where everything lives. Keys are pure functions of the landing object so that
 * any stage can be rerun and overwrite its own output instead of adding to it.
 */

export const LANDING_PREFIX = 'landing/';

/** The dataset a landing key belongs to: landing/<dataset>/..., or undefined. */
export function datasetOfKey(key: string): string | undefined {
  if (!key.startsWith(LANDING_PREFIX)) return undefined;
  const rest = key.slice(LANDING_PREFIX.length);
  const slash = rest.indexOf('/');
  return slash > 0 && slash < rest.length - 1 ? rest.slice(0, slash) : undefined;
}

const sha = (s: string) => createHash('sha256').update(s).digest('hex');

export function baseName(key: string): string {
  return key.slice(key.lastIndexOf('/') + 1);
}

/** Identity of a landing key (not of its version): a re-upload replaces the earlier output. */
export function sourceId(key: string): string {
  const stem = baseName(key)
    .replace(/\.(gz|csv|jsonl?|txt|tsv)$/gi, '')
    .replace(/[^A-Za-z0-9_-]/g, '_')
    .slice(0, 40);
  return `${stem}-${sha(key).slice(0, 12)}`;
}

/**
 * Step Functions execution name: unique per bucket/key/version, at most 80
 * characters of [A-Za-z0-9-_], so a duplicate event cannot start a second run.
 */
export function executionName(dataset: string, bucket: string, key: string, version: string, prefix = ''): string {
  const d = dataset.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 30);
  return `${prefix}${d}-${sha(`${bucket}/${key}#${version}`).slice(0, 40)}`.slice(0, 80);
}

export function isoDate(d: Date | string | number): string {
  return new Date(d).toISOString().slice(0, 10);
}

export const layout = {
  bronze: (dataset: string, ingestDate: string, key: string) => `bronze/${dataset}/ingest_date=${ingestDate}/${sourceId(key)}/${baseName(key)}`,
  bronzeMetadata: (dataset: string, ingestDate: string, key: string) => `bronze/${dataset}/ingest_date=${ingestDate}/${sourceId(key)}/_metadata.json`,
  silverPrefix: (dataset: string) => `silver/${dataset}/`,
  silver: (dataset: string, dt: string, key: string) => `silver/${dataset}/dt=${dt}/${sourceId(key)}.parquet`,
  silverPartition: (dataset: string, dt: string) => `silver/${dataset}/dt=${dt}/`,
  gold: (dataset: string, aggregate: string, dt: string) => `gold/${dataset}/${aggregate}/dt=${dt}/part-0.parquet`,
  /** Per-file mergeable aggregates that gold is built from (outside the query paths). */
  goldPartial: (dataset: string, dt: string, key: string) => `_partials/gold/${dataset}/dt=${dt}/${sourceId(key)}.json`,
  goldPartialPrefix: (dataset: string, dt: string) => `_partials/gold/${dataset}/dt=${dt}/`,
  /** Which partitions a landing key's rows are in (see lake/outputs.ts): the per-partition detail the state does not carry. */
  outputs: (dataset: string, key: string) => `_partials/outputs/${dataset}/${sourceId(key)}.json`,
  quarantineRows: (dataset: string, ingestDate: string, key: string) => `quarantine/${dataset}/rows/ingest_date=${ingestDate}/${sourceId(key)}.jsonl`,
  /** Rows dropped as duplicates, when the contract keeps them (keepDuplicates). */
  duplicates: (dataset: string, ingestDate: string, key: string) => `quarantine/${dataset}/duplicates/ingest_date=${ingestDate}/${sourceId(key)}.jsonl`,
  quarantineFile: (dataset: string, ingestDate: string, key: string) =>
    `quarantine/${dataset}/files/ingest_date=${ingestDate}/${sourceId(key)}/${baseName(key)}`,
  quarantineReason: (dataset: string, ingestDate: string, key: string) => `quarantine/${dataset}/files/ingest_date=${ingestDate}/${sourceId(key)}/_reason.json`,
  manifest: (dataset: string, key: string) => `manifests/${dataset}/${sourceId(key)}.json`,
  manifestPrefix: (dataset: string) => `manifests/${dataset}/`,
  lastSuccess: (dataset: string) => `_state/freshness/${dataset}.json`,
};

/**
 * S3 *notifications* URL-encode keys ('+' for space); EventBridge events carry
 * them raw. Validate tries the key as given first and this form second, so
 * either delivery path finds the object.
 */
export function urlDecodedKey(key: string): string {
  try {
    return decodeURIComponent(key.replace(/\+/g, ' '));
  } catch {
    return key;
  }
}

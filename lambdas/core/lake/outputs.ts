import { layout } from './layout';
import type { Manifest } from './manifest';
import type { ObjectStore } from './store';

/**
 * The record of where one landing key's rows are: the silver partitions that
 * hold its files (and its gold partials), and the partitions whose gold still
 * has to be rebuilt because the key left them. It belongs to the key, not to a
 * run, so a quarantined or failed re-upload (whose manifest lists no outputs)
 * cannot make the next run forget rows an earlier version left in silver.
 *
 * Transform writes it twice: before touching silver with every partition the
 * key may be in afterwards (old and new) and `writing`, so a run that dies half
 * way leaves a record wide enough to clean up and says it did; and after, with
 * exactly the new partitions.
 * Publish clears `stale` once their gold is rebuilt.
 */
export interface KeyOutputs {
  key: string;
  /** The execution whose Transform last wrote the key's silver. */
  execution?: string;
  partitions: string[];
  /** Partitions the key left whose gold has not been rebuilt since. */
  stale: string[];
  /**
   * Set by Transform's first write and cleared by its second: while set, the key's silver files and
   * partials may be half replaced (Quarantine then takes the key's rows out; handlers/quarantine.ts).
   */
  writing?: boolean;
}

export async function readOutputs(store: ObjectStore, lake: string, dataset: string, key: string): Promise<KeyOutputs | undefined> {
  const text = await store.readText(lake, layout.outputs(dataset, key));
  if (text) return JSON.parse(text) as KeyOutputs;
  // Written before this record existed: the last manifest that listed silver outputs.
  const manifest = await store.readText(lake, layout.manifest(dataset, key));
  if (!manifest) return undefined;
  const silver = (JSON.parse(manifest) as Manifest).outputs?.silver ?? [];
  return { key, partitions: silver.map((k) => /\/dt=([^/]+)\//.exec(k)?.[1]).filter((d): d is string => !!d), stale: [] };
}

export async function writeOutputs(store: ObjectStore, lake: string, dataset: string, outputs: KeyOutputs): Promise<void> {
  await store.putText(lake, layout.outputs(dataset, outputs.key), JSON.stringify(outputs));
}

export const union = (...lists: string[][]): string[] => [...new Set(lists.flat())].sort();

import { createHash, randomUUID } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Aggregate, Contract } from '../core/contract/contract';
import { TransientError } from '../core/base/errors';
import { Aggregator, type PartialDoc } from '../core/gold/gold';
import { goldView } from '../core/gold/view';
import { layout } from '../core/lake/layout';
import { forEachLimit } from '../core/base/concurrency';
import { writeParquetFile } from '../core/parquet/writer';
import { PreconditionFailed, type ObjectInfo } from '../core/lake/store';
import type { StageDeps } from '../shared/deps';

/** Attempts per partition before giving up to the state machine's retry (which waits longer). */
export const GOLD_ATTEMPTS = 40;
/** Partitions rebuilt at once by one invocation. */
const PARALLEL = 16;
/** The user-metadata name of a gold object's coverage (x-amz-meta-partials-sha256). */
export const COVERAGE = 'partials-sha256';
/** ...and of its measures whose sums are null, past their type (`<aggregate>.<measure>`, comma-separated). */
export const NULL_SUMS = 'null-sums';
/** The log line for gold that left out partials of another definition, with what to do. */
export const DEFINITION_CHANGED =
  "gold left out files aggregated under another definition of its aggregate (the contract's gold changed): replay the dataset's files (pipeline replay --dataset <d>) to aggregate them again";
/** User metadata of a gold object: how many partials written under another gold definition it left out. */
export const REFUSED = 'partials-left-out';

/**
 * Which partials a listing holds, as one digest of their keys and ETags (S3
 * lists both; a rewritten partial has a new ETag). Undefined when an ETag is
 * missing: the listing's content cannot be told apart, so gold is rebuilt.
 */
export function coverageOf(listed: readonly ObjectInfo[], definition = ''): string | undefined {
  if (listed.some((o) => !o.etag)) return undefined;
  const pairs = listed.map((o) => [o.key, o.etag]).sort(([a], [b]) => (a! < b! ? -1 : a! > b! ? 1 : 0));
  return createHash('sha256')
    .update(JSON.stringify([definition, pairs]))
    .digest('hex');
}

/**
 * What else a gold object's content depends on: the aggregate's definition,
 * the contract version and codec written into it, and the meaning of a
 * partial (bump GOLD_FORMAT when merging them changes), so gold written under
 * another contract or code is never taken as current.
 */
const GOLD_FORMAT = 1;
const definitionOf = (contract: Contract, g: Aggregate) => JSON.stringify([GOLD_FORMAT, contract.version, contract.compression ?? null, g]);

/**
 * Rebuild gold for the given partitions of a dataset from its per-file
 * partials, correct under any interleaving of concurrent rebuilds (optimistic
 * concurrency):
 *
 *   1. read the ETag of each gold object (or see that there is none),
 *   2. then list and merge the partition's partials,
 *   3. write gold with If-Match on that ETag (If-None-Match: * if there was none).
 *
 * A write only lands if nobody wrote gold after step 1, so the last write to
 * land was built from a listing taken after every earlier landed write: no
 * rebuild built from an older listing can overwrite a newer one. A write that
 * loses (412) goes back to step 1. Every write carries a fresh `generation` in
 * its Parquet metadata, so two rebuilds of identical content still have
 * different ETags. A partition left with no partials gets an empty gold file
 * (written the same way) rather than a delete, which S3 cannot make conditional.
 *
 * Each gold write also carries, as user metadata, the coverage of its listing
 * (a digest of every partial's key and ETag). When step 1 finds gold whose
 * coverage equals step 2's listing, the last write that landed was built from
 * exactly the partials there are now, so there is nothing to write: that write
 * includes this file's partial (or, for a partition the file left, lacks it),
 * and any later one lists after it landed, so includes it too. Under a burst
 * into one partition this is what keeps the work linear: once the partials stop
 * changing, one write covers them all and every other Publish ends at step 2,
 * instead of each one needing a turn at a write that only one can win at a time.
 */
export async function rebuildGold(
  deps: StageDeps,
  contract: Contract,
  dataset: string,
  partitions: string[],
  workDir: string,
): Promise<{ attempts: number; overflows: GoldOverflows; refused: GoldOverflows }> {
  // Date-part groups and filtered measures are derived columns of the gold view (gold/view.ts).
  contract = goldView(contract).contract;
  let attempts = 0;
  const overflows: GoldOverflows = [];
  const refused: GoldOverflows = [];
  await forEachLimit(partitions, PARALLEL, async (dt) => {
    const nulled = new Set<string>();
    const other = new Set<string>();
    attempts += await rebuildPartition(deps, contract, dataset, dt, workDir, nulled, other);
    for (const measure of nulled) overflows.push({ measure, dt });
    for (const aggregate of other) refused.push({ measure: aggregate, dt });
  });
  const order = (a: { measure: string; dt: string }, b: { measure: string; dt: string }) => (a.dt === b.dt ? cmp(a.measure, b.measure) : cmp(a.dt, b.dt));
  return { attempts, overflows: overflows.sort(order), refused: refused.sort(order) };
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Sums null in gold, past their type: one per measure (`<aggregate>.<measure>`) and partition. */
export type GoldOverflows = { measure: string; dt: string }[];

/**
 * Sums past their type once a file joined its partitions' others are null in gold: said as one
 * `gold.overflow(<gold>.<measure>)` warning per partition, added to `warnings` (a new object).
 */
export function withOverflowWarnings(warnings: Record<string, number>, overflows: GoldOverflows, refused: GoldOverflows = []): Record<string, number> {
  const out = { ...warnings };
  for (const o of overflows) {
    const id = `gold.overflow(${o.measure})`;
    out[id] = (out[id] ?? 0) + 1;
  }
  // Partials written under another gold definition, left out of gold (one per aggregate and partition).
  for (const o of refused) {
    const id = `gold.definition_changed(${o.measure})`;
    out[id] = (out[id] ?? 0) + 1;
  }
  return out;
}

/** Rebuilds one partition's gold; adds to `nulled` each `<aggregate>.<measure>` whose sum its gold holds null. */
async function rebuildPartition(
  deps: StageDeps,
  contract: Contract,
  dataset: string,
  dt: string,
  workDir: string,
  nulled: Set<string>,
  refused: Set<string>,
): Promise<number> {
  const lake = deps.lakeBucket;
  let pending: Aggregate[] = contract.gold;
  // Partials already read, by key and ETag (S3 lists ETags; a rewritten partial has a new one).
  const cache = new Map<string, PartialDoc[]>();
  for (let attempt = 1; attempt <= GOLD_ATTEMPTS; attempt++) {
    const heads = await Promise.all(pending.map((g) => deps.store.head(lake, layout.gold(dataset, g.name, dt))));
    const listed = (await deps.store.list(lake, layout.goldPartialPrefix(dataset, dt))).filter((o) => o.key.endsWith('.json'));
    const coverages = pending.map((g) => coverageOf(listed, definitionOf(contract, g)));
    // Gold last built from exactly these partials needs no write (see above).
    const current = (i: number) => coverages[i] !== undefined && heads[i]?.metadata?.[COVERAGE] === coverages[i];
    // Gold that is current still reports its null sums: this Publish's file is among its rows.
    for (const [i, h] of heads.entries()) if (current(i) && h?.metadata?.[NULL_SUMS]) for (const m of h.metadata[NULL_SUMS].split(',')) nulled.add(m);
    for (const [i, h] of heads.entries()) if (current(i) && h?.metadata?.[REFUSED]) refused.add(pending[i].name);
    const etags = heads.map((h) => h?.etag).filter((_, i) => !current(i));
    const coverage = coverages.filter((_, i) => !current(i));
    pending = pending.filter((_, i) => !current(i));
    if (!pending.length) return attempt;
    const aggs = pending.map((g) => new Aggregator(g, contract));
    // Per aggregate, the partials written under another definition of it: left out (Aggregator.shape).
    const skipped = pending.map(() => 0);
    let files = 0;
    // A partial deleted or rewritten since the listing: this write is not built from the listing, so it
    // records no coverage (else a partial that later reappears with the listed ETag would seem merged).
    let asListed = true;
    for (let i = 0; i < listed.length; i += 16) {
      const docs = await Promise.all(
        listed.slice(i, i + 16).map(async (o) => {
          const id = o.etag && `${o.key}#${o.etag}`;
          if (id && cache.has(id)) return cache.get(id);
          const read = await deps.store.readTextTagged(lake, o.key);
          if (!read || read.etag === undefined || read.etag !== o.etag) asListed = false;
          // Deleted since the listing: the file left this partition.
          const parsed = read ? (JSON.parse(read.text) as PartialDoc[]) : undefined;
          // Cached by the ETag of what was read, so a rewritten partial is never taken for the listed one.
          if (parsed && read?.etag) cache.set(`${o.key}#${read.etag}`, parsed);
          return parsed;
        }),
      );
      for (const doc of docs) {
        if (!doc) continue;
        files++;
        for (const d of doc) {
          const a = aggs.findIndex((x) => x.agg.name === d.aggregate);
          if (a >= 0 && !aggs[a].merge(d)) skipped[a]++;
        }
      }
    }
    await mkdir(workDir, { recursive: true });
    const lost: Aggregate[] = [];
    for (const [i, g] of pending.entries()) {
      const local = join(workDir, `gold-${g.name}-${dt}-${randomUUID()}.parquet`);
      // A sum past its type over many files is null (no one file is to blame): reported, not thrown.
      const nulls = new Set<string>();
      const rows = aggs[i].rows((measure) => nulls.add(`${g.name}.${measure}`));
      const kv: Record<string, string> = {
        dataset,
        aggregate: g.name,
        dt,
        source_files: String(files),
        generation: randomUUID(),
        contract_version: String(contract.version),
      };
      // Named while short (S3 keeps 2 KB of user metadata in all); past that, the aggregate alone.
      const named = [...nulls].join(',');
      if (nulls.size) kv.null_sums = named.length <= 1000 ? named : `${g.name}.*`;
      if (skipped[i]) kv.partials_left_out = String(skipped[i]);
      writeParquetFile(local, aggs[i].columns, rows, kv, contract.compression);
      try {
        await deps.store.putFile(
          lake,
          layout.gold(dataset, g.name, dt),
          local,
          'application/vnd.apache.parquet',
          etags[i] ? { ifMatch: etags[i] } : { ifNoneMatch: '*' },
          coverage[i] === undefined || !asListed
            ? undefined
            : { [COVERAGE]: coverage[i]!, ...(nulls.size ? { [NULL_SUMS]: kv.null_sums } : {}), ...(skipped[i] ? { [REFUSED]: kv.partials_left_out } : {}) },
        );
        for (const m of nulls) nulled.add(m);
        if (skipped[i]) refused.add(g.name);
      } catch (e) {
        if (!(e instanceof PreconditionFailed)) throw e;
        lost.push(g);
      } finally {
        await rm(local, { force: true });
      }
    }
    if (!lost.length) return attempt;
    pending = lost;
    // Someone else rebuilt meanwhile: back off a little (full jitter) so a crowd spreads out.
    await sleep(Math.random() * Math.min(1000, 25 * 2 ** attempt));
  }
  throw new TransientError(
    `gold of dataset ${dataset} dt=${dt} kept changing during ${GOLD_ATTEMPTS} rebuild attempts; the state machine retries Publish later`,
  );
}

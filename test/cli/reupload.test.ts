import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DirectoryObjectStore } from '../../lambdas/shared/dir-store';
import { loadConfig } from '../../lib/config';
import { LOCAL_BUCKETS, runLocal } from '../../src/cli/local-run';
import { goldByPartition, referenceGold, silverByPartition } from './lake-reference';

/**
 * Re-uploads of one key, whatever happens to each: the last accepted version
 * (one whose rows passed Transform's checks) is what silver and gold hold.
 * Outcomes: succeeded; quarantined (bad values, rejected by the file rule);
 * failed at Validate (nothing applied), failed after Transform wrote its
 * outputs, or failed in Publish (both applied: the rows were good); failed in
 * Transform between the key's silver and its gold partials (the key's rows
 * taken out until a replay); replayed (the landed version run again).
 */

const cfg = loadConfig('config/pipeline.json', 'dev');
const sales = cfg.datasets.find((d) => d.name === 'sales')!.contract;
const DAYS = ['2026-11-18', '2026-11-19', '2026-11-20', '2026-11-21'];

interface Version {
  good: boolean;
  /** Order ids per day. */
  rows: { id: string; day: string; amount: number }[];
}

type Fault = 'Validate' | 'TransformMid' | 'TransformAfter' | 'Publish';
type Step = { kind: 'upload'; version: Version; fail?: Fault } | { kind: 'replay' };

/** A store whose writes of gold partials fail for good while `broken`: Transform stops between the key's silver and its partials. */
class PartialsFail extends DirectoryObjectStore {
  broken = false;
  override async putText(...args: Parameters<DirectoryObjectStore['putText']>) {
    if (this.broken && args[1].startsWith('_partials/gold/')) throw new Error('simulated permanent fault writing a gold partial');
    return super.putText(...args);
  }
}

const version = (n: number): fc.Arbitrary<Version> =>
  fc
    .record({
      good: fc.boolean(),
      rows: fc.array(fc.record({ day: fc.constantFrom(...DAYS), amount: fc.integer({ min: 0, max: 500 }) }), { minLength: 1, maxLength: 6 }),
    })
    .map(({ good, rows }) => ({ good, rows: rows.map((r, i) => ({ ...r, id: `V${n}-${i}` })) }));

const step = (n: number): fc.Arbitrary<Step> =>
  fc.oneof(
    { weight: 4, arbitrary: fc.record({ kind: fc.constant('upload' as const), version: version(n) }) },
    {
      weight: 2,
      arbitrary: fc.record({
        kind: fc.constant('upload' as const),
        version: version(n),
        fail: fc.constantFrom<Fault>('Validate', 'TransformMid', 'TransformAfter', 'Publish'),
      }),
    },
    { weight: 1, arbitrary: fc.constant({ kind: 'replay' as const }) },
  );

function csv(v: Version): string {
  // Bad: every amount negative, so the reject ratio (1.0) breaks the file rule (0.5) and the file is quarantined.
  const lines = v.rows.map((r) => `${r.id},C000001,${v.good ? r.amount : -1 - r.amount}.00,1,paid,${r.day}T10:00:00Z,EU`);
  return `order_id,customer_id,amount,quantity,status,order_ts,region\n${lines.join('\n')}\n`;
}

describe('re-uploads of one key (property, local runner)', () => {
  it('after every upload, failure and replay, silver holds exactly the last accepted version and gold equals the aggregate of silver', {
    timeout: 300_000,
  }, async () => {
    let seq = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.nat(), { minLength: 2, maxLength: 6 }).chain((ns) => fc.tuple(...ns.map((_, i) => step(i)))),
        async (steps) => {
          const root = mkdtempSync(join(tmpdir(), 'pipeline-reupload-'));
          const lake = join(root, LOCAL_BUCKETS.lake);
          const store = new PartialsFail(root);
          let landed: Version | undefined;
          let accepted: Version | undefined;
          for (const [i, s] of steps.entries()) {
            if (s.kind === 'replay' && !landed) continue;
            const v = s.kind === 'upload' ? s.version : landed!;
            const fail = s.kind === 'upload' ? s.fail : undefined;
            const dir = join(root, 'in', String(seq++), 'sales');
            mkdirSync(dir, { recursive: true });
            const file = join(dir, 'sales_daily.csv');
            writeFileSync(file, csv(v));
            landed = v;
            store.broken = fail === 'TransformMid';
            const r = await runLocal(file, 'sales', {
              config: cfg,
              storeRoot: root,
              store,
              retryWaitMs: 1,
              wrap: (state, fn) => async (input) => {
                if (fail === 'Validate' && state === 'Validate') throw new Error('simulated fault before Validate');
                if (fail === 'Publish' && state === 'Publish') throw new Error('simulated fault in Publish');
                const out = await fn(input);
                if (fail === 'TransformAfter' && state === 'Transform') throw new Error('simulated crash after Transform wrote its outputs');
                return out;
              },
            });
            store.broken = false;
            const expected = fail === 'Validate' ? 'failed' : !v.good ? 'quarantined' : fail ? 'failed' : 'succeeded';
            expect(r.status, `step ${i}`).toBe(expected);
            // A Transform stopped half way through replacing the key's silver takes the key's rows out (until a replay).
            if (v.good && fail === 'TransformMid') accepted = undefined;
            else if (v.good && fail !== 'Validate') accepted = v;

            const want: Record<string, string[]> = {};
            for (const row of accepted?.rows ?? []) (want[row.day] ??= []).push(row.id);
            const silver = await silverByPartition(lake, sales);
            const got = Object.fromEntries(Object.entries(silver).map(([dt, rows]) => [dt, rows.map((x) => JSON.parse(x)[0] as string).sort()]));
            expect(
              got,
              `silver after step ${i} (${JSON.stringify(steps.slice(0, i + 1).map((x) => (x.kind === 'replay' ? 'replay' : `${x.version.good ? 'good' : 'bad'}${x.fail ? `/fail:${x.fail}` : ''}`)))})`,
            ).toEqual(Object.fromEntries(Object.entries(want).map(([dt, ids]) => [dt, ids.sort()])));
            expect(await goldByPartition(lake, sales), `gold after step ${i}`).toEqual(await referenceGold(lake, sales));
          }
        },
      ),
      { numRuns: 12 },
    );
  });
});

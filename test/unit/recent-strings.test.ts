import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RecentStrings, recentHash } from '../../lambdas/core/base/hash';
import { ParquetFileWriter } from '../../lambdas/core/parquet/encoder';
import { readParquetObjects } from '../parquet-read';

/**
 * The small cache of recent strings in front of the Parquet dictionary, the
 * accepted-values rule and gold's two-string group keys (base/hash.ts). A hit
 * must only ever be the last number set for that exact string, whatever
 * shares its bucket; and values that share a bucket two at a time both stay.
 */

// Few distinct strings of few characters, so buckets are shared often; fresh copies so === compares content.
const word = fc.array(fc.constantFrom('a', 'b', 'c', 'd', 'é', '😀'), { maxLength: 14 }).map((cs) => cs.join(''));
const fresh = (s: string) => ` ${s}`.slice(1);
const bucketOf = (s: string) => (recentHash(s) >>> 26) & 62;

describe('RecentStrings', () => {
  it('answers -1 or the last number set for that string, never another string’s', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.tuple(fc.constant('set' as const), word), fc.tuple(fc.constant('get' as const), word), fc.constant(['clear'] as const)), {
          maxLength: 400,
          size: 'max',
        }),
        (ops) => {
          const cache = new RecentStrings();
          const last = new Map<string, number>();
          // Each set stores a number no other set stores, so a wrong hit cannot pass by coincidence.
          let next = 0;
          for (const op of ops) {
            if (op[0] === 'clear') {
              cache.clear();
              last.clear();
            } else if (op[0] === 'set') {
              const v = next++;
              cache.set(fresh(op[1]), v);
              last.set(op[1], v);
              expect(cache.get(fresh(op[1]))).toBe(v);
            } else {
              const got = cache.get(fresh(op[1]));
              if (got !== -1) expect(got).toBe(last.get(op[1]));
            }
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  it('keeps both of two strings that share a bucket (a direct-mapped cache kept one)', () => {
    // Find pairs of short strings in one bucket, as 'paid' and 'cancelled' shared the old cache's slot.
    const byBucket = new Map<number, string[]>();
    for (let i = 0; i < 2000; i++) {
      const s = `v${i}`;
      byBucket.set(bucketOf(s), [...(byBucket.get(bucketOf(s)) ?? []), s]);
    }
    let pairs = 0;
    for (const [, group] of byBucket) {
      if (group.length < 3) continue;
      const [a, b, c] = group;
      const cache = new RecentStrings();
      cache.set(a, 1);
      cache.set(b, 2);
      expect([cache.get(fresh(a)), cache.get(fresh(b))]).toEqual([1, 2]);
      cache.set(fresh(a), 3); // a again, from another slice: updated in place, b stays
      expect([cache.get(a), cache.get(b)]).toEqual([3, 2]);
      cache.set(c, 4); // a third displaces the older way's
      expect([cache.get(c), cache.get(a), cache.get(b)]).toEqual([4, 3, -1]);
      pairs++;
    }
    expect(pairs).toBeGreaterThan(20);
  });
});

describe('the Parquet dictionary behind the cache', () => {
  it('reads back every value of string chunks whose values share cache buckets (dictionary and PLAIN)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'recent-'));
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        // More than 64 distinct values: some bucket holds three (pigeonhole), so the cache misses and
        // the dictionary answers; past 1024 mostly distinct values a chunk goes PLAIN. Short and long
        // (copied) values both. size 'max': fast-check otherwise keeps arrays to ~10 elements.
        fc.uniqueArray(fc.nat(100_000), { minLength: 65, maxLength: 2500, size: 'max' }).map((ns) => ns.map((n) => (n % 3 ? `s${n}` : `a-longer-value-${n}`))),
        fc.array(fc.nat(), { minLength: 1, maxLength: 3000, size: 'max' }),
        fc.integer({ min: 0, max: 300 }),
        fc.constantFrom(700, 2500),
        async (pool, picks, runLength, rowGroupRows) => {
          // Values arrive as fresh slices of a larger text, as the CSV scanner cuts them (long ones too).
          const text = pool.join('|');
          const starts: number[] = [];
          for (let i = 0, at = 0; i < pool.length; at += pool[i].length + 1, i++) starts.push(at);
          const slice = (p: number) => {
            const i = p % pool.length;
            return text.slice(starts[i], starts[i] + pool[i].length);
          };
          // A leading run of one value: the chunk starts in run mode and settles into the dictionary.
          const values = [...Array.from({ length: runLength }, () => slice(picks[0])), ...picks.map(slice)];
          const path = join(dir, `${run++}.parquet`);
          // Several row groups: a fresh dictionary (and cache) per chunk; a chunk of 2500 rows can
          // take more than 1024 distinct values (PLAIN). Rows go in as the stage writes them
          // (appendRows, column by column, in batches).
          const w = new ParquetFileWriter(path, [{ name: 's', type: 'string', nullable: false }], { rowGroupRows });
          const rows = values.map((v) => [v]);
          const order = Int32Array.from(rows.keys());
          for (let k = 0; k < rows.length; ) k += w.appendRows(rows, order, k, Math.min(512, rows.length - k));
          w.finish();
          const back = (await readParquetObjects(path)).map((r) => r.s);
          expect(back).toEqual(values);
        },
      ),
      { numRuns: 40 },
    );
  });
});

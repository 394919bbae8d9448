import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DistinctCounter, DistinctQueue } from '../../lambdas/core/gold/distinct';

// Values queued for many counters in one DistinctQueue must leave every counter as add() in the same order does:
// same exact fingerprints in the same order (toDoc), same sketch, same size.
const value = fc.oneof(
  fc.integer({ min: 0, max: 3000 }).map((n) => `C${n}`),
  fc.integer({ min: -2000, max: 2000 }),
  fc.boolean(),
  fc.bigInt({ min: -5n, max: 5n }),
);

/** Runs of (counter, value, times) through a DistinctQueue and straight into counters: the two must agree. */
function agree(counterCount: number, runs: [number, string | number | boolean | bigint, number][], drainsAt: number[]): void {
  const direct = Array.from({ length: counterCount }, () => new DistinctCounter());
  const counters: DistinctCounter[] = [];
  const queue = new DistinctQueue(counters);
  let step = 0;
  for (const [c, v, times] of runs) {
    // Counters appear as they are first used (the aggregator creates groups as rows arrive).
    while (counters.length <= c) counters.push(new DistinctCounter());
    for (let t = 0; t < times; t++) {
      // Vary the value so long runs cross EXACT_LIMIT (2048) in some counters.
      const x = typeof v === 'string' ? `${v}-${t}` : typeof v === 'number' ? v + t : v;
      direct[c].add(x);
      queue.add(c, x);
    }
    if (drainsAt.includes(step++)) queue.drain();
  }
  queue.drain();
  for (let c = 0; c < counters.length; c++) {
    expect(counters[c].toDoc()).toEqual(direct[c].toDoc());
    expect(counters[c].size).toBe(direct[c].size);
  }
}

describe('DistinctQueue', () => {
  it('leaves each counter as add() leaves it, across drains, growth and the exact limit (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 5 }), value, fc.integer({ min: 1, max: 1200 })), { minLength: 1, maxLength: 12 }),
        fc.array(fc.integer({ min: 0, max: 30 }), { maxLength: 4 }),
        (runs, drainsAt) => agree(6, runs, drainsAt),
      ),
      { numRuns: 60 },
    );
  });

  it('the same with far more counters than queued values (the drain sorts the entries, not the counters) (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 4999 }), value, fc.integer({ min: 1, max: 3 })), { minLength: 1, maxLength: 300 }),
        fc.array(fc.integer({ min: 0, max: 300 }), { maxLength: 6 }),
        (runs, drainsAt) => agree(5000, runs, drainsAt),
      ),
      { numRuns: 60 },
    );
  });
});

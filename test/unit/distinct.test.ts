import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DistinctCounter, EXACT_LIMIT } from '../../lambdas/core/gold/distinct';

const fill = (from: number, to: number, c = new DistinctCounter()) => {
  for (let i = from; i < to; i++) c.add(`C${i}`);
  return c;
};
const roundTrip = (c: DistinctCounter) => {
  const back = new DistinctCounter();
  back.merge(JSON.parse(JSON.stringify(c.toDoc())));
  return back;
};

describe('count_distinct state', () => {
  it('is exact up to the limit, repeats and value types included', () => {
    const c = fill(0, EXACT_LIMIT);
    fill(0, 100, c);
    expect([c.exact, c.size]).toEqual([true, EXACT_LIMIT]);
    const n = new DistinctCounter();
    [1, 1, 2, true, 'x', 'x', 10n].forEach((v) => n.add(v));
    expect(n.size).toBe(5);
    expect(roundTrip(c).size).toBe(EXACT_LIMIT);
  });

  it('becomes a HyperLogLog sketch above the limit, within 3% at 10k, 100k and 1M', () => {
    for (const n of [10_000, 100_000, 1_000_000]) {
      const c = fill(0, n);
      expect(c.exact).toBe(false);
      expect(Math.abs(c.size - n) / n).toBeLessThan(0.03);
      expect(roundTrip(c).size).toBe(c.size);
    }
  });

  it('has no bias where linear counting hands over to the raw estimate (2.5-3x the registers)', () => {
    for (const n of [41_000, 47_000]) {
      let err = 0;
      for (let t = 0; t < 5; t++) {
        const c = new DistinctCounter();
        for (let i = 0; i < n; i++) c.add(`S${t}-${i}`);
        err += (c.size - n) / n / 5;
      }
      expect(Math.abs(err)).toBeLessThan(0.008);
    }
  });

  it('merges: exact + exact crossing the limit, exact + sketch and sketch + sketch equal the sketch of the union', () => {
    const union = fill(0, 60_000);
    const a = roundTrip(fill(0, 1500));
    a.merge(fill(1000, 2600).toDoc());
    expect([a.exact, a.size]).toEqual([false, fill(0, 2600).size]);
    const b = fill(0, 30_000);
    b.merge(fill(29_000, 30_100).toDoc()); // sketch + exact
    b.merge(fill(30_000, 60_000).toDoc()); // sketch + sketch
    expect(b.size).toBe(union.size);
    const c = fill(59_000, 59_500);
    c.merge(fill(0, 60_000).toDoc()); // exact + sketch
    expect(c.size).toBe(union.size);
  });

  it('reads partials written before sketches (arrays of values)', () => {
    const c = new DistinctCounter();
    c.merge(['c1', 'c2', 'c1']);
    c.merge(fill(0, 3).toDoc());
    expect(c.size).toBe(5);
  });

  it('hashes integers and bigints from their digits exactly as their String() (partials of either form merge)', () => {
    const doc = (vs: (string | number | bigint)[]) => {
      const c = new DistinctCounter();
      vs.forEach((v) => c.add(v));
      return c.toDoc();
    };
    const edge = [0, -0, 7, -7, 10, 2 ** 53 - 1, -(2 ** 53 - 1), 2 ** 53, 1.5, -0.25, 1e21, 9007199254740991n, -9007199254740992n, 10n ** 30n];
    expect(doc(edge)).toEqual(doc(edge.map(String)));
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.maxSafeInteger(), fc.bigInt({ min: -(2n ** 60n), max: 2n ** 60n }), fc.double({ noNaN: true }))), (vs) => {
        expect(doc(vs)).toEqual(doc(vs.map(String)));
      }),
    );
  });
});

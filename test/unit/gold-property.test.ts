import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseContract } from '../../lambdas/core/contract/load';
import { Aggregator } from '../../lambdas/core/gold/gold';
import { canonicalDecimal } from '../../lambdas/core/typing/decimal';
import type { Typed } from '../../lambdas/core/typing/values';

/**
 * The Aggregator (hash table of groups, flat per-group arrays, measures on one
 * column sharing a slot, decimals as numbers spilling to bigints) against the
 * plainest possible reference: a Map of groups holding every value.
 */

const contract = parseContract({
  dataset: 'p',
  version: 1,
  columns: [
    { name: 'k1', type: 'string' },
    { name: 'k2', type: 'integer' },
    { name: 'k3', type: 'boolean' },
    { name: 'amt', type: 'decimal(38,2)' },
    { name: 'x', type: 'double' },
    { name: 'q', type: 'integer' },
    { name: 's', type: 'string' },
  ],
  gold: [[], ['k1'], ['k1', 'k2'], ['k1', 'k2', 'k3'], ['amt'], ['x'], ['k1', 's']].map((groupBy, n) => ({
    name: `g${n}`,
    groupBy,
    measures: [
      { fn: 'count', as: 'n' },
      { fn: 'count', column: 'amt', as: 'n_amt' },
      { fn: 'sum', column: 'amt', as: 'sum_amt' },
      { fn: 'avg', column: 'amt', as: 'avg_amt' },
      { fn: 'min', column: 'amt', as: 'min_amt' },
      { fn: 'max', column: 'amt', as: 'max_amt' },
      { fn: 'sum', column: 'x', as: 'sum_x' },
      { fn: 'max', column: 'x', as: 'max_x' },
      { fn: 'min', column: 'q', as: 'min_q' },
      { fn: 'max', column: 'q', as: 'max_q' },
      { fn: 'avg', column: 'q', as: 'avg_q' },
      { fn: 'count_distinct', column: 'q', as: 'dq' },
      { fn: 'min', column: 's', as: 'min_s' },
      { fn: 'count_distinct', column: 's', as: 'ds' },
    ],
  })),
});

/**
 * p / q as the nearest double, by another road than the aggregator's: 60 significant digits of the
 * quotient by long division, read by parseFloat (which rounds decimal text correctly).
 */
function nearestRatio(p: bigint, q: bigint): number {
  const neg = p < 0n;
  const a = neg ? -p : p;
  const int = a / q;
  let rem = a % q;
  let frac = '';
  let sig = int === 0n ? 0 : int.toString().length;
  while (rem !== 0n && sig < 60) {
    rem *= 10n;
    const d = rem / q;
    rem %= q;
    frac += d.toString();
    if (sig > 0 || d !== 0n) sig++;
  }
  return (neg ? -1 : 1) * Number.parseFloat(`${int}.${frac || '0'}${rem !== 0n ? '1' : ''}`);
}

function reference(agg: (typeof contract.gold)[number], rows: Typed[][]): Typed[][] {
  const idx = (c: string) => contract.columns.findIndex((col) => col.name === c);
  const groups = new Map<string, Typed[][]>();
  for (const r of rows) {
    const key = JSON.stringify(
      agg.groupBy.map((g) => r[idx(g)]),
      (_, v) => (typeof v === 'bigint' || (typeof v === 'number' && !Number.isFinite(v)) ? String(v) : v),
    );
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  return [...groups.keys()].sort().map((key) => {
    const rs = groups.get(key)!;
    const keys = agg.groupBy.map((g) => rs[0][idx(g)]);
    return [
      ...keys,
      ...agg.measures.map((m): Typed => {
        if (!m.column) return rs.length;
        const vs = rs.map((r) => r[idx(m.column!)]).filter((v) => v !== null) as (string | number | bigint)[];
        const isDec = m.column === 'amt';
        const total = () => (isDec ? vs.reduce((a: bigint, v) => a + BigInt(v), 0n) : vs.reduce((a: number, v) => a + (v as number), 0));
        const cmp = (a: string | number | bigint, b: string | number | bigint) => (a < b ? -1 : a > b ? 1 : 0);
        switch (m.fn) {
          case 'count':
            return vs.length;
          case 'sum': {
            const t = total();
            return vs.length ? (typeof t === 'bigint' ? canonicalDecimal(t) : t) : null;
          }
          case 'avg':
            if (!vs.length) return null;
            if (m.column === 'q')
              return nearestRatio(
                vs.reduce((a: bigint, v) => a + BigInt(v), 0n),
                BigInt(vs.length),
              );
            return isDec ? nearestRatio(total() as bigint, 100n * BigInt(vs.length)) : (total() as number) / vs.length;
          case 'min':
            return vs.length ? [...vs].sort(cmp)[0] : null;
          case 'max':
            return vs.length ? [...vs].sort(cmp).pop()! : null;
          case 'count_distinct':
            return new Set(vs.map(String)).size;
        }
      }),
      null, // _updated_at: no landing time given
    ];
  });
}

const big = 2n ** 53n;
const row = fc.tuple(
  fc.constantFrom<Typed>('EU', 'US', '', null, 'é'),
  // Integers as the stage types them: a number while safe, a bigint beyond (up to the INT64 edges).
  fc.constantFrom<Typed>(0, 1, -1, 2 ** 40, null, 2n ** 53n + 1n, -(2n ** 53n) - 3n, 2n ** 63n - 1n, -(2n ** 63n)),
  fc.constantFrom<Typed>(true, false, null),
  // Decimals in their canonical form (a number while safe, as the stage types them).
  fc.oneof(
    fc
      .oneof(fc.bigInt({ min: -10000n, max: 10000n }), fc.bigInt({ min: big - 5n, max: big + 5n }), fc.bigInt({ min: -big - 5n, max: -big + 5n }))
      .map(canonicalDecimal),
    fc.constant(null),
  ),
  fc.oneof(
    fc.integer({ min: -1000, max: 1000 }).map((n) => n / 8),
    fc.constantFrom(Infinity, -Infinity, null),
  ),
  fc.oneof(fc.integer({ min: -50, max: 50 }), fc.constantFrom<Typed>(null, 2n ** 53n + 1n, 10n ** 16n, 2n ** 63n - 1n, -(2n ** 63n), 2 ** 53 - 1)),
  fc.oneof(fc.constantFrom('a', 'b', 'ab', 'B', ''), fc.constant(null)),
);

describe('gold aggregates (property)', () => {
  it('equal a naive reference for 0-3 group columns (two strings included) or a decimal or double one (±Infinity included), every measure, nulls, decimals around 2^53 and integers to the INT64 edges, whole or merged from partials', () => {
    fc.assert(
      fc.property(fc.array(row, { maxLength: 60 }), fc.nat(60), (rows, cut) => {
        for (const agg of contract.gold) {
          const want = reference(agg, rows as Typed[][]);
          const whole = new Aggregator(agg, contract);
          const reused: Typed[] = [];
          for (const r of rows) {
            reused.splice(0, reused.length, ...r);
            whole.addRow(reused);
          }
          expect(whole.rows()).toEqual(want);
          const a = new Aggregator(agg, contract);
          const b = new Aggregator(agg, contract);
          rows.forEach((r, i) => (i < cut ? a : b).addRow(r as Typed[]));
          const merged = new Aggregator(agg, contract);
          merged.merge(JSON.parse(JSON.stringify(b.toPartial())));
          merged.merge(JSON.parse(JSON.stringify(a.toPartial())));
          expect(merged.rows()).toEqual(want);
        }
      }),
      { numRuns: 150 },
    );
  });
});

describe('avg is the exact mean rounded once', () => {
  it('equals the nearest double to sum / count for decimals at any scale and integers past 2^53 (property)', async () => {
    const { exactRatio } = await import('../../lambdas/core/gold/measures');
    expect(exactRatio(3n, 30n)).toBe(0.1); // three rows of 0.1 (decimal(5,1)): 0.09999999999999999 before
    expect(exactRatio(27021597764222979n, 3n)).toBe(9007199254740992); // 3 × 9007199254740993
    const num = fc.oneof(
      fc.bigInt({ min: -(10n ** 38n), max: 10n ** 38n }),
      fc.bigInt({ min: -(2n ** 60n), max: 2n ** 60n }),
      fc.bigInt({ min: -1000n, max: 1000n }),
    );
    const den = fc.oneof(fc.bigInt({ min: 1n, max: 10n ** 40n }), fc.bigInt({ min: 1n, max: 2n ** 60n }), fc.bigInt({ min: 1n, max: 1000n }));
    fc.assert(
      fc.property(num, den, (p, q) => {
        expect([p, q, exactRatio(p, q)]).toEqual([p, q, nearestRatio(p, q)]);
      }),
      { numRuns: 20000 },
    );
  });
});

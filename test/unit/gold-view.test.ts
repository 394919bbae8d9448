import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseContract } from '../../lambdas/core/contract/load';
import type { ContractInput } from '../../lambdas/core/contract/contract';
import { Aggregator } from '../../lambdas/core/gold/gold';
import { goldAggregates, goldView } from '../../lambdas/core/gold/view';
import { decimalSpec } from '../../lambdas/core/typing/decimal';
import type { Typed } from '../../lambdas/core/typing/values';

const contractOf = (gold: ContractInput['gold']) =>
  parseContract({
    dataset: 'w',
    version: 1,
    columns: [
      { name: 'station', type: 'string' },
      { name: 'obs', type: 'date' },
      { name: 'precip', type: 'decimal(6,2)' },
      { name: 'at', type: 'timestamp' },
    ],
    gold,
  });

const cell = (type: string, v: Typed): Typed =>
  v === null ? null : decimalSpec(type) ? Number(v) / 10 ** decimalSpec(type)!.scale : typeof v === 'bigint' ? Number(v) : v;

/** Gold rows as Publish makes them: stage partials merged into aggregators over the view. */
function gold(contract: ReturnType<typeof contractOf>, rows: Typed[][]): Record<string, Typed>[][] {
  const aggs = goldAggregates(contract);
  aggs.addMany('p', rows, Int32Array.from(rows.keys()), 0, rows.length);
  const view = goldView(contract).contract;
  return view.gold.map((g) => {
    const a = new Aggregator(g, view);
    for (const doc of aggs.partials().get('p') ?? []) if (doc.aggregate === g.name) a.merge(doc);
    // Decimals come back as scaled integers: shown here as numbers.
    // Audit columns (_updated_at) aside.
    return a.rows().map((r) => Object.fromEntries(a.columns.flatMap((c, i) => (c.name.startsWith('_') ? [] : [[c.name, cell(c.type, r[i])]]))));
  });
}

const day = (s: string) => Date.parse(`${s}T00:00:00Z`) / 86400000;

describe('gold: date-part groups and filtered measures', () => {
  it('groups by year(col)/month(col) and filters measures with where', () => {
    const c = contractOf([
      {
        name: 'monthly',
        groupBy: ['station', 'year(obs)', 'month(obs)'],
        measures: [
          { fn: 'count', as: 'days' },
          { fn: 'count', as: 'wet_days', where: 'precip > 0' },
          { fn: 'sum', column: 'precip', as: 'wet_precip', where: 'precip > 0.1' },
          { fn: 'max', column: 'precip', as: 'max_precip' },
        ],
      },
    ]);
    const rows: Typed[][] = [
      ['A', day('1998-06-01'), 0, null],
      ['A', day('1998-06-02'), 50, null],
      ['A', day('1998-06-30'), 5, null],
      ['A', day('1998-07-01'), null, null],
      ['B', day('1998-06-15'), 20, null],
      ['B', day('1999-06-15'), 0, null],
    ];
    const [monthly] = gold(c, rows);
    expect(monthly).toEqual([
      { station: 'A', year_obs: 1998, month_obs: 6, days: 3, wet_days: 2, wet_precip: 0.5, max_precip: 0.5 },
      { station: 'A', year_obs: 1998, month_obs: 7, days: 1, wet_days: 0, wet_precip: null, max_precip: null },
      { station: 'B', year_obs: 1998, month_obs: 6, days: 1, wet_days: 1, wet_precip: 0.2, max_precip: 0.2 },
      { station: 'B', year_obs: 1999, month_obs: 6, days: 1, wet_days: 0, wet_precip: null, max_precip: 0 },
    ]);
  });

  it('check-config: date parts need date/timestamp columns, hour needs a timestamp, where must be a boolean expression', () => {
    expect(() => contractOf([{ name: 'g', groupBy: ['year(station)'], measures: [{ fn: 'count', as: 'n' }] }])).toThrow(
      /gold\.0\.groupBy\.0: year\(station\): station is string; date parts apply to date and timestamp columns/,
    );
    expect(() => contractOf([{ name: 'g', groupBy: ['hour(obs)'], measures: [{ fn: 'count', as: 'n' }] }])).toThrow(
      /gold\.0\.groupBy\.0: hour\(obs\): obs is a date and has no hour/,
    );
    expect(() => contractOf([{ name: 'g', groupBy: ['week(obs)'], measures: [{ fn: 'count', as: 'n' }] }])).toThrow(/gold\.0\.groupBy\.0/);
    expect(() => contractOf([{ name: 'g', groupBy: ['year(nope)'], measures: [{ fn: 'count', as: 'n' }] }])).toThrow(/unknown column nope/);
    expect(() => contractOf([{ name: 'g', measures: [{ fn: 'count', as: 'n', where: 'precip + 1' }] }])).toThrow(
      /gold\.0\.measures\.0\.where: the expression must be true or false/,
    );
    expect(() => contractOf([{ name: 'g', groupBy: ['hour(at)', 'date(at)'], measures: [{ fn: 'count', as: 'n', where: 'at is not null' }] }])).not.toThrow();
  });

  it('agrees with a direct computation on random rows (property)', () => {
    const c = contractOf([
      {
        name: 'g',
        groupBy: ['month(at)'],
        measures: [
          { fn: 'count', as: 'n' },
          { fn: 'count', as: 'big', where: 'precip >= 1' },
          { fn: 'sum', column: 'precip', as: 's', where: "station = 'A'" },
        ],
      },
    ]);
    const row = fc.tuple(
      fc.constantFrom('A', 'B'),
      fc.option(fc.integer({ min: 0, max: 300 }), { nil: null }),
      fc.option(fc.integer({ min: Date.UTC(2026, 0, 1), max: Date.UTC(2026, 11, 31) }), { nil: null }),
    );
    fc.assert(
      fc.property(fc.array(row, { maxLength: 60 }), (data) => {
        const rows: Typed[][] = data.map(([s, p, t]) => [s, null, p, t]);
        const want = new Map<number | null, { n: number; big: number; s: number | null }>();
        for (const [s, p, t] of data) {
          const m = t === null ? null : new Date(t).getUTCMonth() + 1;
          const w = want.get(m) ?? { n: 0, big: 0, s: null };
          w.n++;
          if (p !== null && p >= 100) w.big++;
          if (s === 'A' && p !== null) w.s = Math.round(((w.s ?? 0) + p / 100) * 100) / 100;
          want.set(m, w);
        }
        const got = gold(c, rows)[0];
        expect(new Map(got.map((r) => [r.month_at as number | null, { n: r.n, big: r.big, s: r.s }]))).toEqual(want);
      }),
      { numRuns: 200 },
    );
  });
});

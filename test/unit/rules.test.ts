import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseContract } from '../../lambdas/core/contract/load';
import type { ContractInput } from '../../lambdas/core/contract/contract';
import { compileRules } from '../../lambdas/core/quality/rules';
import { FingerprintSet } from '../../lambdas/core/quality/fingerprints';

const contract = (
  rules: ContractInput['rules'],
  columns: ContractInput['columns'] = [
    { name: 'id', type: 'string', nullable: false },
    { name: 'amount', type: 'decimal(10,2)' },
    { name: 'qty', type: 'integer' },
    { name: 'status', type: 'string' },
  ],
) => parseContract({ dataset: 'd', version: 1, columns, rules });

describe('row rules', () => {
  it('nullable: false is an implicit not_null error rule', () => {
    const [r] = compileRules(contract([]));
    expect(r.id).toBe('not_null(id)');
    expect(r.check([null, 1n, 1, 'a'])).toMatch(/id is null/);
    expect(r.check(['x', 1n, 1, 'a'])).toBeUndefined();
  });

  it('min/max compare decimals exactly, inclusive unless exclusive', () => {
    const rules = compileRules(
      contract([
        { rule: 'min', column: 'amount', value: 0 },
        { rule: 'max', column: 'amount', value: 10.5, exclusive: true },
        { rule: 'max', column: 'qty', value: 3 },
      ]),
    ).slice(1);
    const row = (amount: bigint | null, qty: number) => ['x', amount, qty, 'a'];
    expect(rules[0].check(row(0n, 1))).toBeUndefined();
    expect(rules[0].check(row(-1n, 1))).toMatch(/amount=-0.01 is below the minimum 0/);
    expect(rules[1].check(row(1049n, 1))).toBeUndefined();
    expect(rules[1].check(row(1050n, 1))).toMatch(/above the maximum 10.5/);
    expect(rules[2].check(row(null, 4))).toMatch(/qty=4/);
    expect(rules[0].check(row(null, 1))).toBeUndefined();
  });

  it('min/max bounds on decimals are compared as written, past the column scale and in exponent form (property)', () => {
    // Oracle: the two decimals as digit strings, aligned and compared as text (no scaling, no BigInt).
    const cmpText = (a: string, b: string): number => {
      const parts = (t: string) => {
        const neg = t.startsWith('-');
        const [i, f = ''] = (neg ? t.slice(1) : t).split('.');
        return { neg, i: i.replace(/^0+/, ''), f: f.replace(/0+$/, '') };
      };
      const x = parts(a),
        y = parts(b);
      const zero = (p: { i: string; f: string }) => !p.i && !p.f;
      const sx = zero(x) ? 0 : x.neg ? -1 : 1,
        sy = zero(y) ? 0 : y.neg ? -1 : 1;
      if (sx !== sy) return Math.sign(sx - sy);
      if (sx === 0) return 0;
      const w = Math.max(x.f.length, y.f.length);
      const ax = x.i.padStart(60, '0') + x.f.padEnd(w, '0'),
        ay = y.i.padStart(60, '0') + y.f.padEnd(w, '0');
      const c = ax < ay ? -1 : ax > ay ? 1 : 0;
      return sx < 0 ? -c : c;
    };
    const plain = (n: number) => {
      const t = String(n);
      if (!/e/.test(t)) return t;
      return n.toFixed(20).replace(/\.?0+$/, '');
    };
    const bound = fc.oneof(
      fc.integer({ min: -200000, max: 200000 }).chain((n) => fc.integer({ min: 0, max: 5 }).map((k) => n / 10 ** k)),
      fc.constantFrom(1e-7, -1e-7, 5e-3, 0.005, 1e-20, 12345678.125),
    );
    fc.assert(
      fc.property(
        bound,
        fc.integer({ min: -30000, max: 30000 }),
        fc.boolean(),
        fc.constantFrom('min', 'max') as fc.Arbitrary<'min' | 'max'>,
        (b, cents, exclusive, rule) => {
          const [r] = compileRules(contract([{ rule, column: 'amount', value: b, exclusive }])).slice(1);
          const v = cents / 100;
          const c = cmpText(v.toFixed(2), plain(b));
          const ok = rule === 'min' ? c > 0 || (c === 0 && !exclusive) : c < 0 || (c === 0 && !exclusive);
          expect([b, cents, r.check(['x', cents, 1, 'a']) === undefined]).toEqual([b, cents, ok]);
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('accepted_values and not_in compare typed values: 1.5, 1.50 and "1.5" meet; so do 7 and "007" and booleans by any spelling (property)', () => {
    const cols = [
      { name: 'id', type: 'string', nullable: false },
      { name: 'amount', type: 'decimal(10,2)' },
      { name: 'qty', type: 'integer' },
      { name: 'flag', type: 'boolean' },
      { name: 'at', type: 'timestamp' },
      { name: 'f', type: 'double' },
    ] as ContractInput['columns'];
    // A listed value: its cents, spelled as 1.5, 1.50 or 1.500, as a JSON number or a string.
    const listedValue = fc.tuple(fc.integer({ min: -500, max: 500 }), fc.integer({ min: 0, max: 2 }), fc.boolean()).map(([c, k, num]) => {
      const t = [(c / 100).toString(), (c / 100).toFixed(2), `${(c / 100).toFixed(2)}0`][k];
      return { cents: c, value: num ? Number(t) : t };
    });
    fc.assert(
      fc.property(fc.array(listedValue, { minLength: 1, maxLength: 4 }), fc.integer({ min: -500, max: 500 }), (listed, cents) => {
        const values = listed.map((l) => l.value);
        const rules = compileRules(
          parseContract({
            dataset: 'd',
            version: 1,
            columns: cols,
            rules: [
              { rule: 'accepted_values', column: 'amount', values },
              { rule: 'not_in', column: 'amount', values },
            ],
          }),
        ).slice(1);
        const row = ['x', cents, 1, true, 0, 0];
        const member = listed.some((l) => l.cents === cents);
        expect([values, cents, rules[0].check(row) === undefined, rules[1].check(row) === undefined]).toEqual([values, cents, member, !member]);
      }),
      { numRuns: 500 },
    );
    const [q, flag, at, f] = compileRules(
      parseContract({
        dataset: 'd',
        version: 1,
        columns: cols,
        rules: [
          { rule: 'accepted_values', column: 'qty', values: ['007', 8] },
          { rule: 'accepted_values', column: 'flag', values: ['yes'] },
          { rule: 'accepted_values', column: 'at', values: ['2026-01-01T00:00:00Z'] },
          { rule: 'not_in', column: 'f', values: ['1.0'] },
        ],
      }),
    ).slice(1);
    expect([7, 8, 9].map((n) => q.check(['x', 0, n, true, 0, 0]) === undefined)).toEqual([true, true, false]);
    expect([true, false].map((b) => flag.check(['x', 0, 1, b, 0, 0]) === undefined)).toEqual([true, false]);
    expect(at.check(['x', 0, 1, true, Date.parse('2026-01-01T00:00:00Z'), 0])).toBeUndefined();
    expect(f.check(['x', 0, 1, true, 0, 1])).toMatch(/forbidden/);
  });

  it('accepted_values, regex, length, unique; ids and severities', () => {
    const rules = compileRules(
      contract([
        { rule: 'accepted_values', column: 'status', values: ['new', 'paid'] },
        { rule: 'regex', column: 'id', pattern: '^O-\\d+$', severity: 'warn' },
        { rule: 'length', column: 'status', min: 3, max: 4, id: 'status_len' },
        { rule: 'unique', columns: ['id', 'qty'] },
      ]),
    ).slice(1);
    expect(rules.map((r) => [r.id, r.severity])).toEqual([
      ['accepted_values(status)', 'error'],
      ['regex(id)', 'warn'],
      ['status_len', 'error'],
      ['unique(id,qty)', 'error'],
    ]);
    expect(rules[0].check(['O-1', null, 1, 'teleported'])).toMatch(/'teleported' is not one of new, paid/);
    // Accepted strings are remembered by length and end characters: a look-alike in the same
    // place ('nxw' beside 'new') must still be checked against the list, every time.
    for (let k = 0; k < 3; k++) {
      expect(rules[0].check(['O-1', null, 1, 'new'])).toBeUndefined();
      expect(rules[0].check(['O-1', null, 1, 'nxw'])).toMatch(/'nxw' is not one of/);
    }
    expect(rules[1].check(['X-1', null, 1, 'new'])).toMatch(/does not match/);
    expect(rules[2].check(['O-1', null, 1, 'ne'])).toMatch(/length 2, below 3/);
    expect(rules[3].check(['O-1', null, 1, 'new'])).toBeUndefined();
    expect(rules[3].check(['O-1', null, 2, 'new'])).toBeUndefined();
    expect(rules[3].check(['O-1', null, 1, 'paid'])).toMatch(/duplicate value for id, qty/);
  });
});

describe('FingerprintSet', () => {
  it('takes any capacity (rounded up to the power of two its probes need)', () => {
    for (const capacity of [1, 3, 6, 100]) {
      const s = new FingerprintSet(capacity);
      for (let i = 0; i < 300; i++) expect(s.add(`K${i}`)).toBe(true);
      expect(s.add('K7')).toBe(false);
      expect(s.size).toBe(300);
    }
  });

  it('is exact for a million distinct keys and finds every repeat', () => {
    const s = new FingerprintSet(16);
    let added = 0;
    for (let i = 0; i < 1_000_000; i++) if (s.add(`K${i}`)) added++;
    expect(added).toBe(1_000_000);
    expect(s.size).toBe(1_000_000);
    let repeats = 0;
    for (let i = 0; i < 1_000_000; i += 997) if (!s.add(`K${i}`)) repeats++;
    expect(repeats).toBe(Math.ceil(1_000_000 / 997));
  });
});

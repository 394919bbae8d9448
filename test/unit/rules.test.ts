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

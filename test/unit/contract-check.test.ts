import { describe, expect, it } from 'vitest';
import { parseContract } from '../../lambdas/core/contract/load';
import type { ContractInput } from '../../lambdas/core/contract/contract';

/** The error text of loading a contract with these columns and rules (or 'ok'). */
function problems(columns: ContractInput['columns'], rules: ContractInput['rules'] = [], extra: Partial<ContractInput> = {}): string {
  try {
    parseContract({ dataset: 'd', version: 1, columns, rules, ...extra }, 'contracts/d.json');
    return 'ok';
  } catch (e) {
    return (e as Error).message;
  }
}

describe('check-config type-checks a contract against its columns', () => {
  it('"type": "int" names the allowed types', () => {
    const m = problems([{ name: 'n', type: 'int' as 'integer' }]);
    expect(m).toContain('columns.0.type: unknown type "int": use one of string, integer, double, boolean, date, timestamp, decimal(p,s)');
  });

  it('a date format every row would fail is caught by reading back a sample', () => {
    expect(problems([{ name: 'd', type: 'date', format: 'yyyy-mm-dd' }])).toContain(
      "columns.0.format: d: format 'yyyy-mm-dd' has minutes (mm) but no hour: the month is MM",
    );
    expect(problems([{ name: 'd', type: 'date', format: 'YYYY-MM-DD' }])).toMatch(/columns\.0\.format: d: unknown pattern letter 'Y'.*\(year is yyyy\)/);
    expect(problems([{ name: 'd', type: 'date', format: 'epoch_ms' }])).toMatch(/columns\.0\.format: d is a date: epoch_ms applies to timestamps/);
    expect(problems([{ name: 'd', type: 'date', format: 'dd' }])).toMatch(/columns\.0\.format: .*has no year or no month/);
    expect(problems([{ name: 'n', type: 'integer', format: 'yyyy' }])).toMatch(
      /columns\.0\.format: n is integer: format applies to date and timestamp columns only/,
    );
    expect(problems([{ name: 'd', type: 'date', format: 'MMM d yyyy' }])).toBe('ok');
  });

  it('a default that does not parse as its type, with the nullValues hint', () => {
    const m = problems([{ name: 'n', type: 'integer', default: 'N/A' }]);
    expect(m).toContain(
      'columns.0.default: n: default "N/A" is not a valid integer; give a integer value or null (to read "N/A" in the file as null, list it in nullValues)',
    );
    expect(problems([{ name: 'n', type: 'integer', default: 0 }])).toBe('ok');
    expect(problems([{ name: 'd', type: 'date', format: 'MMM d yyyy', default: 'Jan 1 2000' }])).toBe('ok');
    expect(problems([{ name: 'd', type: 'decimal(4,2)', default: '123.4' }])).toMatch(/columns\.0\.default: .*not a valid decimal\(4,2\)/);
  });

  it('an unknown time zone', () => {
    expect(problems([{ name: 't', type: 'timestamp', timezone: 'Europe/Pariss' }])).toContain(
      'columns.0.timezone: unknown time zone "Europe/Pariss": use an IANA zone (Europe/Paris), UTC, or an offset from -18:00 to +18:00',
    );
    expect(problems([{ name: 't', type: 'timestamp', timezone: 'Europe/Paris' }])).toBe('ok');
    expect(problems([{ name: 't', type: 'timestamp', timezone: '+05:30' }])).toBe('ok');
    expect(problems([{ name: 'd', type: 'date', timezone: 'UTC' }])).toMatch(/columns\.0\.timezone: d is date: timezone applies to timestamp columns only/);
  });

  it('rules that do not fit their column type', () => {
    const cols: ContractInput['columns'] = [
      { name: 's', type: 'string' },
      { name: 'n', type: 'integer' },
      { name: 'd', type: 'date' },
    ];
    expect(problems(cols, [{ rule: 'min', column: 's', value: 1 }])).toContain(
      'rules.0.rule: min(s): s is string; min and max apply to numbers, decimals, dates and timestamps (for text, use length or regex)',
    );
    expect(problems(cols, [{ rule: 'max', column: 'n', value: '2020-01-01' }])).toMatch(
      /rules\.0\.value: max\(n\): n is integer, so the bound must be a number/,
    );
    expect(problems(cols, [{ rule: 'max', column: 'd', value: '2020-02-30' }])).toMatch(/rules\.0\.value: max\(d\): "2020-02-30" is not an ISO date/);
    expect(problems(cols, [{ rule: 'max', column: 'd', value: '2020-02-29' }])).toBe('ok');
    expect(problems(cols, [{ rule: 'accepted_values', column: 'n', values: [1, 'two'] }])).toMatch(
      /rules\.0\.values\.1: accepted_values\(n\): "two" is not a valid integer, so it can never match/,
    );
    expect(problems(cols, [{ rule: 'length', column: 'n', max: 3 }])).toMatch(/rules\.0\.rule: length\(n\): n is integer; length applies to string columns/);
    expect(problems(cols, [{ rule: 'expression', expression: 's < n' }])).toMatch(
      /rules\.0\.expression: cannot compare string with integer \(at position 3\); see the expression grammar/,
    );
    expect(problems([{ name: 'n', type: 'integer', emptyAs: '' }])).toMatch(/columns\.0\.emptyAs: n is integer: emptyAs "" needs a string column/);
    expect(problems([{ name: 'n', type: 'integer', dst: { gap: 'reject' } }])).toMatch(/columns\.0\.dst: n is integer: dst applies to timestamp columns only/);
  });

  it('contract-wide input options reach every column that does not set its own', () => {
    const c = parseContract({
      dataset: 'd',
      version: 1,
      input: { nullValues: ['NA'], trim: true, headerMatch: 'insensitive' },
      columns: [
        { name: 'a', type: 'string' },
        { name: 'b', type: 'string', nullValues: ['-'], trim: false, emptyAs: '' },
      ],
    });
    expect(c.columns[0]).toMatchObject({ nullValues: ['NA'], trim: true });
    expect(c.columns[1]).toMatchObject({ nullValues: ['-'], trim: false, emptyAs: '' });
  });

  it('contract-wide dst and emptyAs "" reach the columns they apply to (timestamps, strings), so a mixed contract loads', () => {
    const dst = { gap: 'reject', overlap: 'later' } as const;
    const c = parseContract({
      dataset: 'd',
      version: 1,
      input: { dst, emptyAs: '' },
      columns: [
        { name: 'id', type: 'integer' },
        { name: 's', type: 'string' },
        { name: 't', type: 'timestamp', timezone: 'Europe/Paris' },
        { name: 'd', type: 'date' },
      ],
    });
    expect(c.columns.map((x) => [x.name, x.dst, x.emptyAs])).toEqual([
      ['id', undefined, undefined],
      ['s', undefined, ''],
      ['t', dst, undefined],
      ['d', undefined, undefined],
    ]);
    // A column's own setting still has to fit its type.
    expect(problems([{ name: 'n', type: 'integer', emptyAs: '' }], [], { input: { emptyAs: '' } })).toMatch(/columns\.0\.emptyAs: n is integer/);
  });

  it("gold's derived columns cannot take a real column's place: year(d) beside a column year_d, a column named _where_*", () => {
    const cols: ContractInput['columns'] = [
      { name: 'd', type: 'date' },
      { name: 'year_d', type: 'integer' },
    ];
    const gold = (groupBy: string[]) => ({ gold: [{ name: 'a', groupBy, measures: [{ fn: 'count' as const, as: 'n' }] }] });
    expect(problems(cols, [], gold(['year(d)']))).toMatch(
      /gold\.0\.groupBy\.0: groupBy year\(d\) makes the gold column year_d, which is also the contract's column year_d/,
    );
    expect(problems(cols, [], gold(['month(d)', 'year_d']))).toBe('ok');
    expect(problems([{ name: '_where_0_1', type: 'integer' }])).toMatch(/column name _where_0_1 is reserved/);
    expect(problems([{ name: 'where_0', type: 'integer' }])).toBe('ok');
  });

  it('contract values written as JSON numbers in exponent form type as their digits; a length rule that can never pass is refused', () => {
    expect(problems([{ name: 'x', type: 'decimal(10,8)', default: 0.0000001 }])).toBe('ok');
    expect(problems([{ name: 'x', type: 'decimal(38,0)', default: 1e21 }])).toBe('ok');
    expect(problems([{ name: 'x', type: 'decimal(10,8)' }], [{ rule: 'accepted_values', column: 'x', values: [0.0000001, 1e-8] }])).toBe('ok');
    expect(problems([{ name: 'x', type: 'decimal(10,2)', default: 1e-7 }])).toMatch(/columns\.0\.default: x: default 1e-7 is not a valid decimal\(10,2\)/);
    expect(problems([{ name: 's', type: 'string' }], [{ rule: 'length', column: 's', min: 5, max: 3 }])).toMatch(
      /rules\.0\.min: length\(s\): min 5 is above max 3, so no value can pass/,
    );
    expect(problems([{ name: 's', type: 'string' }], [{ rule: 'length', column: 's', min: 3, max: 3 }])).toBe('ok');
  });
});

describe('pipeline check-config on a contract with mistakes', () => {
  it('exits 2 and lists every type problem with its path', async () => {
    const { mkdtempSync, writeFileSync, mkdirSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const { main } = await import('../../src/cli/main');
    const dir = mkdtempSync(join(tmpdir(), 'check-config-'));
    mkdirSync(join(dir, 'contracts'));
    writeFileSync(join(dir, 'pipeline.json'), JSON.stringify({ datasets: [{ name: 'flights', freshnessSlaMinutes: 60, contract: 'contracts/flights.json' }] }));
    writeFileSync(
      join(dir, 'contracts/flights.json'),
      JSON.stringify({
        dataset: 'flights',
        version: 1,
        columns: [
          { name: 'dep', type: 'timestamp', timezone: 'Europe/Paris', format: 'dd/MM/yyyy hh:mm' },
          { name: 'seats', type: 'integer', default: 'N/A' },
          { name: 'carrier', type: 'string' },
        ],
        rules: [
          { rule: 'min', column: 'carrier', value: 1 },
          { rule: 'expression', expression: 'seats > carrier' },
        ],
      }),
    );
    const errs: string[] = [];
    const code = await main(['check-config', '--config', join(dir, 'pipeline.json')], { log: () => {}, err: (s) => errs.push(s) });
    expect(code).toBe(2);
    const text = errs.join('\n');
    expect(text).toContain("columns.0.format: dep: 'dd/MM/yyyy hh:mm': hh (1-12) and a (AM/PM) go together; use HH for a 24-hour clock");
    expect(text).toContain('columns.1.default: seats: default "N/A" is not a valid integer');
    expect(text).toContain('rules.0.rule: min(carrier): carrier is string; min and max apply to numbers');
    expect(text).toContain('rules.1.expression: cannot compare integer with string');
  });
});

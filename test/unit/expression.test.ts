import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseContract } from '../../lambdas/core/contract/load';
import { compileExpression, parseExpression } from '../../lambdas/core/quality/expression';
import { compileRules } from '../../lambdas/core/quality/rules';
import type { Typed } from '../../lambdas/core/typing/values';

const columns = parseContract({
  dataset: 'd',
  version: 1,
  columns: [
    { name: 'a', type: 'integer' },
    { name: 'b', type: 'integer' },
    { name: 'c', type: 'integer' },
    { name: 'x', type: 'decimal(10,2)' },
    { name: 'y', type: 'decimal(12,3)' },
    { name: 'z', type: 'decimal(10,2)' },
    { name: 'obs', type: 'date' },
    { name: 'at', type: 'timestamp' },
    { name: 'name', type: 'string' },
    { name: 'flag', type: 'boolean' },
    { name: 'f', type: 'double' },
  ],
}).columns;

const ev = (src: string, row: Partial<Record<string, Typed>>) => compileExpression(src, columns).evaluate(columns.map((c) => row[c.name] ?? null));
const dayOf = (s: string) => Date.parse(`${s}T00:00:00Z`) / 86400000;

describe('expression rules: semantics', () => {
  it('comparisons, arithmetic and precedence', () => {
    expect(ev('a <= b', { a: 1, b: 2 })).toBe(true);
    expect(ev('a + b * 2 = 7', { a: 1, b: 3 })).toBe(true);
    expect(ev('(a + b) * 2 = 8', { a: 1, b: 3 })).toBe(true);
    expect(ev('a - b - c = -4', { a: 1, b: 2, c: 3 })).toBe(true);
    expect(ev('-a = 0 - a and a % 3 = 1', { a: 7 })).toBe(true);
    expect(ev('not a > 1 or b <> 2', { a: 5, b: 2 })).toBe(false);
    expect(ev('f / 2 > 1.2', { f: 2.5 })).toBe(true);
    expect(ev('a / 0 is null', { a: 1 })).toBe(true);
  });

  it('decimals are exact: x + z = 0.3 when x = 0.1 and z = 0.2; scales align', () => {
    expect(ev('x + z = 0.3', { x: 10, z: 20 })).toBe(true);
    expect(ev('x + y = 1.234', { x: 100, y: 234 })).toBe(true);
    expect(ev('x * 3 = 0.30', { x: 10 })).toBe(true);
    expect(ev('x > a', { x: 150, a: 1 })).toBe(true);
    expect(ev('abs(x) = 1.5', { x: -150 })).toBe(true);
    expect(ev('x + z = 92233720368547758.08', { x: 9223372036854775807n, z: 1n })).toBe(true);
  });

  it('three-valued logic: null propagates; the rule fails only on false', () => {
    expect(ev('a < b', { a: null, b: 1 })).toBe(null);
    expect(ev('a < b and false', { a: null })).toBe(false);
    expect(ev('a < b or true', { a: null })).toBe(true);
    expect(ev('not (a < b)', {})).toBe(null);
    expect(ev('a is null and b is not null', { b: 2 })).toBe(true);
    expect(ev('coalesce(a, b, 0) = 2', { b: 2 })).toBe(true);
    expect(ev('coalesce(x, a) > 1', { a: 2 })).toBe(true);
    const [rule] = compileRules(
      parseContract({
        dataset: 'd',
        version: 1,
        columns: [
          { name: 'low', type: 'double' },
          { name: 'high', type: 'double' },
        ],
        rules: [{ rule: 'expression', expression: 'low <= high' }],
      }),
    );
    expect(rule.id).toBe('expression(low <= high)');
    expect(rule.check([5, 3])).toBe('low <= high is false for low=5, high=3');
    expect(rule.check([null, 3])).toBeUndefined();
    expect(rule.check([1, 3])).toBeUndefined();
  });

  it('integer arithmetic is exact over all of INT64 (values past 2^53 arrive as bigints), never an exception (property)', () => {
    const MAX = 2n ** 63n - 1n;
    const canon = (b: bigint): Typed => (b >= BigInt(Number.MIN_SAFE_INTEGER) && b <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(b) : b);
    const int64 = fc.oneof(
      fc.bigInt({ min: -(2n ** 63n), max: MAX }),
      fc.bigInt({ min: -(2n ** 54n), max: 2n ** 54n }),
      fc.integer({ min: -1000, max: 1000 }).map(BigInt),
    );
    const ops = {
      '+': (x: bigint, y: bigint) => x + y,
      '-': (x: bigint, y: bigint) => x - y,
      '*': (x: bigint, y: bigint) => x * y,
      '%': (x: bigint, y: bigint) => x % y,
    };
    fc.assert(
      fc.property(int64, int64, int64, fc.constantFrom(...(Object.keys(ops) as (keyof typeof ops)[])), (a, b, c, op) => {
        const row = { a: canon(a), b: canon(b), c: canon(c) };
        if (op === '%' && b === 0n) {
          expect(ev(`a % b is null`, row)).toBe(true);
          return;
        }
        const want = ops[op](a, b);
        expect(ev(`a ${op} b = c`, row)).toBe(want === c);
        expect(ev(`a ${op} b > c`, row)).toBe(want > c);
        expect(ev(`a ${op} b - c < 1`, row)).toBe(want - c < 1n);
        expect(ev(`-a ${op} b <= c`, row)).toBe(ops[op](-a, b) <= c);
        // As SQL engines do, a double operand makes a double: compared as doubles.
        expect(ev(`a ${op === '%' ? '+' : op} f >= 0`, { ...row, f: 0.5 })).toBe(
          (op === '%' ? Number(a) + 0.5 : op === '+' ? Number(a) + 0.5 : op === '-' ? Number(a) - 0.5 : Number(a) * 0.5) >= 0,
        );
        if (b !== 0n) expect(ev('a / b > 0', row)).toBe(Number(a) / Number(b) > 0);
        expect(ev('abs(a) >= 0', row)).toBe(true);
        expect(ev('obs + b > obs', { ...row, obs: 19000 })).toBe(b > 0n);
      }),
      { numRuns: 2000 },
    );
  });

  it('dates, timestamps and functions', () => {
    expect(ev("obs >= '2000-01-01' and obs < date '2001-01-01'", { obs: dayOf('2000-06-12') })).toBe(true);
    expect(ev('year(obs) = 2000 and month(obs) = 6 and day(obs) = 12', { obs: dayOf('2000-06-12') })).toBe(true);
    expect(ev('year(obs) = 1969 and month(obs) = 12 and day(obs) = 31', { obs: -1 })).toBe(true);
    expect(ev("obs + 1 = '2000-03-01'", { obs: dayOf('2000-02-29') })).toBe(true);
    expect(ev('days_between(obs, at) = 2 and date(at) - obs = 2', { obs: dayOf('2000-02-28'), at: Date.parse('2000-03-01T23:59:59Z') })).toBe(true);
    expect(ev("hour(at) = 23 and at > timestamp '2000-03-01T23:00:00+00:00'", { at: Date.parse('2000-03-01T23:59:59Z') })).toBe(true);
    expect(ev("length(name) = 3 and lower(name) = 'abc' and upper(name) = 'ABC'", { name: 'aBc' })).toBe(true);
    expect(ev("name = 'it''s'", { name: "it's" })).toBe(true);
    expect(ev('flag = true', { flag: true })).toBe(true);
  });

  it('errors name the problem and the position; never runs code', () => {
    const err = (src: string) => {
      try {
        compileExpression(src, columns);
      } catch (e) {
        return (e as Error).message;
      }
      return 'compiled';
    };
    expect(err('a <=')).toMatch(/unexpected end of expression at position 5/);
    expect(err('nope > 1')).toMatch(/unknown column nope \(columns: a, b/);
    expect(err('a + 1')).toMatch(/must be true or false, but gives integer/);
    expect(err('name > 1')).toMatch(/cannot compare string with integer/);
    expect(err("obs > '2000-13-01'")).toMatch(/not a valid ISO date/);
    expect(err('sqrt(a) > 1')).toMatch(/unknown function sqrt\(\) \(functions: coalesce/);
    expect(err('abs(a, b) > 1')).toMatch(/abs\(\) takes 1 argument, got 2/);
    expect(err('a > 1; process.exit(1)')).toMatch(/unexpected ';'/);
    expect(err('constructor > 1')).toMatch(/unknown column constructor/);
    expect(err('coalesce(a, name) > 1')).toMatch(/one type/);
  });
});

// Reference: a direct interpreter of the syntax tree over BigInt, written apart from the compiler.
type RV = bigint | boolean | null;
function reference(n: ReturnType<typeof parseExpression>, row: Record<string, bigint | null>): RV {
  const r = (m: typeof n) => reference(m, row);
  switch (n.t) {
    case 'num':
      return BigInt(n.text);
    case 'bool':
      return n.v;
    case 'null':
      return null;
    case 'col':
      return row[n.name];
    case 'neg': {
      const v = r(n.e);
      return v === null ? null : -(v as bigint);
    }
    case 'not': {
      const v = r(n.e);
      return v === null ? null : !v;
    }
    case 'isnull':
      return (r(n.e) === null) !== n.negated;
    case 'call': {
      const vs = n.args.map(r);
      if (n.fn === 'coalesce') return vs.find((v) => v !== null) ?? null;
      const v = vs[0] as bigint | null;
      return v === null ? null : v < 0n ? -v : v;
    }
    case 'bin': {
      if (n.op === 'and' || n.op === 'or') {
        const a = r(n.l),
          b = r(n.r);
        const dominant = n.op === 'or';
        if (a === dominant || b === dominant) return dominant;
        return a === null || b === null ? null : !dominant;
      }
      const a = r(n.l) as bigint | null,
        b = r(n.r) as bigint | null;
      if (a === null || b === null) return null;
      switch (n.op) {
        case '+':
          return a + b;
        case '-':
          return a - b;
        case '*':
          return a * b;
        case '%':
          return b === 0n ? null : a % b;
        case '=':
          return a === b;
        case '!=':
          return a !== b;
        case '<':
          return a < b;
        case '<=':
          return a <= b;
        case '>':
          return a > b;
        default:
          return a >= b;
      }
    }
    default:
      throw new Error(`not generated: ${n.t}`);
  }
}

// Generators print with the fewest parentheses precedence allows, so the parser's precedence is under test too.
const PREC: Record<string, number> = { or: 1, and: 2, not: 3, cmp: 4, '+': 5, '-': 5, '*': 6, '%': 6, neg: 7, atom: 8 };
type G = { src: string; prec: number };
const wrap = (g: G, min: number) => (g.prec < min ? `(${g.src})` : g.src);
const num = (depth: number): fc.Arbitrary<G> => {
  const leaf = fc
    .oneof(fc.constantFrom('a', 'b', 'c'), fc.integer({ min: 0, max: 20 }).map(String), fc.constant('null'))
    .map((src) => ({ src, prec: PREC.atom }));
  if (depth === 0) return leaf;
  const sub = num(depth - 1);
  return fc.oneof(
    { weight: 2, arbitrary: leaf },
    fc
      .tuple(sub, fc.constantFrom('+', '-', '*', '%'), sub)
      .map(([l, op, r]) => ({ src: `${wrap(l, PREC[op])} ${op} ${wrap(r, PREC[op] + 1)}`, prec: PREC[op] })),
    sub.map((e) => ({ src: `-${wrap(e, PREC.neg)}`, prec: PREC.neg })),
    sub.map((e) => ({ src: `abs(${e.src})`, prec: PREC.atom })),
    fc.tuple(sub, sub).map(([x, y]) => ({ src: `coalesce(${x.src}, ${y.src})`, prec: PREC.atom })),
  );
};
const bool = (depth: number): fc.Arbitrary<G> => {
  const cmp = fc
    .tuple(num(2), fc.constantFrom('=', '!=', '<>', '<', '<=', '>', '>='), num(2))
    .map(([l, op, r]) => ({ src: `${wrap(l, PREC['+'])} ${op} ${wrap(r, PREC['+'])}`, prec: PREC.cmp }));
  const isnull = fc.tuple(num(1), fc.boolean()).map(([e, neg]) => ({ src: `${wrap(e, PREC['+'])} is ${neg ? 'not ' : ''}null`, prec: PREC.cmp }));
  const leaf = fc.oneof(
    cmp,
    isnull,
    fc.constantFrom('true', 'false').map((src) => ({ src, prec: PREC.atom })),
  );
  if (depth === 0) return leaf;
  const sub = bool(depth - 1);
  return fc.oneof(
    leaf,
    fc
      .tuple(sub, fc.constantFrom('and', 'or', 'AND', 'Or'), sub)
      .map(([l, op, r]) => ({ src: `${wrap(l, PREC[op.toLowerCase()])} ${op} ${wrap(r, PREC[op.toLowerCase()] + 1)}`, prec: PREC[op.toLowerCase()] })),
    sub.map((e) => ({ src: `not ${wrap(e, PREC.not)}`, prec: PREC.not })),
  );
};
const value = fc.option(fc.integer({ min: -50, max: 50 }), { nil: null });

describe('expression rules: the compiled evaluator agrees with a reference interpreter (property)', () => {
  it('integers, null, and/or/not, is null, coalesce, abs', () => {
    fc.assert(
      fc.property(bool(3), fc.array(fc.tuple(value, value, value), { minLength: 1, maxLength: 8 }), (g, rows) => {
        const compiled = compileExpression(g.src, columns);
        const tree = parseExpression(g.src);
        for (const [a, b, c] of rows) {
          const want = reference(tree, { a: a === null ? null : BigInt(a), b: b === null ? null : BigInt(b), c: c === null ? null : BigInt(c) });
          expect(compiled.evaluate([a, b, c, ...new Array(8).fill(null)])).toBe(want);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('the parse tree of the minimal-parentheses text equals the tree of the fully parenthesized text', () => {
    const full = (n: ReturnType<typeof parseExpression>): string => {
      switch (n.t) {
        case 'num':
          return n.text;
        case 'bool':
          return String(n.v);
        case 'null':
          return 'null';
        case 'col':
          return n.name;
        case 'neg':
          return `(-${full(n.e)})`;
        case 'not':
          return `(not ${full(n.e)})`;
        case 'isnull':
          return `(${full(n.e)} is ${n.negated ? 'not ' : ''}null)`;
        case 'call':
          return `${n.fn}(${n.args.map(full).join(', ')})`;
        case 'bin':
          return `(${full(n.l)} ${n.op} ${full(n.r)})`;
        default:
          throw new Error(n.t);
      }
    };
    const strip = (n: unknown): unknown => JSON.parse(JSON.stringify(n, (k, v) => (k === 'at' ? undefined : v)));
    fc.assert(
      fc.property(bool(3), (g) => {
        const tree = parseExpression(g.src);
        expect(strip(parseExpression(full(tree)))).toEqual(strip(tree));
      }),
      { numRuns: 300 },
    );
  });

  it('decimal sums and comparisons are exact at any scale', () => {
    const big = fc.bigInt({ min: -(10n ** 17n), max: 10n ** 17n });
    fc.assert(
      fc.property(big, big, big, (x, y, z) => {
        // x, z have scale 2, y scale 3 (x * z scale 4): the reference compares scaled integers.
        const row = [null, null, null, x, y, z, null, null, null, null, null] as Typed[];
        expect(compileExpression('x + y = z', columns).evaluate(row)).toBe(x * 10n + y === z * 10n);
        expect(compileExpression('x + y < z', columns).evaluate(row)).toBe(x * 10n + y < z * 10n);
        expect(compileExpression('x * z >= y', columns).evaluate(row)).toBe(x * z >= y * 10n);
      }),
      { numRuns: 300 },
    );
  });
});

describe('expression rules: any input text', () => {
  it('either compiles or fails with an ExpressionError, never another exception (fuzz)', async () => {
    const { ExpressionError } = await import('../../lambdas/core/quality/expression');
    const alphabet = fc.constantFrom(
      'a',
      'b',
      'x',
      'obs',
      'name',
      ' ',
      '(',
      ')',
      ',',
      "'",
      '1',
      '2.5',
      'e9',
      '=',
      '<',
      '>',
      '!',
      '+',
      '-',
      '*',
      '/',
      '%',
      'and',
      'or',
      'not',
      'is',
      'null',
      'date',
      'abs',
      'coalesce',
      'year',
      'true',
      ';',
      '"',
      '\\',
      '__proto__',
      'constructor',
    );
    fc.assert(
      fc.property(
        fc.array(alphabet, { maxLength: 25 }).map((t) => t.join(' ')),
        fc.string({ maxLength: 30 }),
        (tokens, noise) => {
          for (const src of [tokens, noise, tokens + noise]) {
            try {
              const e = compileExpression(src, columns);
              const r = e.evaluate(columns.map(() => null));
              expect(r === null || typeof r === 'boolean').toBe(true);
            } catch (err) {
              expect(err).toBeInstanceOf(ExpressionError);
            }
          }
        },
      ),
      { numRuns: 2000 },
    );
  });
});

import type { Column } from '../contract/contract';
import { CMP, ExpressionError, parseExpression, type Node } from './expression-parse';
import { civilDays } from '../typing/time';
import { decimalSpec } from '../typing/decimal';
import { displayFor } from '../typing/parse';
import { INVALID, type Typed } from '../typing/values';

export { ExpressionError, parseExpression, type Node };

/**
 * The `expression` rule: a boolean expression over a row's typed columns,
 * parsed and type-checked once per contract and compiled to closures (never
 * eval / new Function), so a bad expression fails `check-config`, not a run.
 *
 * Grammar (keywords any case):
 *   expr    := or
 *   or      := and ('or' and)*
 *   and     := not ('and' not)*
 *   not     := 'not' not | cmp
 *   cmp     := sum [('=' | '==' | '!=' | '<>' | '<' | '<=' | '>' | '>=') sum | 'is' ['not'] 'null']
 *   sum     := product (('+' | '-') product)*
 *   product := unary (('*' | '/' | '%') unary)*
 *   unary   := '-' unary | primary
 *   primary := number | 'text' | true | false | null | date 'YYYY-MM-DD' | timestamp 'ISO'
 *            | column | fn '(' expr (',' expr)* ')' | '(' expr ')'
 *   fn      := coalesce | abs | year | month | day | hour | date | days_between | length | lower | upper
 *
 * Semantics are SQL's: null in arithmetic or a comparison gives null, `and`/`or`
 * are three-valued, and the rule fails only when the expression is false (a
 * null result passes, like a CHECK constraint). Decimals are exact: a + b = c
 * compares scaled integers; `/` gives a double. A text literal compared with a
 * date or timestamp column is read as one ('obs_date >= '2000-01-01'').
 */

type Ty = { k: 'int' } | { k: 'double' } | { k: 'dec'; s: number } | { k: 'string' } | { k: 'bool' } | { k: 'date' } | { k: 'ts' } | { k: 'null' };
type V = number | bigint | string | boolean | null;
type Ev = (row: readonly Typed[]) => V;
interface Compiled {
  ty: Ty;
  ev: Ev;
  lit?: string;
}

const numeric = (ty: Ty) => ty.k === 'int' || ty.k === 'double' || ty.k === 'dec';
const name = (ty: Ty) =>
  ty.k === 'dec' ? `decimal(scale ${ty.s})` : ty.k === 'ts' ? 'timestamp' : ty.k === 'bool' ? 'boolean' : ty.k === 'int' ? 'integer' : ty.k;
const pow10 = (n: number) => 10n ** BigInt(n);
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
/** An integer's canonical form (typing/parse.ts): a number while safe, a bigint beyond. */
const safe = (b: bigint): number | bigint => (b >= -MAX_SAFE && b <= MAX_SAFE ? Number(b) : b);

/** The common numeric type of two operands, and converters to it. */
function unify(a: Ty, b: Ty): { ty: Ty; ca: (v: V) => V; cb: (v: V) => V } {
  const conv = (from: Ty, to: Ty): ((v: V) => V) => {
    if (from.k === to.k && (from.k !== 'dec' || from.s === (to as { s: number }).s)) return (v) => v;
    // An integer past 2^53 is a bigint (typing/parse.ts): a double takes its nearest value.
    if (to.k === 'double') return from.k === 'dec' ? (v) => Number(v as bigint) / 10 ** from.s : (v) => (typeof v === 'bigint' ? Number(v) : v);
    if (to.k === 'dec') {
      const m = pow10(to.s - (from.k === 'dec' ? from.s : 0));
      return from.k === 'dec' ? (v) => (v as bigint) * m : (v) => BigInt(v as number) * m;
    }
    return (v) => v;
  };
  if (a.k === 'null') return { ty: b, ca: (v) => v, cb: (v) => v };
  if (b.k === 'null') return { ty: a, ca: (v) => v, cb: (v) => v };
  const ty: Ty =
    a.k === 'double' || b.k === 'double'
      ? { k: 'double' }
      : a.k === 'dec' || b.k === 'dec'
        ? { k: 'dec', s: Math.max(a.k === 'dec' ? a.s : 0, b.k === 'dec' ? b.s : 0) }
        : { k: 'int' };
  return { ty, ca: conv(a, ty), cb: conv(b, ty) };
}

/** A text literal read as a date (day number) or timestamp (ms), or undefined. */
function literalTime(kind: 'date' | 'ts', text: string): number | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?(Z|[+-]\d{2}:\d{2})?)?$/.exec(text);
  if (!m) return undefined;
  const days = civilDays(+m[1], +m[2], +m[3]);
  if (days === INVALID) return undefined;
  if (kind === 'date') return m[4] === undefined ? days : undefined;
  const off = m[8] && m[8] !== 'Z' ? (m[8][0] === '-' ? -1 : 1) * (+m[8].slice(1, 3) * 60 + +m[8].slice(4, 6)) * 60000 : 0;
  if (+(m[4] ?? 0) > 23 || +(m[5] ?? 0) > 59 || +(m[6] ?? 0) > 59) return undefined;
  return days * 86400000 + ((+(m[4] ?? 0) * 60 + +(m[5] ?? 0)) * 60 + +(m[6] ?? 0)) * 1000 + Number((m[7] ?? '').padEnd(3, '0')) - off;
}

export interface CompiledExpression {
  /** true, false or null (null passes the rule). */
  evaluate(row: readonly Typed[]): boolean | null;
  /** The columns the expression reads, as `name=value` for failure messages. */
  explain(row: readonly Typed[]): string;
}

/** Compiles a boolean expression against the contract's columns; throws ExpressionError with the position. */
export function compileExpression(src: string, columns: readonly Column[]): CompiledExpression {
  const index = new Map(columns.map((c, i) => [c.name, i]));
  const used = new Set<number>();
  const fail = (at: number, msg: string): never => {
    throw new ExpressionError(`${msg} (at position ${at})`);
  };
  const bad = (n: Node, what: string, ty: Ty): never => fail(n.at, `${what} needs ${ty.k === 'null' ? 'a value' : `not ${name(ty)}`}`);

  const c = (n: Node): Compiled => {
    switch (n.t) {
      case 'num': {
        if (/^\d+$/.test(n.text)) {
          const v = Number(n.text);
          if (!Number.isSafeInteger(v)) fail(n.at, `integer ${n.text} is too large`);
          return { ty: { k: 'int' }, ev: () => v };
        }
        if (/[eE]/.test(n.text)) {
          const v = Number(n.text);
          return { ty: { k: 'double' }, ev: () => v };
        }
        const [ip, fp] = n.text.split('.');
        const v = BigInt(ip + fp);
        return { ty: { k: 'dec', s: fp.length }, ev: () => v };
      }
      case 'str': {
        const v = n.v;
        return { ty: { k: 'string' }, ev: () => v, lit: v };
      }
      case 'bool': {
        const v = n.v;
        return { ty: { k: 'bool' }, ev: () => v };
      }
      case 'null':
        return { ty: { k: 'null' }, ev: () => null };
      case 'typed': {
        const k = n.kind === 'date' ? 'date' : 'ts';
        const v = literalTime(k, n.v);
        if (v === undefined) fail(n.at, `${n.kind} '${n.v}' is not a valid ISO ${n.kind}`);
        return { ty: { k }, ev: () => v! };
      }
      case 'col': {
        const i = index.get(n.name);
        if (i === undefined) return fail(n.at, `unknown column ${n.name} (columns: ${columns.map((x) => x.name).join(', ')})`);
        used.add(i);
        const t = columns[i].type;
        const dec = decimalSpec(t);
        if (dec) return { ty: { k: 'dec', s: dec.scale }, ev: (row) => (row[i] === null ? null : BigInt(row[i] as number | bigint)) };
        const ty: Ty =
          t === 'integer'
            ? { k: 'int' }
            : t === 'double'
              ? { k: 'double' }
              : t === 'boolean'
                ? { k: 'bool' }
                : t === 'date'
                  ? { k: 'date' }
                  : t === 'timestamp'
                    ? { k: 'ts' }
                    : { k: 'string' };
        return { ty, ev: (row) => row[i] as V };
      }
      case 'neg': {
        const e = c(n.e);
        if (!numeric(e.ty) && e.ty.k !== 'null') bad(n, "'-'", e.ty);
        return {
          ty: e.ty,
          ev: (row) => {
            const v = e.ev(row);
            return v === null ? null : typeof v === 'bigint' ? -v : -(v as number) || 0;
          },
        };
      }
      case 'not': {
        const e = c(n.e);
        if (e.ty.k !== 'bool' && e.ty.k !== 'null') bad(n, "'not'", e.ty);
        return {
          ty: { k: 'bool' },
          ev: (row) => {
            const v = e.ev(row);
            return v === null ? null : !v;
          },
        };
      }
      case 'isnull': {
        const e = c(n.e);
        return { ty: { k: 'bool' }, ev: n.negated ? (row) => e.ev(row) !== null : (row) => e.ev(row) === null };
      }
      case 'bin':
        return binary(n);
      case 'call':
        return call(n);
    }
  };

  const binary = (n: Extract<Node, { t: 'bin' }>): Compiled => {
    let l = c(n.l);
    let r = c(n.r);
    if (n.op === 'and' || n.op === 'or') {
      for (const [side, x] of [
        [n.l, l],
        [n.r, r],
      ] as const)
        if (x.ty.k !== 'bool' && x.ty.k !== 'null') bad(side, `'${n.op}'`, x.ty);
      const le = l.ev,
        re = r.ev;
      // Three-valued: false and null = false, true or null = true.
      return n.op === 'and'
        ? {
            ty: { k: 'bool' },
            ev: (row) => {
              const a = le(row);
              if (a === false) return false;
              const b = re(row);
              return b === false ? false : a === null || b === null ? null : true;
            },
          }
        : {
            ty: { k: 'bool' },
            ev: (row) => {
              const a = le(row);
              if (a === true) return true;
              const b = re(row);
              return b === true ? true : a === null || b === null ? null : false;
            },
          };
    }
    // A text literal beside a date or timestamp is read as one.
    const asTime = (lit: Compiled, other: Compiled, at: number): Compiled => {
      if (lit.lit === undefined || (other.ty.k !== 'date' && other.ty.k !== 'ts')) return lit;
      const v = literalTime(other.ty.k, lit.lit);
      if (v === undefined) fail(at, `'${lit.lit}' is not a valid ISO ${other.ty.k === 'ts' ? 'timestamp' : 'date'}`);
      return { ty: other.ty, ev: () => v! };
    };
    l = asTime(l, r, n.l.at);
    r = asTime(r, l, n.r.at);
    if (CMP.has(n.op)) return compare(n, l, r);
    return arithmetic(n, l, r);
  };

  const compare = (n: Extract<Node, { t: 'bin' }>, l: Compiled, r: Compiled): Compiled => {
    let le = l.ev,
      re = r.ev;
    if (numeric(l.ty) || numeric(r.ty)) {
      if (!(numeric(l.ty) || l.ty.k === 'null') || !(numeric(r.ty) || r.ty.k === 'null')) fail(n.at, `cannot compare ${name(l.ty)} with ${name(r.ty)}`);
      const u = unify(l.ty, r.ty);
      const a = le,
        b = re;
      le = (row) => {
        const v = a(row);
        return v === null ? null : u.ca(v);
      };
      re = (row) => {
        const v = b(row);
        return v === null ? null : u.cb(v);
      };
    } else if (l.ty.k !== r.ty.k && l.ty.k !== 'null' && r.ty.k !== 'null') fail(n.at, `cannot compare ${name(l.ty)} with ${name(r.ty)}`);
    const op = n.op;
    const test: (a: V, b: V) => boolean =
      op === '='
        ? (a, b) => a === b
        : op === '!='
          ? (a, b) => a !== b
          : op === '<'
            ? (a, b) => a! < b!
            : op === '<='
              ? (a, b) => a! <= b!
              : op === '>'
                ? (a, b) => a! > b!
                : (a, b) => a! >= b!;
    return {
      ty: { k: 'bool' },
      ev: (row) => {
        const a = le(row);
        if (a === null) return null;
        const b = re(row);
        return b === null ? null : test(a, b);
      },
    };
  };

  const arithmetic = (n: Extract<Node, { t: 'bin' }>, l: Compiled, r: Compiled): Compiled => {
    const op = n.op;
    // Dates: date ± integer days, date - date = days between.
    if (l.ty.k === 'date' && (r.ty.k === 'int' || (r.ty.k === 'date' && op === '-')) && (op === '+' || op === '-')) {
      const ty: Ty = r.ty.k === 'date' ? { k: 'int' } : { k: 'date' };
      const sign = op === '-' ? -1 : 1;
      return { ty, ev: nullSafe(l.ev, r.ev, (a, b) => (a as number) + sign * Number(b as number | bigint)) };
    }
    if (!numeric(l.ty) && l.ty.k !== 'null') bad(n.l, `'${op}'`, l.ty);
    if (!numeric(r.ty) && r.ty.k !== 'null') bad(n.r, `'${op}'`, r.ty);
    if (op === '/') {
      const toD = (ty: Ty) => (ty.k === 'dec' ? (v: V) => Number(v as bigint) / 10 ** ty.s : (v: V) => Number(v as number | bigint));
      const a = toD(l.ty),
        b = toD(r.ty);
      // Division by zero gives null, as in SQL engines that do not raise.
      return { ty: { k: 'double' }, ev: nullSafe(l.ev, r.ev, (x, y) => (b(y) === 0 ? null : a(x) / b(y))) };
    }
    const u = unify(l.ty, r.ty);
    if (u.ty.k === 'dec') {
      const ls = l.ty.k === 'dec' ? l.ty.s : 0,
        rs = r.ty.k === 'dec' ? r.ty.s : 0;
      if (op === '*') {
        const toB = (ty: Ty) => (ty.k === 'dec' ? (v: V) => v as bigint : (v: V) => BigInt(v as number));
        const a = toB(l.ty),
          b = toB(r.ty);
        return { ty: { k: 'dec', s: ls + rs }, ev: nullSafe(l.ev, r.ev, (x, y) => a(x) * b(y)) };
      }
      const { ca, cb } = u;
      const f =
        op === '+' ? (x: bigint, y: bigint) => x + y : op === '-' ? (x: bigint, y: bigint) => x - y : (x: bigint, y: bigint) => (y === 0n ? null : x % y);
      return { ty: u.ty, ev: nullSafe(l.ev, r.ev, (x, y) => f(ca(x) as bigint, cb(y) as bigint)) };
    }
    if (u.ty.k === 'double') {
      const { ca, cb } = u;
      const fd =
        op === '+'
          ? (x: number, y: number) => x + y
          : op === '-'
            ? (x: number, y: number) => x - y
            : op === '*'
              ? (x: number, y: number) => x * y
              : (x: number, y: number) => (y === 0 ? null : x % y);
      return { ty: u.ty, ev: nullSafe(l.ev, r.ev, (x, y) => fd(ca(x) as number, cb(y) as number)) };
    }
    // Integers are exact, as BIGINT arithmetic is: a number while the result is a safe integer, else
    // computed again as a bigint (an operand past 2^53 is one already).
    const fb =
      op === '+'
        ? (x: bigint, y: bigint) => x + y
        : op === '-'
          ? (x: bigint, y: bigint) => x - y
          : op === '*'
            ? (x: bigint, y: bigint) => x * y
            : (x: bigint, y: bigint) => (y === 0n ? null : x % y);
    const fi = (x: V, y: V): V => {
      if (typeof x === 'number' && typeof y === 'number') {
        if (op === '%') return y === 0 ? null : x % y || 0;
        const n = op === '+' ? x + y : op === '-' ? x - y : x * y;
        if (Number.isSafeInteger(n)) return n || 0;
      }
      const b = fb(BigInt(x as number | bigint), BigInt(y as number | bigint));
      return b === null ? null : safe(b);
    };
    return { ty: { k: 'int' }, ev: nullSafe(l.ev, r.ev, fi) };
  };

  const call = (n: Extract<Node, { t: 'call' }>): Compiled => {
    const args = n.args.map(c);
    const arity = (k: number) => {
      if (args.length !== k) fail(n.at, `${n.fn}() takes ${k} argument${k > 1 ? 's' : ''}, got ${args.length}`);
    };
    const one = (ok: (ty: Ty) => boolean, ty: Ty, f: (v: V) => V, what: string): Compiled => {
      arity(1);
      if (!ok(args[0].ty) && args[0].ty.k !== 'null') fail(n.at, `${n.fn}() needs ${what}, not ${name(args[0].ty)}`);
      const e = args[0].ev;
      return {
        ty,
        ev: (row) => {
          const v = e(row);
          return v === null ? null : f(v);
        },
      };
    };
    const time = (ty: Ty) => ty.k === 'date' || ty.k === 'ts';
    const days = (ty: Ty) => (ty.k === 'ts' ? (v: V) => Math.floor((v as number) / 86400000) : (v: V) => v as number);
    const a0 = args[0]?.ty ?? { k: 'null' };
    switch (n.fn) {
      case 'coalesce': {
        let ty: Ty = { k: 'null' };
        for (const a of args) {
          if (numeric(ty) && numeric(a.ty)) ty = unify(ty, a.ty).ty;
          else if (ty.k === 'null') ty = a.ty;
          else if (a.ty.k !== 'null' && a.ty.k !== ty.k) fail(n.at, `coalesce() arguments must have one type: ${name(ty)} and ${name(a.ty)}`);
        }
        const evs = args.map((a) =>
          numeric(ty) && numeric(a.ty)
            ? ((conv) => (row: readonly Typed[]) => {
                const v = a.ev(row);
                return v === null ? null : conv(v);
              })(unify(a.ty, ty).ca)
            : a.ev,
        );
        return {
          ty,
          ev: (row) => {
            for (const e of evs) {
              const v = e(row);
              if (v !== null) return v;
            }
            return null;
          },
        };
      }
      case 'abs':
        return one(numeric, a0, (v) => (typeof v === 'bigint' ? (v < 0n ? -v : v) : Math.abs(v as number)), 'a number');
      case 'year':
      case 'month':
      case 'day': {
        const toDays = days(a0);
        const part = n.fn === 'year' ? 0 : n.fn === 'month' ? 1 : 2;
        return one(time, { k: 'int' }, (v) => civil(toDays(v))[part], 'a date or timestamp');
      }
      case 'hour':
        return one(
          (ty) => ty.k === 'ts',
          { k: 'int' },
          (v) => Math.floor(((((v as number) % 86400000) + 86400000) % 86400000) / 3600000),
          'a timestamp',
        );
      case 'date':
        return one(time, { k: 'date' }, days(a0), 'a date or timestamp');
      case 'days_between': {
        arity(2);
        for (const a of args) if (!time(a.ty) && a.ty.k !== 'null') fail(n.at, `days_between() needs dates or timestamps, not ${name(a.ty)}`);
        const d0 = days(args[0].ty),
          d1 = days(args[1].ty);
        return { ty: { k: 'int' }, ev: nullSafe(args[0].ev, args[1].ev, (x, y) => d1(y) - d0(x)) };
      }
      case 'length':
        return one(
          (ty) => ty.k === 'string',
          { k: 'int' },
          (v) => [...(v as string)].length,
          'text',
        );
      case 'lower':
        return one(
          (ty) => ty.k === 'string',
          { k: 'string' },
          (v) => (v as string).toLowerCase(),
          'text',
        );
      case 'upper':
        return one(
          (ty) => ty.k === 'string',
          { k: 'string' },
          (v) => (v as string).toUpperCase(),
          'text',
        );
      default:
        return fail(n.at, `unknown function ${n.fn}() (functions: coalesce, abs, year, month, day, hour, date, days_between, length, lower, upper)`);
    }
  };

  const root = c(parseExpression(src));
  if (root.ty.k !== 'bool') throw new ExpressionError(`the expression must be true or false, but gives ${name(root.ty)}`);
  const ev = root.ev;
  const shown = [...used].sort((a, b) => a - b).map((i) => ({ i, name: columns[i].name, show: displayFor(columns[i]) }));
  return {
    evaluate: (row) => ev(row) as boolean | null,
    explain: (row) => shown.map((s) => `${s.name}=${row[s.i] === null ? 'null' : s.show(row[s.i])}`).join(', '),
  };
}

function nullSafe(a: Ev, b: Ev, f: (x: V, y: V) => V): Ev {
  return (row) => {
    const x = a(row);
    if (x === null) return null;
    const y = b(row);
    return y === null ? null : f(x, y);
  };
}

/** [year, month, day] of a day number (Hinnant's civil_from_days). */
function civil(z: number): [number, number, number] {
  z += 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  return [yoe + era * 400 + (m <= 2 ? 1 : 0), m, d];
}

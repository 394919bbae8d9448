import { ruleId, type Column, type Contract, type Rule } from '../contract/contract';
import { compileExpression } from './expression';
import { FingerprintSet } from './fingerprints';
import { fixedPatternTest } from './fixed-pattern';
import { RecentStrings } from '../base/hash';
import { canonicalDecimal, decimalSpec, expandExponent, type Scaled } from '../typing/decimal';
import { contractValue, displayFor, parserFor } from '../typing/parse';
import { INVALID, type Typed } from '../typing/values';

/**
 * Row rules compiled against the contract's columns. A check returns a
 * human-readable failure, or undefined when the row passes.
 */

export interface CompiledRule {
  id: string;
  severity: 'error' | 'warn';
  column: string;
  check(row: Typed[]): string | undefined;
}

/** Characters as a reader counts them: code points (an emoji is 1, not its 2 UTF-16 units). */
export function codePoints(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xdc00 && c <= 0xdfff && i > 0) {
      const p = s.charCodeAt(i - 1);
      if (p >= 0xd800 && p <= 0xdbff) n--;
    }
  }
  return n;
}

/**
 * The text a row's key is compared by; distinct keys give distinct texts. Null
 * is "\u0000" and a value starting with U+0000 gets a second one, so null, ''
 * and the text 'null' never meet; with several columns each value is
 * length-prefixed, so 'a,' + 'b' and 'a' + ',b' differ.
 */
export function keyOf(row: Typed[], idx: number[]): string {
  if (idx.length === 1) return keyPart(row[idx[0]]);
  let k = '';
  for (const i of idx) {
    const p = keyPart(row[i]);
    k += `${p.length}:${p}`;
  }
  return k;
}

function keyPart(v: Typed): string {
  if (v === null) return '\u0000';
  const s = typeof v === 'string' ? v : String(v);
  return s.charCodeAt(0) === 0 ? `\u0000${s}` : s;
}

function numeric(col: Column, bound: number): (v: Typed) => number {
  const dec = decimalSpec(col.type);
  if (dec) {
    // The bound as written (its shortest digits: 0.005, 1e-7 as 0.0000001), compared exactly: a
    // value is a scaled integer at the column's scale, the bound is scaled to its own digits.
    const m = /^(-?)(\d+)(?:\.(\d+))?$/.exec(expandExponent(String(bound)));
    if (!m) throw new Error(`bound ${bound} of ${col.name} is not a decimal number`);
    const frac = m[3] ?? '';
    const exact = BigInt(m[1] + m[2] + frac);
    if (frac.length <= dec.scale) {
      const b = canonicalDecimal(exact * 10n ** BigInt(dec.scale - frac.length));
      // Number and bigint compare exactly with each other, whichever form either side takes.
      return (v) => ((v as Scaled) < b ? -1 : (v as Scaled) > b ? 1 : 0);
    }
    // More digits than the column keeps: the bound lies strictly between two values the column can
    // hold, lo and lo + 1 (in units of its scale), and no value equals it.
    const unit = 10n ** BigInt(frac.length - dec.scale);
    const lo = canonicalDecimal(exact / unit - (exact % unit < 0n ? 1n : 0n));
    return (v) => ((v as Scaled) <= lo ? -1 : 1);
  }
  return (v) => ((v as number) < bound ? -1 : (v as number) > bound ? 1 : 0);
}

export function compileRules(contract: Contract): CompiledRule[] {
  const index = new Map(contract.columns.map((c, i) => [c.name, i]));
  const colOf = (name: string) => contract.columns[index.get(name)!];
  const out: CompiledRule[] = [];
  // nullable: false is a not_null error rule the author need not repeat.
  for (const col of contract.columns) {
    if (!col.nullable && !contract.rules.some((r) => r.rule === 'not_null' && r.column === col.name)) {
      out.push(compile({ rule: 'not_null', column: col.name, severity: 'error' }));
    }
  }
  for (const r of contract.rules) out.push(compile(r));
  return out;

  function compile(r: Rule): CompiledRule {
    const id = ruleId(r);
    const severity = r.severity;
    if (r.rule === 'unique') {
      const idx = r.columns.map((c) => index.get(c)!);
      const seen = new FingerprintSet();
      return {
        id,
        severity,
        column: r.columns.join(','),
        check: (row) => {
          if (idx.some((i) => row[i] === null)) return undefined;
          return seen.add(keyOf(row, idx)) ? undefined : `duplicate value for ${r.columns.join(', ')}`;
        },
      };
    }
    if (r.rule === 'expression') return expressionRule(r, id, contract.columns);
    const i = index.get(r.column)!;
    const col = colOf(r.column);
    const show = displayFor(col);
    switch (r.rule) {
      case 'not_null':
        return { id, severity, column: r.column, check: (row) => (row[i] === null ? `${r.column} is null` : undefined) };
      case 'min':
      case 'max': {
        // A date or timestamp bound may be an ISO string; messages then show it as written.
        const cmp = numeric(col, boundOf(col, r.value));
        const below = r.rule === 'min';
        return {
          id,
          severity,
          column: r.column,
          check: (row) => {
            const v = row[i];
            if (v === null) return undefined;
            const c = below ? -cmp(v) : cmp(v);
            if (c < 0 || (c === 0 && !r.exclusive)) return undefined;
            return `${r.column}=${show(v)} is ${below ? 'below the minimum' : 'above the maximum'} ${r.value}`;
          },
        };
      }
      case 'accepted_values': {
        const allowed = new Set(r.values.map((v) => String(v)));
        const fail = (v: Typed) => `${r.column}='${show(v)}' is not one of ${[...allowed].join(', ')}`;
        const typed = typedValues(col, r.values);
        if (col.type === 'string') {
          // Accepted strings seen lately, compared by content. The cache keeps the contract's own
          // string, not the value: a slice would pin its whole input chunk.
          const recent = new RecentStrings();
          const own = new Map([...allowed].map((a) => [a, a]));
          return {
            id,
            severity,
            column: r.column,
            check: (row) => {
              const v = row[i] as string | null;
              if (v === null) return undefined;
              if (recent.get(v) === 1) return undefined;
              const a = own.get(v);
              if (a === undefined) return fail(v);
              recent.set(a, 1);
              return undefined;
            },
          };
        }
        return {
          id,
          severity,
          column: r.column,
          check: (row) => {
            const v = row[i];
            return v === null || typed.has(String(v)) ? undefined : fail(v);
          },
        };
      }
      case 'regex': {
        const re = new RegExp(r.pattern);
        const text = col.type === 'string' ? (v: Typed) => v as string : show;
        const want = r.match;
        const fail = (v: Typed) => `${r.column}='${show(v)}' ${want ? 'does not match' : 'matches the forbidden pattern'} /${r.pattern}/`;
        // A fixed-length pattern on a string column needs no regex engine (fixed-pattern.ts); it is
        // only made for a string column, so the value it is given is a string.
        const fixed = col.type === 'string' ? fixedPatternTest(r.pattern) : undefined;
        const matches = (fixed ?? ((v: Typed) => re.test(text(v)))) as (v: Typed) => boolean;
        return {
          id,
          severity,
          column: r.column,
          check: (row) => {
            const v = row[i];
            return v === null || matches(v) === want ? undefined : fail(v);
          },
        };
      }
      case 'not_in': {
        const banned = new Set(r.values.map((v) => String(v)));
        const typed = col.type === 'string' ? banned : typedValues(col, r.values);
        return {
          id,
          severity,
          column: r.column,
          check: (row) => {
            const v = row[i];
            return v === null || !typed.has(String(v)) ? undefined : `${r.column}='${show(v)}' is one of the forbidden values ${[...banned].join(', ')}`;
          },
        };
      }
      case 'length':
        return {
          id,
          severity,
          column: r.column,
          check: (row) => {
            const v = row[i];
            if (v === null) return undefined;
            const n = codePoints(show(v));
            if (r.min !== undefined && n < r.min) return `${r.column} has length ${n}, below ${r.min}`;
            if (r.max !== undefined && n > r.max) return `${r.column} has length ${n}, above ${r.max}`;
            return undefined;
          },
        };
    }
  }
}

/**
 * The rule kinds that need more than one column's value or a typed bound:
 * date/timestamp bounds for min/max and the `expression` rule.
 */

/**
 * A rule's listed values typed as the column's (ISO for dates and timestamps, as the contract check
 * reads them), as the text of their typed value: typed values are canonical (a decimal one scaled
 * integer, an integer a number while safe), so 1.5, 1.50 and "1.5" meet, and a row's value is
 * looked up by String(value). Values that do not type were refused when the contract loaded.
 */
function typedValues(col: Column, values: readonly (string | number | boolean)[]): Set<string> {
  const parse = parserFor({ ...col, format: col.type === 'date' || col.type === 'timestamp' ? 'iso' : col.format });
  const out = new Set<string>();
  for (const v of values) {
    const t = contractValue(v, parse, col.type);
    if (t !== INVALID && t !== null) out.add(String(t));
  }
  return out;
}

/**
 * A min/max bound in the column's own units: an ISO date or timestamp string
 * becomes a day number or epoch ms (the contract check has already made sure
 * it parses). Numbers pass through.
 */
export function boundOf(col: Column, value: number | string): number {
  if (typeof value === 'number') return value;
  const v = parserFor({ ...col, format: 'iso' })(value);
  if (v === INVALID || typeof v !== 'number') throw new Error(`bound '${value}' is not a valid ${col.type} for ${col.name}`);
  return v;
}

export function expressionRule(r: Extract<Rule, { rule: 'expression' }>, id: string, columns: readonly Column[]): CompiledRule {
  const expr = compileExpression(r.expression, columns);
  return {
    id,
    severity: r.severity,
    column: '',
    check: (row) => (expr.evaluate(row) === false ? `${r.expression} is false for ${expr.explain(row)}` : undefined),
  };
}

import { ruleId, type Column, type Contract, type Rule } from '../contract/contract';
import { boundOf, expressionRule } from './rules-extra';
import { canonicalDecimal, decimalSpec, displayFor, parseDecimal, recentSlot, type Scaled, type Typed } from '../typing/parse';

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

/**
 * 64-bit fingerprints in an open-addressing table: exact enough for per-file
 * uniqueness, 8 bytes a slot. Both halves sit side by side so a probe costs one
 * cache miss, not three; a zero low half marks an empty slot (the stored low
 * half always has its lowest bit set, leaving 63 bits of fingerprint).
 */
/** Scratch for FingerprintSet.add's single fingerprint. */
const one1 = new Int32Array(1);
const one2 = new Int32Array(1);

export class FingerprintSet {
  private t: Int32Array;
  size = 0;

  constructor(capacity = 1 << 16) {
    let cap = 16;
    while (cap < capacity) cap *= 2; // probes mask the index: a power of two
    this.t = new Int32Array(cap * 2);
  }

  /** Writes the key's fingerprint to h1s[k], h2s[k]: what add() inserts (for insert()). */
  static fingerprint(key: string, h1s: Int32Array, h2s: Int32Array, k: number): void {
    let h1 = 0x811c9dc5;
    let h2 = 0x9747b28c;
    for (let i = 0; i < key.length; i++) {
      const c = key.charCodeAt(i);
      h1 = Math.imul(h1 ^ c, 0x01000193);
      h2 = Math.imul(h2 ^ c, 0x5bd1e995);
      h2 ^= h2 >>> 15;
    }
    h1s[k] = h1 ^ key.length;
    h2s[k] = Math.imul(h2 ^ (h2 >>> 13), 0xc2b2ae35) | 1;
  }

  /**
   * Reads the home slots of n fingerprints, in a loop of their own: the loads
   * do not depend on each other, so the CPU keeps many cache misses in flight,
   * and the inserts that follow find their lines in cache. A table of millions
   * of keys is far larger than the caches, and one miss at a time (~130 ns
   * each here) was the stage's largest single cost.
   */
  touch(h1s: Int32Array, h2s: Int32Array, n: number): void {
    const t = this.t;
    const mask = (t.length >>> 1) - 1;
    let acc = 0;
    for (let k = 0; k < n; k++) acc ^= t[2 * ((h1s[k] ^ Math.imul(h2s[k], 0x27d4eb2d)) & mask) + 1];
    this.sink ^= acc;
  }

  /** Keeps the loads above from being optimised away. */
  private sink = 0;

  /** Adds the key; returns false when it was already present. */
  add(key: string): boolean {
    FingerprintSet.fingerprint(key, one1, one2, 0);
    return this.insert(one1[0], one2[0]);
  }

  /** Adds a fingerprint made by fingerprint(); returns false when it was already present. */
  insert(h1: number, h2: number): boolean {
    const t = this.t;
    const mask = (t.length >>> 1) - 1;
    let i = (h1 ^ Math.imul(h2, 0x27d4eb2d)) & mask;
    for (;;) {
      const lo = t[2 * i + 1];
      if (lo === 0) break;
      if (lo === h2 && t[2 * i] === h1) return false;
      i = (i + 1) & mask;
    }
    t[2 * i] = h1;
    t[2 * i + 1] = h2;
    if (++this.size * 10 > (mask + 1) * 7) this.grow();
    return true;
  }

  private grow(): void {
    const old = this.t;
    this.t = new Int32Array(old.length * 2);
    this.size = 0;
    for (let i = 0; i < old.length; i += 2) if (old[i + 1] !== 0) this.insert(old[i], old[i + 1]);
  }
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
    // Compare decimals exactly against the bound scaled the same way.
    const scaled = parseDecimal(String(bound), { precision: 38, scale: dec.scale });
    const b = typeof scaled !== 'symbol' ? scaled : canonicalDecimal(BigInt(Math.round(bound * 10 ** dec.scale)));
    // Number and bigint compare exactly with each other, whichever form either side takes.
    return (v) => (v as Scaled) < b ? -1 : (v as Scaled) > b ? 1 : 0;
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
        id, severity, column: r.columns.join(','),
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
          id, severity, column: r.column,
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
        if (col.type === 'string') {
          // Accepted strings seen lately (types.ts recentSlot), compared by content.
          const recent: (string | undefined)[] = new Array(32).fill(undefined);
          return {
            id, severity, column: r.column,
            check: (row) => {
              const v = row[i] as string | null;
              if (v === null) return undefined;
              const slot = recentSlot(v);
              if (recent[slot] === v) return undefined;
              if (!allowed.has(v)) return fail(v);
              recent[slot] = v;
              return undefined;
            },
          };
        }
        return {
          id, severity, column: r.column,
          check: (row) => {
            const v = row[i];
            return v === null || allowed.has(show(v)) ? undefined : fail(v);
          },
        };
      }
      case 'regex': {
        const re = new RegExp(r.pattern);
        const text = col.type === 'string' ? (v: Typed) => v as string : show;
        const want = r.match;
        return {
          id, severity, column: r.column,
          check: (row) => {
            const v = row[i];
            return v === null || re.test(text(v)) === want ? undefined : `${r.column}='${show(v)}' ${want ? 'does not match' : 'matches the forbidden pattern'} /${r.pattern}/`;
          },
        };
      }
      case 'not_in': {
        const banned = new Set(r.values.map((v) => String(v)));
        return {
          id, severity, column: r.column,
          check: (row) => {
            const v = row[i];
            return v === null || !banned.has(show(v)) ? undefined : `${r.column}='${show(v)}' is one of the forbidden values ${[...banned].join(', ')}`;
          },
        };
      }
      case 'length':
        return {
          id, severity, column: r.column,
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

import { describe, expect, it } from 'vitest';
import { parseContract } from '../../lambdas/core/contract/load';
import { fixedPatternTest } from '../../lambdas/core/quality/fixed-pattern';
import { compileRules } from '../../lambdas/core/quality/rules';

/** Deterministic PRNG (mulberry32), so a failure reproduces. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORD = 'ACZaxz09_5';
/** Characters around the grammar's edges: specials, case, neighbours of ranges, newlines, non-ASCII, surrogates. */
const NOISE = [...WORD, '@', '[', '`', '{', '/', ':', '-', '^', '$', '.', '\n', '\r', ' ', 'é', 'İ', '\u0000', '\ud83d', '\ude00', 'Ｃ', '٣'];

/** A random pattern, mostly inside the fast path's grammar, sometimes just outside it. */
function randomPattern(r: () => number): string {
  const pick = (s: readonly string[] | string) => s[Math.floor(r() * s.length)];
  let p = r() < 0.95 ? '^' : '';
  const atoms = Math.floor(r() * 5);
  for (let a = 0; a < atoms; a++) {
    if (r() < 0.4) p += pick(r() < 0.95 ? WORD : '.-\\(|*');
    else {
      let body = '';
      const items = 1 + Math.floor(r() * 3);
      for (let k = 0; k < items; k++) {
        const lo = pick(WORD);
        body += r() < 0.5 ? `${lo}-${pick(WORD)}` : lo;
      }
      if (r() < 0.05) body = `^${body}`;
      if (r() < 0.05) body += '-';
      p += `[${body}]`;
    }
    if (r() < 0.5) p += `{${Math.floor(r() * 4)}}`;
    else if (r() < 0.05) p += '{1,2}';
  }
  return p + (r() < 0.95 ? '$' : '');
}

/** Strings near the pattern: what it matches, then mutated (a unit changed, dropped or added). */
function randomInput(r: () => number, re: RegExp): string {
  const pick = (s: readonly string[]) => s[Math.floor(r() * s.length)];
  let s = '';
  // A matching string by trial: random strings of word characters rarely match long patterns.
  for (let t = 0; t < 20 && !re.test(s); t++) {
    s = '';
    const n = Math.floor(r() * 10);
    for (let k = 0; k < n; k++) s += pick(NOISE);
  }
  const edits = Math.floor(r() * 3);
  for (let e = 0; e < edits; e++) {
    const at = Math.floor(r() * (s.length + 1));
    const what = r();
    if (what < 0.4) s = s.slice(0, at) + pick(NOISE) + s.slice(at + 1);
    else if (what < 0.7) s = s.slice(0, at) + s.slice(at + 1);
    else s = s.slice(0, at) + pick(NOISE) + s.slice(at);
  }
  return s;
}

describe('fixed-length regex rule without the RegExp engine', () => {
  it('recognises plain anchored patterns and leaves the rest to the RegExp', () => {
    expect(fixedPatternTest('^C[0-9]{6}$')).toBeDefined();
    expect(fixedPatternTest('^[A-Z_]{2}[a-z0-9]$')).toBeDefined();
    for (const p of ['C[0-9]{6}$', '^C[0-9]{6}', '^C[0-9]{1,6}$', '^C[^0-9]$', '^C\\d$', '^a|b$', '^[9-0]$', '^.$', '^[a-]$', '^[]$', '^C[0-9]+$']) {
      expect(fixedPatternTest(p), p).toBeUndefined();
    }
  });

  it('answers exactly as new RegExp(pattern).test on random patterns and inputs', () => {
    const r = rng(20261207);
    let fast = 0;
    let matched = 0;
    for (let t = 0; t < 3000; t++) {
      const pattern = randomPattern(r);
      let re: RegExp;
      try {
        re = new RegExp(pattern);
      } catch {
        expect(fixedPatternTest(pattern), pattern).toBeUndefined();
        continue;
      }
      const test = fixedPatternTest(pattern);
      if (!test) continue;
      fast++;
      for (let k = 0; k < 30; k++) {
        const s = randomInput(r, re);
        const want = re.test(s);
        if (want) matched++;
        expect(test(s), `${JSON.stringify(pattern)} on ${JSON.stringify(s)}`).toBe(want);
      }
    }
    // The generator must exercise the fast path with both answers, or the comparison proves little.
    expect(fast).toBeGreaterThan(1000);
    expect(matched).toBeGreaterThan(5000);
  });

  it('the compiled rule gives the same failures through either path', () => {
    const c = parseContract({
      dataset: 'd',
      version: 1,
      columns: [{ name: 'c', type: 'string' }],
      rules: [
        { rule: 'regex', column: 'c', pattern: '^C[0-9]{6}$' },
        { rule: 'regex', column: 'c', pattern: '^C[0-9]{6}$', match: false, severity: 'warn' },
      ],
    });
    const [yes, no] = compileRules(c);
    for (const v of ['C123456', 'C12345', 'C1234567', 'c123456', 'C12345a', '', null]) {
      const matches = v !== null && /^C[0-9]{6}$/.test(v);
      expect(yes.check([v]) === undefined, String(v)).toBe(v === null || matches);
      expect(no.check([v]) === undefined, String(v)).toBe(v === null || !matches);
    }
    expect(yes.check(['C12345'])).toBe("c='C12345' does not match /^C[0-9]{6}$/");
    expect(no.check(['C123456'])).toBe("c='C123456' matches the forbidden pattern /^C[0-9]{6}$/");
  });
});

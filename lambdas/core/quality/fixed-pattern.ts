/**
 * The regex rule's common case without the RegExp engine: an anchored pattern
 * of fixed length made of plain characters and character classes, such as
 * ^C[0-9]{6}$ or ^[A-Z]{2}-[0-9]{4}$. Such a pattern matches exactly the strings
 * of its length whose every code unit lies in the set of its position, which a
 * loop over the string checks without entering the regex engine.
 *
 * Only a deliberately small grammar is recognised, so equivalence with
 * `new RegExp(pattern)` (no flags) is easy to see; anything else (escapes,
 * negated classes, alternation, variable quantifiers, flags' effects) returns
 * undefined and the rule keeps its RegExp:
 *
 *   pattern := '^' atom* '$'
 *   atom    := (char | '[' item+ ']') ('{' digits '}')?
 *   item    := char ('-' char)?          (a range needs lo <= hi)
 *   char    := [A-Za-z0-9_]
 *
 * Without the `i` flag these match case-sensitively by code unit; without the
 * `m` flag ^ and $ match only at the string's ends; none of the characters
 * allowed is special inside or outside a class.
 */

const WORD = /[A-Za-z0-9_]/;
/** A {n} above this is left to the RegExp (and keeps the position table small). */
const MAX_LENGTH = 256;

/** A test equivalent to `new RegExp(pattern).test(s)`, or undefined when the pattern is outside the grammar above. */
export function fixedPatternTest(pattern: string): ((s: string) => boolean) | undefined {
  if (pattern.length < 2 || pattern[0] !== '^' || pattern[pattern.length - 1] !== '$') return undefined;
  const end = pattern.length - 1;
  // Per position, the allowed code units as [lo, hi] pairs.
  const positions: number[][] = [];
  let p = 1;
  while (p < end) {
    let ranges: number[];
    const c = pattern[p];
    if (WORD.test(c)) {
      ranges = [c.charCodeAt(0), c.charCodeAt(0)];
      p++;
    } else if (c === '[') {
      const close = pattern.indexOf(']', p + 1);
      if (close < 0 || close === p + 1) return undefined;
      const body = pattern.slice(p + 1, close);
      ranges = [];
      for (let k = 0; k < body.length; ) {
        if (!WORD.test(body[k])) return undefined;
        const lo = body.charCodeAt(k);
        if (body[k + 1] === '-') {
          if (k + 2 >= body.length || !WORD.test(body[k + 2])) return undefined;
          const hi = body.charCodeAt(k + 2);
          if (hi < lo) return undefined;
          ranges.push(lo, hi);
          k += 3;
        } else {
          ranges.push(lo, lo);
          k++;
        }
      }
      p = close + 1;
    } else return undefined;
    let count = 1;
    if (pattern[p] === '{') {
      const close = pattern.indexOf('}', p + 1);
      const digits = close < 0 ? '' : pattern.slice(p + 1, close);
      if (!/^[0-9]{1,3}$/.test(digits)) return undefined;
      count = Number(digits);
      p = close + 1;
    }
    if (positions.length + count > MAX_LENGTH) return undefined;
    for (let k = 0; k < count; k++) positions.push(ranges);
  }
  if (p !== end) return undefined;
  return compile(positions);
}

/** One set of the [lo, hi] pairs per position: the string must be that long and each unit in its set. */
function compile(positions: number[][]): (s: string) => boolean {
  const n = positions.length;
  // Flattened: position k's pairs are ranges[start[k] .. start[k + 1]).
  const start = new Int32Array(n + 1);
  const flat: number[] = [];
  positions.forEach((r, k) => {
    start[k] = flat.length;
    flat.push(...r);
  });
  start[n] = flat.length;
  const ranges = Int32Array.from(flat);
  return (s) => {
    if (s.length !== n) return false;
    for (let k = 0; k < n; k++) {
      const c = s.charCodeAt(k);
      let j = start[k];
      const stop = start[k + 1];
      while (j < stop && !(c >= ranges[j] && c <= ranges[j + 1])) j += 2;
      if (j === stop) return false;
    }
    return true;
  };
}

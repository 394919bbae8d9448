/**
 * A string with the content of `s` that references no larger string.
 *
 * V8 cuts a substring of 13 or more characters as a view into its parent, and a
 * concatenation as a pair of references: a value sliced from a decoded input
 * chunk keeps the whole chunk (256 KB to 1 MB) alive for as long as the value
 * is. Anything the stage keeps past its chunk (dictionary entries, gold group
 * keys and extremes, rows held for the duplicate policy) keeps this copy
 * instead, so memory follows what is kept, not how many chunks it came from.
 * Prepending a character makes a pair of references; slicing it off makes V8
 * flatten that pair into a fresh string first and leaves a view of the fresh
 * string only (V8's behaviour, checked by test/unit/retention.test.ts).
 */
export function detach(s: string): string {
  return s.length >= 13 ? ` ${s}`.slice(1) : s;
}

/** detach() for the strings among `values` (in place). */
export function detachAll<T>(values: T[]): T[] {
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (typeof v === 'string' && v.length >= 13) values[i] = detach(v) as T;
  }
  return values;
}

/** detach() for the string values of a record (in place). */
export function detachValues(o: Record<string, unknown>): Record<string, unknown> {
  for (const k in o) {
    const v = o[k];
    if (typeof v === 'string' && v.length >= 13) o[k] = detach(v);
  }
  return o;
}

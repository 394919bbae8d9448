import type { Column } from '../contract/contract';

/**
 * A column's reading options (nullValues, trim, emptyAs) as one function from
 * the field's text to the text to type, or null for a null value. Columns
 * without options get none, and keep the stage's fast path.
 *
 * Empty fields: in CSV an empty field, quoted ("") or not, is null unless the
 * column says `emptyAs: ""`; in JSON "" stays "" unless it says `emptyAs: null`.
 * Null markers and empties take the column's default, as a missing value does.
 */
export type Cleaner = (raw: string) => string | null;

export function cleanerFor(col: Column, source: 'csv' | 'json'): Cleaner | undefined {
  if (!col.trim && !col.nullValues?.length && col.emptyAs === undefined) return undefined;
  const trim = col.trim === true;
  const nulls = new Set(col.nullValues ?? []);
  const keepEmpty = col.emptyAs === '' || (col.emptyAs === undefined && source === 'json');
  return (raw) => {
    const t = trim ? raw.trim() : raw;
    if (nulls.has(t)) return null;
    if (t === '') return keepEmpty ? '' : null;
    return t;
  };
}

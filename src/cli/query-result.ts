import type { LakeTable } from '../../lib/lake-tables';

/**
 * What `pipeline query` prints, the same whichever engine ran the SQL (DuckDB
 * over the local store, or Athena): column names and types, and rows as JSON
 * values. Integers are numbers (strings past 2^53), decimals exact strings,
 * dates `YYYY-MM-DD`, timestamps `YYYY-MM-DD HH:MM:SS.mmm` (Athena's text form).
 */
export type Cell = string | number | boolean | null;

export interface QueryResult {
  columns: { name: string; type: string }[];
  rows: Cell[][];
  engine: 'duckdb' | 'athena';
}

/** A query the user can fix (unknown table or column, bad SQL): exit 2, no stack trace. */
export class QueryError extends Error {
  override readonly name = 'QueryError';
}

const MAX_MESSAGE = 1500;
export const bounded = (s: string) => (s.length > MAX_MESSAGE ? `${s.slice(0, MAX_MESSAGE - 1)}…` : s);

/** Integer text -> a number when exact, else the text. */
export function integerCell(text: string): Cell {
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : text;
}

/** Timestamp text from either engine ('2026-11-20 10:00:00', '…T…', with or without fractions) as Athena prints it. */
export function timestampCell(text: string): string {
  const m = /^(\d{4,}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2})(?:\.(\d+))?/.exec(text);
  return m ? `${m[1]} ${m[2]}.${(m[3] ?? '').padEnd(3, '0').slice(0, 3)}` : text;
}

/** Text of a typed value (as Athena returns every value) -> the JSON value of that type. */
export function cellOf(type: string, text: string | undefined): Cell {
  if (text === undefined) return null;
  const base = type.toLowerCase().replace(/\(.*$/, '').trim();
  switch (base) {
    case 'tinyint':
    case 'smallint':
    case 'integer':
    case 'int':
    case 'bigint':
      return integerCell(text);
    case 'double':
    case 'float':
    case 'real': {
      const n = Number(text);
      return Number.isFinite(n) ? n : text;
    }
    case 'boolean':
      return text === 'true';
    case 'timestamp':
      return timestampCell(text);
    default:
      return text;
  }
}

/** Why a table or column is unknown, with what is known, so the next try is right. */
export function unknownName(kind: 'table' | 'column', name: string, tables: LakeTable[]): QueryError {
  const known =
    kind === 'table'
      ? `known tables: ${tables.map((t) => t.name).join(', ')}`
      : `columns: ${tables.map((t) => `${t.name}(${[...t.columns.map((c) => c.name), 'dt'].join(', ')})`).join('; ')}`;
  return new QueryError(bounded(`unknown ${kind} '${name}' (${known})`));
}

/** Map an engine's "no such table/column" message to unknownName; undefined when it is another error. */
export function explainEngineError(message: string, tables: LakeTable[], sql = ''): QueryError | undefined {
  const table =
    /Table with name "?([^"\s!]+)"? does not exist/i.exec(message) ??
    /TABLE_NOT_FOUND.*Table '(?:[^.']+\.)*([^.']+)' does not exist/i.exec(message) ??
    /Table '(?:[^.']+\.)*([^.']+)' does not exist/i.exec(message);
  if (table) return unknownName('table', table[1], tables);
  const column =
    /Referenced column "?([^"\s]+)"? not found/i.exec(message) ??
    /COLUMN_NOT_FOUND.*Column '([^']+)' cannot be resolved/i.exec(message) ??
    /Column '([^']+)' cannot be resolved/i.exec(message);
  if (column) {
    // The columns of the tables the statement names (all tables when it names none of them).
    const named = tables.filter((t) => new RegExp(`\\b${t.name}\\b`, 'i').test(sql));
    return unknownName('column', column[1], named.length ? named : tables);
  }
  return undefined;
}

/** A readable table: header, a rule, rows (NULL shown as such), and the row count. */
export function renderTable(r: QueryResult): string {
  const text = (v: Cell) => (v === null ? 'NULL' : String(v));
  const cells = [r.columns.map((c) => c.name), ...r.rows.map((row) => row.map(text))];
  const widths = r.columns.map((_, i) => Math.max(...cells.map((row) => row[i].length)));
  const numeric = r.columns.map((c) => /^(tinyint|smallint|int|integer|bigint|double|float|real|decimal|hugeint)/i.test(c.type));
  const line = (row: string[]) =>
    row
      .map((v, i) => (numeric[i] ? v.padStart(widths[i]) : v.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  const out = [line(cells[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)];
  out.push(`(${r.rows.length} row${r.rows.length === 1 ? '' : 's'}, ${r.engine})`);
  return out.join('\n');
}

/** JSON rows: one object per row, keyed by column name. */
export function jsonRows(r: QueryResult): Record<string, Cell>[] {
  return r.rows.map((row) => Object.fromEntries(r.columns.map((c, i) => [c.name, row[i]])));
}

import { z } from 'zod';

/**
 * How a contract reads real-world files: header names that are not
 * identifiers, null markers, padding, empty fields, and local times around DST.
 * Kept apart from contract/contract.ts so the options and their meaning live together.
 */

export const COLUMN_TYPES = 'string, integer, double, boolean, date, timestamp, decimal(p,s) with p <= 38';

/** Values that mean null ('NA', 'N/A', '-'), compared after trimming when trim is on. */
const nullValues = z.array(z.string()).max(64);
/**
 * What an empty field is: null (the default for CSV, where a quoted "" and an
 * unquoted empty field are the same) or the empty string "" (string columns only).
 */
const emptyAs = z.union([z.null(), z.literal('')]);

/** java.time's defaults: a time in a DST gap moves forward by the gap; an ambiguous one takes the earlier offset. */
export const dstSchema = z.strictObject({
  gap: z.enum(['shift_forward', 'reject']).default('shift_forward'),
  overlap: z.enum(['earlier', 'later', 'reject']).default('earlier'),
});
export type DstPolicy = z.output<typeof dstSchema>;

export const inputSchema = z.strictObject({
  nullValues: nullValues.optional(),
  trim: z.boolean().optional(),
  emptyAs: emptyAs.optional(),
  /**
   * How a column's source name (or name) is found in the header: exactly, or
   * ignoring case and whitespace ('Order ID' finds 'order id' and 'ORDERID').
   */
  headerMatch: z.enum(['exact', 'insensitive']).default('exact'),
  dst: dstSchema.optional(),
});
export type InputOptions = z.output<typeof inputSchema>;

export const columnReadOptions = {
  /** The column's name in the file's header (any text); `name` is its identifier in silver. */
  source: z.string().min(1).optional(),
  nullValues: nullValues.optional(),
  trim: z.boolean().optional(),
  emptyAs: emptyAs.optional(),
  /** First year of the 100-year window 2-digit years (yy) fall in. @default 1970 */
  pivotYear: z.number().int().min(1).max(9899).optional(),
  dst: dstSchema.optional(),
};

/** A gold groupBy entry that groups by a date part of a column: `year(obs_date)` (gold/view.ts). */
export const DATE_PART = /^(year|month|day|hour|date)\(\s*([A-Za-z_][A-Za-z0-9_]*)\s*\)$/;

/** The gold output column of a groupBy entry: the column itself, or `year_obs_date` for `year(obs_date)`. */
export function groupColumnName(entry: string): string {
  const m = DATE_PART.exec(entry);
  return m ? `${m[1]}_${m[2]}` : entry;
}

/** The name a header is compared by under `headerMatch: insensitive`. */
export function headerKey(name: string, match: 'exact' | 'insensitive'): string {
  return match === 'exact' ? name : name.toLowerCase().replace(/\s+/g, '');
}

interface ReadableColumn {
  type: string;
  nullValues?: string[];
  trim?: boolean;
  emptyAs?: null | '';
  dst?: DstPolicy;
}

/**
 * The contract-wide `input` options folded into each column that does not set its own and that
 * they apply to: `dst` to timestamps, `emptyAs: ""` to strings (the same set on another column
 * type is a contract error, so copying them there would refuse a contract the README allows).
 */
export function withInput<C extends ReadableColumn, T extends { input?: InputOptions; columns: C[] }>(c: T): T {
  const i = c.input;
  if (!i) return c;
  const columns = c.columns.map((col) => ({
    ...col,
    nullValues: col.nullValues ?? i.nullValues,
    trim: col.trim ?? i.trim,
    emptyAs: col.emptyAs !== undefined ? col.emptyAs : i.emptyAs === '' && col.type !== 'string' ? undefined : i.emptyAs,
    dst: col.dst ?? (col.type === 'timestamp' ? i.dst : undefined),
  }));
  for (const col of columns) for (const k of ['nullValues', 'trim', 'emptyAs', 'dst'] as const) if (col[k] === undefined) delete col[k];
  return { ...c, columns };
}

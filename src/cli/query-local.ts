import { DuckDBDecimalValue, DuckDBInstance, DuckDBTimestampValue, DuckDBTypeId, type DuckDBConnection, type DuckDBValue } from '@duckdb/node-api';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { PARTITION_FORMATS, PARTITION_KEY, type Granularity, type LakeTable } from '../../lib/lake-tables';
import { bounded, explainEngineError, integerCell, QueryError, timestampCell, type Cell, type QueryResult } from './query-result';

/**
 * `pipeline query` without AWS: DuckDB over the local store, one view per
 * catalog table with the catalog's name, columns and types. A view reads the
 * table's Parquet files by column name (union_by_name), so files written under
 * an older contract version read too, a column they lack being NULL, and casts
 * every column to the catalog's type, so both engines return the same types.
 * Like Athena's partition projection it reads only dt=YYYY-MM-DD folders within
 * the projected range, and skips files whose name starts with _ or . as Athena does.
 */

export interface LocalTableSource {
  table: LakeTable;
  /** Absolute directory of the table's prefix in the local lake bucket. */
  dir: string;
}

export interface DtRange {
  from: string;
  /** Inclusive last date (today UTC + the configured future days). */
  to: string;
}

const DUCK_TYPE: Record<string, string> = { string: 'VARCHAR', bigint: 'BIGINT', double: 'DOUBLE', boolean: 'BOOLEAN', date: 'DATE', timestamp: 'TIMESTAMP' };
export const duckType = (glueType: string) => DUCK_TYPE[glueType] ?? glueType.toUpperCase(); // decimal(p,s) -> DECIMAL(p,s)

const ident = (s: string) => `"${s.replace(/"/g, '""')}"`;
const literal = (s: string) => `'${s.replace(/'/g, "''")}'`;
const hidden = (name: string) => name.startsWith('_') || name.startsWith('.');

const DT_SHAPE: Record<Granularity, string> = { year: '\\d{4}', month: '\\d{4}-\\d{2}', day: '\\d{4}-\\d{2}-\\d{2}', hour: '\\d{4}-\\d{2}-\\d{2}T\\d{2}' };

/** The Parquet files Athena would read for this table: dt folders in range, visible names. */
export function tableFiles(dir: string, range: DtRange, granularity: Granularity = 'day'): string[] {
  // dt names of the table's granularity, compared with the range cut to the same length.
  const len = PARTITION_FORMATS[granularity].length;
  const from = range.from.slice(0, len);
  const to = granularity === 'hour' ? `${range.to}T23` : range.to.slice(0, len);
  const shape = new RegExp(`^${PARTITION_KEY}=(${DT_SHAPE[granularity]})$`);
  if (!existsSync(dir)) return [];
  const files: string[] = [];
  for (const part of readdirSync(dir, { withFileTypes: true })) {
    const m = shape.exec(part.name);
    if (!part.isDirectory() || !m || m[1] < from || m[1] > to) continue;
    for (const f of readdirSync(join(dir, part.name), { withFileTypes: true })) {
      if (f.isFile() && !hidden(f.name)) files.push(join(dir, part.name, f.name));
    }
  }
  return files.sort();
}

/** dt is a DATE for day partitions, as the catalog types it; text ('2026-11') for the others. */
const dtType = (t: LakeTable) => (t.granularity === 'day' ? 'DATE' : 'VARCHAR');

async function createView(con: DuckDBConnection, t: LakeTable, files: string[]): Promise<void> {
  const typed = (expr: string, c: { name: string; type: string }) => `CAST(${expr} AS ${duckType(c.type)}) AS ${ident(c.name)}`;
  if (!files.length) {
    const cols = [...t.columns.map((c) => typed('NULL', c)), `CAST(NULL AS ${dtType(t)}) AS ${ident(PARTITION_KEY)}`];
    await con.run(`CREATE VIEW ${ident(t.name)} AS SELECT ${cols.join(', ')} WHERE false`);
    return;
  }
  const list = `[${files.map(literal).join(', ')}]`;
  const present = new Set(
    (await con.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet(${list}, union_by_name = true)`)).getRows().map((r) => String(r[0]).toLowerCase()),
  );
  const cols = t.columns.map((c) => typed(present.has(c.source.toLowerCase()) ? ident(c.source) : 'NULL', c));
  cols.push(`CAST(${ident(PARTITION_KEY)} AS ${dtType(t)}) AS ${ident(PARTITION_KEY)}`);
  await con.run(
    `CREATE VIEW ${ident(t.name)} AS SELECT ${cols.join(', ')} FROM read_parquet(${list}, union_by_name = true, hive_partitioning = true, hive_types = {${literal(PARTITION_KEY)}: ${dtType(t)}})`,
  );
}

function cellOfValue(typeId: DuckDBTypeId, v: DuckDBValue): Cell {
  if (v === null || v === undefined) return null;
  if (typeof v === 'boolean' || typeof v === 'string') return v;
  if (typeof v === 'bigint') return integerCell(v.toString());
  if (typeof v === 'number') return Number.isFinite(v) ? v : String(v);
  if (v instanceof DuckDBDecimalValue) return v.toString();
  if (v instanceof DuckDBTimestampValue || typeId === DuckDBTypeId.TIMESTAMP || typeId === DuckDBTypeId.TIMESTAMP_MS) return timestampCell(String(v));
  return String(v);
}

const typeName = (t: { typeId: DuckDBTypeId; toString(): string }) => {
  const s = t.toString().toLowerCase();
  return s === 'varchar' ? 'varchar' : s;
};

/** Run one SQL text over the local store's tables. */
export async function localQuery(sql: string, sources: LocalTableSource[], range: DtRange): Promise<QueryResult> {
  const db = await DuckDBInstance.create(':memory:');
  const con = await db.connect();
  try {
    for (const s of sources) {
      try {
        await createView(con, s.table, tableFiles(s.dir, range, s.table.granularity));
      } catch (e) {
        throw new QueryError(
          bounded(
            `cannot read table ${s.table.name} from ${s.dir}: ${(e as Error).message.split('\n')[0]} (a damaged or foreign file under it? rerun 'pipeline run' for its source, or remove the file)`,
          ),
        );
      }
    }
    let reader: Awaited<ReturnType<typeof con.runAndReadAll>>;
    try {
      reader = await con.runAndReadAll(sql);
    } catch (e) {
      const message = (e as Error).message;
      throw (
        explainEngineError(
          message,
          sources.map((s) => s.table),
          sql,
        ) ?? new QueryError(bounded(`SQL error: ${message.split('\n')[0]}`))
      );
    }
    const types = reader.columnTypes();
    return {
      engine: 'duckdb',
      columns: reader.columnNames().map((name, i) => ({ name, type: typeName(types[i]) })),
      rows: reader.getRows().map((row) => row.map((v, i) => cellOfValue(types[i].typeId, v))),
    };
  } finally {
    con.closeSync();
    db.closeSync();
  }
}

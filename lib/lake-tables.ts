import type { Contract } from '../lambdas/core/contract/contract';
import { Aggregator } from '../lambdas/core/gold/gold';
import { layout } from '../lambdas/core/lake/layout';
import type { OutColumn } from '../lambdas/core/parquet/writer';
import { silverColumns } from '../lambdas/core/contract/silver-schema';
import { goldView } from '../lambdas/core/gold/view';
import { decimalSpec } from '../lambdas/core/typing/decimal';
import { ConfigError, type PipelineConfig } from './config';

/**
 * The queryable tables of the lake, derived from the contracts: one per
 * dataset's silver and one per gold aggregate. The Glue tables (lib/catalog.ts)
 * and `pipeline query` (src/cli/query.ts) are both built from this list, so the
 * catalog and the local engine agree on names, columns and types. Columns come
 * from where the Parquet writers take them (silverColumns, Aggregator.columns),
 * so a column the writers add appears in the tables too.
 */

export interface LakeColumn {
  /** As Glue and Athena name it (lower case). */
  name: string;
  /** As the Parquet files name it. */
  source: string;
  /** Glue / Athena (Hive DDL) type: string, bigint, double, boolean, date, timestamp, decimal(p,s). */
  type: string;
  comment: string;
}

export interface LakeTable {
  name: string;
  dataset: string;
  kind: 'silver' | 'gold';
  /** gold only */
  aggregate?: string;
  /** Key prefix in the lake bucket (ends with /), under which dt=YYYY-MM-DD/ folders hold the Parquet files. */
  prefix: string;
  description: string;
  columns: LakeColumn[];
  contractVersion: number;
  /** How the dt folders are named: the contract's partitionGranularity when it has a partitionBy, else day. */
  granularity: Granularity;
}

export type Granularity = Contract['partitionGranularity'];

/** dt folder names per granularity, as partition projection and the local engine read them. */
export const PARTITION_FORMATS: Record<Granularity, { format: string; unit: string; length: number }> = {
  hour: { format: "yyyy-MM-dd'T'HH", unit: 'HOURS', length: 13 },
  day: { format: 'yyyy-MM-dd', unit: 'DAYS', length: 10 },
  month: { format: 'yyyy-MM', unit: 'MONTHS', length: 7 },
  year: { format: 'yyyy', unit: 'YEARS', length: 4 },
};

/** The partition column every table has: silver's partitionBy date, or the ingest date. */
export const PARTITION_KEY = 'dt';

/** Exact contract type -> Glue type. */
export function glueType(type: OutColumn['type']): string {
  const dec = decimalSpec(type);
  if (dec) return `decimal(${dec.precision},${dec.scale})`;
  switch (type) {
    case 'string':
      return 'string';
    case 'integer':
      return 'bigint';
    case 'double':
      return 'double';
    case 'boolean':
      return 'boolean';
    case 'date':
      return 'date';
    case 'timestamp':
      return 'timestamp';
  }
  throw new Error(`no Glue type for contract type ${type}`);
}

/** Glue/Athena names: lower case, `-` as `_`. */
export const tableName = (...parts: string[]) => parts.join('_').replace(/-/g, '_').toLowerCase();

function columnsOf(out: OutColumn[], comment: (c: OutColumn) => string, where: string): LakeColumn[] {
  const seen = new Set<string>([PARTITION_KEY]);
  return out.map((c) => {
    const name = c.name.toLowerCase();
    // Athena folds names to lower case: two columns that differ only in case, or a column
    // named like the partition key, would be one column there.
    if (seen.has(name))
      throw new ConfigError(
        `${where}: column ${c.name} clashes with another column or the partition key '${PARTITION_KEY}' once lower-cased (Athena is case-insensitive); rename it in the contract`,
      );
    seen.add(name);
    return { name, source: c.name, type: glueType(c.type), comment: comment(c) };
  });
}

/** The table's location: the writers' key up to its dt= folder. */
const DT = '0000-00-00';
function tablePrefix(key: string): string {
  const at = key.indexOf(`/${PARTITION_KEY}=${DT}/`);
  if (at < 0) throw new Error(`lake key ${key} has no ${PARTITION_KEY}= folder`);
  return key.slice(0, at + 1);
}

const limit = (s: string) => (s.length > 255 ? `${s.slice(0, 254)}…` : s);

export function contractTables(contract: Contract): LakeTable[] {
  const d = contract.dataset;
  const granularity: Granularity = contract.partitionBy ? contract.partitionGranularity : 'day';
  // Date-part groups and filtered measures are derived columns of the gold view (gold/view.ts).
  const view = goldView(contract).contract;
  const described = new Map(contract.columns.map((c) => [c.name, c.description]));
  const silver: LakeTable = {
    name: tableName(d),
    dataset: d,
    kind: 'silver',
    prefix: tablePrefix(layout.silver(d, DT, 'x')),
    description: limit(
      `${contract.description ?? `Dataset ${d}`} Silver: typed, deduplicated rows (contract v${contract.version}), partitioned by ${contract.partitionBy ? `${contract.partitionBy}'s date` : 'ingest date'}.`,
    ),
    columns: columnsOf(silverColumns(contract), (c) => limit(described.get(c.name) ?? `${c.type}${c.nullable ? '' : ', not null'}`), `dataset ${d}`),
    contractVersion: contract.version,
    granularity,
  };
  const gold = contract.gold.map((agg, i): LakeTable => {
    const measures = new Map(agg.measures.map((m) => [m.as, `${m.fn}(${m.column ?? '*'})`]));
    return {
      name: tableName(d, agg.name),
      dataset: d,
      kind: 'gold',
      aggregate: agg.name,
      prefix: tablePrefix(layout.gold(d, agg.name, DT)),
      description: limit(
        `Gold ${agg.name} of ${d}: ${agg.measures.map((m) => `${m.fn}(${m.column ?? '*'})`).join(', ')}${agg.groupBy.length ? ` by ${agg.groupBy.join(', ')}` : ''}, per ${PARTITION_KEY} partition.`,
      ),
      columns: columnsOf(
        new Aggregator(view.gold[i], view).columns,
        (c) => limit(measures.get(c.name) ?? described.get(c.name) ?? `group key (${c.type})`),
        `dataset ${d}, gold ${agg.name}`,
      ),
      contractVersion: contract.version,
      granularity,
    };
  });
  return [silver, ...gold];
}

/** Every table of the configured datasets; names must be unique across them. */
export function lakeTables(config: Pick<PipelineConfig, 'datasets'>): LakeTable[] {
  const tables = config.datasets.flatMap((d) => contractTables(d.contract));
  const byName = new Map<string, LakeTable>();
  for (const t of tables) {
    const other = byName.get(t.name);
    if (other) throw new ConfigError(`table name ${t.name} is used twice (${describe(other)} and ${describe(t)}): rename a dataset or gold aggregate`);
    byName.set(t.name, t);
  }
  return tables;
}

const describe = (t: LakeTable) => (t.kind === 'silver' ? `silver of ${t.dataset}` : `gold ${t.aggregate} of ${t.dataset}`);

/** Glue database of the stack: configured, or `<name>_<env>` with `-` as `_`. */
export function databaseName(config: Pick<PipelineConfig, 'name' | 'envName' | 'catalog'>): string {
  return config.catalog.database ?? tableName(config.name, config.envName);
}

/** Athena workgroup of the stack. */
export const workGroupName = (config: Pick<PipelineConfig, 'name' | 'envName'>) => `${config.name}-${config.envName}`;

/** Partition projection range for `dt`, as Athena reads it, in the table's dt format. */
export const projectionRange = (config: Pick<PipelineConfig, 'catalog'>, granularity: Granularity = 'day') =>
  `${granularity === 'hour' ? `${config.catalog.partitionsFrom}T00` : config.catalog.partitionsFrom.slice(0, PARTITION_FORMATS[granularity].length)},NOW+${config.catalog.partitionsFutureDays}DAYS`;

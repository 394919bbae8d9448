import type { ThriftStruct } from './thrift';
import pkg from '../../../package.json';

/**
 * How columns are stored (physical types) and the footer pieces that
 * describe them: schema elements carrying both the
 * logical type (what current readers go by: DuckDB and polars read a
 * timestamp as UTC only from it) and the converted type (for old readers),
 * and the column orders without which readers must ignore min/max.
 */

export interface EncoderColumn {
  name: string;
  type: string;
  nullable: boolean;
}

export enum Phys {
  BOOLEAN = 0,
  INT32 = 1,
  INT64 = 2,
  DOUBLE = 5,
  BYTE_ARRAY = 6,
  FIXED = 7,
}
const CONVERTED = { UTF8: 0, DECIMAL: 5, DATE: 6, TIMESTAMP_MILLIS: 9, INT_64: 18 };
export const ENC = { PLAIN: 0, RLE: 3, RLE_DICTIONARY: 8 };

/** Physical type, type length and converted type of a silver/gold column type. */
export function physicalOf(col: EncoderColumn): { phys: Phys; typeLength?: number; converted?: number; precision?: number; scale?: number } {
  switch (col.type) {
    case 'string':
      return { phys: Phys.BYTE_ARRAY, converted: CONVERTED.UTF8 };
    case 'integer':
      return { phys: Phys.INT64, converted: CONVERTED.INT_64 };
    case 'double':
      return { phys: Phys.DOUBLE };
    case 'boolean':
      return { phys: Phys.BOOLEAN };
    case 'date':
      return { phys: Phys.INT32, converted: CONVERTED.DATE };
    case 'timestamp':
      return { phys: Phys.INT64, converted: CONVERTED.TIMESTAMP_MILLIS };
    default: {
      const m = /^decimal\(\s*(\d+)\s*,\s*(\d+)\s*\)$/.exec(col.type);
      if (!m) throw new Error(`no Parquet type for column ${col.name}: ${col.type}`);
      const precision = Number(m[1]);
      const scale = Number(m[2]);
      if (precision <= 18) return { phys: Phys.INT64, converted: CONVERTED.DECIMAL, precision, scale };
      return { phys: Phys.FIXED, typeLength: Math.ceil((precision * Math.log2(10) + 1) / 8), converted: CONVERTED.DECIMAL, precision, scale };
    }
  }
}

const empty = (): ThriftStruct => ({});

/** LogicalType union: STRING=1, DECIMAL=5, DATE=6, TIMESTAMP=8, INTEGER=10. */
function logicalType(type: string, p: ReturnType<typeof physicalOf>): ThriftStruct | undefined {
  switch (type) {
    case 'string':
      return { 1: { struct: empty() } };
    case 'integer':
      return { 10: { struct: { 1: { i8: 64 }, 2: { bool: true } } } };
    case 'date':
      return { 6: { struct: empty() } };
    case 'timestamp':
      // isAdjustedToUTC: values are instants (the stage converts local times to UTC).
      return { 8: { struct: { 1: { bool: true }, 2: { struct: { 1: { struct: empty() } } } } } };
    default:
      return p.precision === undefined ? undefined : { 5: { struct: { 1: { i32: p.scale! }, 2: { i32: p.precision } } } };
  }
}

export function schemaElements(columns: EncoderColumn[]): ThriftStruct[] {
  return [
    { 4: { bin: 'root' }, 5: { i32: columns.length } },
    ...columns.map((col): ThriftStruct => {
      const p = physicalOf(col);
      const logical = logicalType(col.type, p);
      return {
        1: { i32: p.phys },
        2: p.typeLength === undefined ? undefined : { i32: p.typeLength },
        3: { i32: col.nullable ? 1 : 0 },
        4: { bin: col.name },
        6: p.converted === undefined ? undefined : { i32: p.converted },
        7: p.scale === undefined ? undefined : { i32: p.scale },
        8: p.precision === undefined ? undefined : { i32: p.precision },
        10: logical && { struct: logical },
      };
    }),
  ];
}

/** One TypeDefinedOrder per leaf column: min/max follow each type's own order. */
export const columnOrders = (n: number): ThriftStruct[] => Array.from({ length: n }, () => ({ 1: { struct: empty() } }));

/**
 * `<app> version <semver> (build <id>)`: the form parquet-mr parses (it drops
 * binary statistics of writers it cannot parse). The build id comes from
 * LANDING_TO_LAKE_BUILD (a commit) when the deployment sets it.
 */
export function createdBy(): string {
  const build = (process.env.LANDING_TO_LAKE_BUILD ?? '').replace(/[^0-9A-Za-z._-]/g, '').slice(0, 40) || 'local';
  return `landing-to-lake version ${pkg.version} (build ${build})`;
}

import { physicalOf, type EncoderColumn } from './parquet-column';
import type { ThriftStruct } from './thrift';
import pkg from '../../package.json';

/**
 * Footer pieces that describe columns: schema elements carrying both the
 * logical type (what current readers go by: DuckDB and polars read a
 * timestamp as UTC only from it) and the converted type (for old readers),
 * and the column orders without which readers must ignore min/max.
 */

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

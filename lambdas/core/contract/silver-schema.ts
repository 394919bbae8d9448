import type { Contract } from './contract';
import type { OutColumn } from '../parquet/writer';
import { AUDIT_COLUMNS, RESERVED_NAMES } from './audit';

/**
 * The one definition of silver's columns, in file order: the contract's
 * columns, the audit columns (where each row came from), then the source
 * columns kept by `evolution.onAddedColumns: keep`, as strings under
 * predictable names. The Glue catalog's table columns derive from
 * silverColumns(contract) too, so tables and files cannot drift apart.
 */

/**
 * Silver names of kept source columns: lower case, anything outside
 * [a-z0-9_] as `_`, a leading digit prefixed with `_`; a name already taken
 * (case-insensitively: a contract column, an audit column, an earlier kept
 * one) gets `_2`, `_3`, ... in header order.
 */
export function keptColumnNames(contract: Contract, source: readonly string[]): string[] {
  const taken = new Set([...contract.columns.map((c) => c.name.toLowerCase()), ...RESERVED_NAMES]);
  return source.map((raw) => {
    let base =
      raw
        .trim()
        .toLowerCase()
        .replace(/[^a-z0-9_]/g, '_') || 'column';
    if (/^[0-9]/.test(base)) base = `_${base}`;
    let name = base;
    for (let k = 2; taken.has(name); k++) name = `${base}_${k}`;
    taken.add(name);
    return name;
  });
}

/** Silver's columns for a contract, with the kept source columns of one file (by their source names). */
export function silverColumns(contract: Contract, kept: readonly string[] = []): OutColumn[] {
  return [
    ...contract.columns.map((c) => ({ name: c.name, type: c.type, nullable: c.nullable })),
    ...AUDIT_COLUMNS,
    ...keptColumnNames(contract, kept).map((name) => ({ name, type: 'string' as const, nullable: true })),
  ];
}

import type { Contract } from './contract';
import { headerKey } from './input';
import { bounded, DataError } from '../base/errors';
import { diagnoseHeader } from '../read/framing';

/**
 * Schema evolution: how a file's own columns map onto the contract's current
 * columns. Decided once per file, from the header (CSV) or first record (JSON).
 */

export interface ColumnPlan {
  /** Per contract column, the source field index, or -1 when the file lacks it. */
  sourceIndex: number[];
  /** Source columns the contract does not know, kept as string columns (policy `keep`). */
  extra: { name: string; index: number }[];
  /** The contract version whose column set the file matches exactly, or null when it only fits through evolution. */
  matchedVersion: number | null;
  added: string[];
  missing: string[];
  renamed: Record<string, string>;
  warnings: string[];
}

export function planColumns(header: string[], contract: Contract, where: { dataset: string; key: string }): ColumnPlan {
  const names = header.map((h) => h.trim());
  const match = contract.input?.headerMatch ?? 'exact';
  const seen = new Set<string>();
  const dupes = names.filter((n) => (seen.has(headerKey(n, match)) ? true : (seen.add(headerKey(n, match)), false)));
  if (dupes.length) {
    diagnoseHeader(names, contract, where);
    throw new DataError(
      'schema.incompatible',
      `duplicate source columns: ${bounded([...new Set(dupes)].join(', '), 1000)}`,
      where,
      'Rename or remove the duplicated header fields',
    );
  }
  // Header names as the contract compares them (contract/input.ts headerKey), and each column's own.
  const position = new Map(names.map((n, i) => [headerKey(n, match), i]));
  const own = (c: Contract['columns'][number]) => headerKey(c.source ?? c.name, match);
  const renamed: Record<string, string> = {};
  for (const [from, to] of Object.entries(contract.evolution.renames)) {
    const target = contract.columns.find((c) => c.name === to);
    if (position.has(headerKey(from, match)) && !(target && position.has(own(target)))) renamed[from] = to;
  }
  const reverse = new Map(Object.entries(renamed).map(([from, to]) => [to, headerKey(from, match)]));
  const sourceIndex = contract.columns.map((c) => position.get(own(c)) ?? position.get(reverse.get(c.name) ?? '\u0000') ?? -1);
  const missing = contract.columns.filter((_, i) => sourceIndex[i] === -1).map((c) => c.name);
  const used = new Set(sourceIndex);
  const added = names.filter((_, i) => !used.has(i));
  const warnings: string[] = [];

  const { onAddedColumns, onMissingColumns } = contract.evolution;
  if (added.length && onAddedColumns === 'reject') {
    diagnoseHeader(names, contract, where);
    throw new DataError(
      'schema.incompatible',
      `columns not in contract v${contract.version}: ${bounded(added.join(', '), 1000)}`,
      where,
      'Add them to the contract, or set evolution.onAddedColumns to keep or drop',
      { added },
    );
  }
  // Not one contract column found: more likely the framing (delimiter, line endings) than the schema.
  if (missing.length === contract.columns.length) diagnoseHeader(names, contract, where);
  if (missing.length) {
    const unfillable = contract.columns.filter((c) => missing.includes(c.name) && !c.nullable && c.default === undefined).map((c) => c.name);
    if (onMissingColumns === 'reject' || unfillable.length) {
      diagnoseHeader(names, contract, where);
      const cols = onMissingColumns === 'reject' ? missing : unfillable;
      throw new DataError(
        'schema.incompatible',
        `missing required columns: ${cols.join(', ')}`,
        where,
        onMissingColumns === 'reject'
          ? 'Send the columns, or set evolution.onMissingColumns to fill'
          : 'Send the columns, give them a default, or map an old name in evolution.renames',
        { missing: cols },
      );
    }
    warnings.push(`missing columns filled with default or null: ${missing.join(', ')}`);
  }
  if (added.length) warnings.push(bounded(`${onAddedColumns === 'keep' ? 'kept' : 'dropped'} columns not in contract: ${added.join(', ')}`, 1000));
  for (const [from, to] of Object.entries(renamed)) warnings.push(bounded(`renamed ${from} -> ${to}`, 500));

  const setOf = (cols: string[]) =>
    cols
      .map((n) => headerKey(n, match))
      .sort()
      .join('\u0001');
  const fileSet = setOf(names);
  // The current version is matched by the columns' source names: a header 'Order ID' is v-current, not a rename.
  const versions = [{ version: contract.version, columns: contract.columns.map((c) => c.source ?? c.name) }, ...contract.history];
  const matched = versions.find((v) => setOf(v.columns) === fileSet);

  return {
    sourceIndex,
    extra: onAddedColumns === 'keep' ? names.flatMap((name, index) => (used.has(index) ? [] : [{ name, index }])) : [],
    matchedVersion: matched?.version ?? null,
    added,
    missing,
    renamed,
    warnings,
  };
}

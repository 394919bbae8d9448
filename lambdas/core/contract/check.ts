import type { Column, Contract } from './contract';
import { DATE_PART } from './input';
import { checkPattern } from '../typing/date-patterns';
import { compileExpression, ExpressionError } from '../quality/expression';
import { decimalSpec } from '../typing/decimal';
import { INVALID } from '../typing/values';
import { contractValue, parserFor } from '../typing/parse';

/**
 * Type checks of a contract against its own columns, run on load (so by
 * `check-config`, the CDK synth and every Lambda): formats read a sample,
 * zones exist, defaults and rule values parse as their column's type, rules
 * fit their column's type, expressions compile. Each issue names its path and
 * what would be allowed.
 */

export interface ContractIssue {
  path: (string | number)[];
  message: string;
}

const numericType = (t: string) => t === 'integer' || t === 'double' || decimalSpec(t) !== undefined;
const timeType = (t: string) => t === 'date' || t === 'timestamp';

export function typeCheckContract(c: Contract): ContractIssue[] {
  const issues: ContractIssue[] = [];
  const add = (path: (string | number)[], message: string) => issues.push({ path, message });
  const byName = new Map(c.columns.map((col) => [col.name, col]));

  c.columns.forEach((col, i) => {
    const at = (k: string) => ['columns', i, k];
    if (col.format !== undefined) {
      if (!timeType(col.type)) add(at('format'), `${col.name} is ${col.type}: format applies to date and timestamp columns only`);
      else if (col.format === 'epoch_ms' || col.format === 'epoch_s') {
        if (col.type === 'date') add(at('format'), `${col.name} is a date: ${col.format} applies to timestamps; use 'iso' or a pattern such as 'yyyy-MM-dd'`);
      } else if (col.format !== 'iso') {
        const why = checkPattern(col.format, col.type as 'date' | 'timestamp', col.pivotYear);
        if (why) add(at('format'), `${col.name}: ${why}`);
      }
    }
    if (col.timezone !== undefined) {
      // An unknown zone is a shape error (contract/contract.ts validZone).
      if (col.type !== 'timestamp') add(at('timezone'), `${col.name} is ${col.type}: timezone applies to timestamp columns only`);
    }
    if (col.dst !== undefined && col.type !== 'timestamp') add(at('dst'), `${col.name} is ${col.type}: dst applies to timestamp columns only`);
    if (col.emptyAs === '' && col.type !== 'string')
      add(at('emptyAs'), `${col.name} is ${col.type}: emptyAs "" needs a string column; an empty ${col.type} can only be null`);
    if (col.default !== undefined && col.default !== null && issues.every((x) => x.path[1] !== i || x.path[2] !== 'format')) {
      if (contractValue(col.default, parserFor(col), col.type) === INVALID) {
        add(
          at('default'),
          `${col.name}: default ${JSON.stringify(col.default)} is not a valid ${col.type}; give a ${col.type} value or null${typeof col.default === 'string' ? ` (to read ${JSON.stringify(col.default)} in the file as null, list it in nullValues)` : ''}`,
        );
      }
    }
  });

  c.rules.forEach((r, i) => {
    if (r.rule === 'expression') {
      try {
        compileExpression(r.expression, c.columns);
      } catch (e) {
        if (!(e instanceof ExpressionError)) throw e;
        add(['rules', i, 'expression'], `${e.message}; see the expression grammar in README`);
      }
      return;
    }
    if (r.rule === 'unique' || r.rule === 'not_null') return;
    const col = byName.get(r.column) as Column;
    const where = `${r.rule}(${col.name})`;
    switch (r.rule) {
      case 'min':
      case 'max':
        if (!numericType(col.type) && !timeType(col.type))
          add(
            ['rules', i, 'rule'],
            `${where}: ${col.name} is ${col.type}; min and max apply to numbers, decimals, dates and timestamps (for text, use length or regex)`,
          );
        else if (typeof r.value === 'string') {
          if (!timeType(col.type)) add(['rules', i, 'value'], `${where}: ${col.name} is ${col.type}, so the bound must be a number, not "${r.value}"`);
          else if (parserFor({ ...col, format: 'iso' })(r.value) === INVALID)
            add(
              ['rules', i, 'value'],
              `${where}: "${r.value}" is not an ISO ${col.type} (e.g. ${col.type === 'date' ? "'2026-01-31'" : "'2026-01-31T12:00:00Z'"})`,
            );
        }
        break;
      case 'accepted_values':
      case 'not_in': {
        const parse = parserFor({ ...col, format: timeType(col.type) ? 'iso' : col.format });
        r.values.forEach((v, j) => {
          if (contractValue(v, parse, col.type) === INVALID)
            add(['rules', i, 'values', j], `${where}: ${JSON.stringify(v)} is not a valid ${col.type}, so it can never match`);
        });
        break;
      }
      case 'length':
        if (col.type !== 'string')
          add(['rules', i, 'rule'], `${where}: ${col.name} is ${col.type}; length applies to string columns (for numbers use min and max)`);
        if (r.min !== undefined && r.max !== undefined && r.min > r.max)
          add(['rules', i, 'min'], `${where}: min ${r.min} is above max ${r.max}, so no value can pass`);
        break;
      case 'regex':
        break;
    }
  });
  c.gold.forEach((g, i) => {
    g.groupBy.forEach((entry, j) => {
      const m = DATE_PART.exec(entry);
      const col = m && byName.get(m[2]);
      if (!m || !col) return;
      if (!timeType(col.type)) add(['gold', i, 'groupBy', j], `${entry}: ${col.name} is ${col.type}; date parts apply to date and timestamp columns`);
      else if (m[1] === 'hour' && col.type === 'date')
        add(['gold', i, 'groupBy', j], `${entry}: ${col.name} is a date and has no hour; use a timestamp column or year/month/day`);
    });
    g.measures.forEach((measure, j) => {
      if (!measure.where) return;
      try {
        compileExpression(measure.where, c.columns);
      } catch (e) {
        if (!(e instanceof ExpressionError)) throw e;
        add(['gold', i, 'measures', j, 'where'], `${e.message}; see the expression grammar in README`);
      }
    });
  });
  return issues;
}

import type { Column, Rule } from '../contract/contract';
import { compileExpression } from './expression';
import { INVALID, parserFor } from '../typing/parse';
import type { CompiledRule } from './rules';

/**
 * The rule kinds that need more than one column's value or a typed bound:
 * date/timestamp bounds for min/max and the `expression` rule.
 */

/**
 * A min/max bound in the column's own units: an ISO date or timestamp string
 * becomes a day number or epoch ms (the contract check has already made sure
 * it parses). Numbers pass through.
 */
export function boundOf(col: Column, value: number | string): number {
  if (typeof value === 'number') return value;
  const v = parserFor({ ...col, format: 'iso' })(value);
  if (v === INVALID || typeof v !== 'number') throw new Error(`bound '${value}' is not a valid ${col.type} for ${col.name}`);
  return v;
}

export function expressionRule(r: Extract<Rule, { rule: 'expression' }>, id: string, columns: readonly Column[]): CompiledRule {
  const expr = compileExpression(r.expression, columns);
  return {
    id,
    severity: r.severity,
    column: '',
    check: (row) => (expr.evaluate(row) === false ? `${r.expression} is false for ${expr.explain(row)}` : undefined),
  };
}

/**
 * What typing produces: a typed value (the one representation every room after
 * typing works with: rules, gold, the Parquet writer) and the INVALID marker a
 * parser returns for a value that does not fit its column: a bad value is a
 * row-level reject, not an exception.
 */

export const INVALID: unique symbol = Symbol('invalid');
export type Typed = string | number | bigint | boolean | null;
export type Parser = (raw: string) => Typed | typeof INVALID;

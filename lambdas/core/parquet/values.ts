/**
 * A value as the writer takes it, per column type: string → string; integer →
 * number while safe, bigint beyond; double → number; boolean → boolean; date →
 * days since 1970-01-01; timestamp → epoch milliseconds; decimal(p,s) → the
 * scaled integer (12.34 in decimal(10,2) is 1234), number while safe, bigint
 * beyond; null where the column is nullable. The same shape as the typing
 * room's typed values, declared here so the writer depends on nothing outside
 * this folder but the base room.
 */
export type Value = string | number | bigint | boolean | null;

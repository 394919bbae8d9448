import type { OutColumn } from '../lambdas/core/parquet/writer';

/** One column of every silver type, nullable but for one: the Parquet tests' common table. */
export const EVERY_TYPE: OutColumn[] = [
  { name: 's', type: 'string', nullable: true },
  { name: 'i', type: 'integer', nullable: false },
  { name: 'd', type: 'double', nullable: true },
  { name: 'b', type: 'boolean', nullable: true },
  { name: 'day', type: 'date', nullable: true },
  { name: 'ts', type: 'timestamp', nullable: true },
  { name: 'amt', type: 'decimal(12,2)', nullable: true },
  { name: 'big', type: 'decimal(38,6)', nullable: true },
];

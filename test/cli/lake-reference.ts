import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { readParquetObjects } from '../parquet-read';
import type { Contract } from '../../lambdas/core/contract/contract';

/**
 * What a local lake holds, read back from its Parquet files, and the gold a
 * plain reference computes from its silver: the yardstick of the concurrency
 * and re-upload tests. Only the contract's own columns are compared, so audit
 * columns added to silver or gold do not matter here.
 */

type Row = Record<string, unknown>;

async function readAll(dir: string): Promise<Row[]> {
  if (!existsSync(dir)) return [];
  const out: Row[] = [];
  for (const f of readdirSync(dir)
    .filter((n) => n.endsWith('.parquet'))
    .sort())
    out.push(...(await readParquetObjects(join(dir, f))));
  return out;
}

const partitionsUnder = (dir: string) =>
  existsSync(dir)
    ? readdirSync(dir)
        .filter((d) => d.startsWith('dt='))
        .map((d) => d.slice(3))
    : [];

/** Silver rows per partition (partitions with no rows left out), each a canonical string, sorted. */
export async function silverByPartition(lake: string, contract: Contract): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const dt of partitionsUnder(join(lake, 'silver', contract.dataset)).sort()) {
    const rows = await readAll(join(lake, 'silver', contract.dataset, `dt=${dt}`));
    if (rows.length) out[dt] = rows.map((r) => canon(contract.columns.map((c) => r[c.name]))).sort();
  }
  return out;
}

/** Gold rows per aggregate and partition, as canonical strings (empty partitions left out). */
export async function goldByPartition(lake: string, contract: Contract): Promise<Record<string, Record<string, string[]>>> {
  const out: Record<string, Record<string, string[]>> = {};
  for (const g of contract.gold) {
    const cols = [...g.groupBy, ...g.measures.map((m) => m.as)];
    const base = join(lake, 'gold', contract.dataset, g.name);
    out[g.name] = {};
    for (const dt of partitionsUnder(base).sort()) {
      const rows = await readAll(join(base, `dt=${dt}`));
      if (rows.length) out[g.name][dt] = rows.map((r) => canon(cols.map((c) => r[c]))).sort();
    }
  }
  return out;
}

/** Gold as it should be: every aggregate computed naively over the silver rows of each partition. */
export async function referenceGold(lake: string, contract: Contract): Promise<Record<string, Record<string, string[]>>> {
  const out: Record<string, Record<string, string[]>> = {};
  const silver: Record<string, Row[]> = {};
  for (const dt of partitionsUnder(join(lake, 'silver', contract.dataset))) silver[dt] = await readAll(join(lake, 'silver', contract.dataset, `dt=${dt}`));
  for (const g of contract.gold) {
    out[g.name] = {};
    for (const [dt, rows] of Object.entries(silver).sort()) {
      if (!rows.length) continue;
      const groups = new Map<string, Row[]>();
      for (const r of rows) {
        const k = canon(g.groupBy.map((c) => r[c]));
        groups.set(k, [...(groups.get(k) ?? []), r]);
      }
      out[g.name][dt] = [...groups.values()]
        .map((rs) => {
          const measures = g.measures.map((m) => {
            const vs = m.column ? rs.map((r) => r[m.column!]).filter((v) => v !== null && v !== undefined) : rs;
            const nums = vs.map(Number);
            switch (m.fn) {
              case 'count':
                return vs.length;
              case 'count_distinct':
                return new Set(vs.map(String)).size;
              case 'sum':
                return vs.length ? nums.reduce((a, b) => a + b, 0) : null;
              case 'avg':
                return vs.length ? nums.reduce((a, b) => a + b, 0) / vs.length : null;
              case 'min':
                return vs.length ? [...vs].sort(order)[0] : null;
              case 'max':
                return vs.length ? [...vs].sort(order).pop() : null;
            }
            return undefined;
          });
          return canon([...g.groupBy.map((c) => rs[0][c]), ...measures]);
        })
        .sort();
    }
  }
  return out;
}

const order = (a: unknown, b: unknown) => {
  const [x, y] = typeof a === 'string' && typeof b === 'string' ? [a, b] : [Number(a), Number(b)];
  return x < y ? -1 : x > y ? 1 : 0;
};

/** One row as a string that compares equal across Parquet's number, bigint and decimal readings (to 6 places). */
function canon(values: unknown[]): string {
  return JSON.stringify(
    values.map((v) => {
      if (v === null || v === undefined) return null;
      if (v instanceof Date) return v.toISOString();
      if (typeof v === 'bigint' || typeof v === 'number') return Number(Number(v).toFixed(6));
      return v;
    }),
  );
}

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readParquetObjects } from '../parquet-read';
import { describe, expect, it } from 'vitest';
import { PartitionedParquetWriter, type OutColumn } from '../../lambdas/core/parquet/writer';
import type { Typed } from '../../lambdas/core/typing/values';

const columns: OutColumn[] = [
  { name: 'id', type: 'string', nullable: false },
  { name: 'n', type: 'integer', nullable: true },
  { name: 'x', type: 'double', nullable: true },
  { name: 'note', type: 'string', nullable: true },
];

describe('PartitionedParquetWriter memory', () => {
  it('holds about its budget whatever the partition order: input sorted by partition does not pin one row group per finished partition', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pqmem-'));
    const budget = 1 << 20;
    const w = new PartitionedParquetWriter(columns, (p) => join(dir, `${p}.parquet`), 1_000_000, {}, budget);
    const row: Typed[] = [];
    let peak = 0;
    const partitions = 30;
    const perPartition = 30_000; // ~2.4 MB of values each: every partition outgrows the budget once
    for (let p = 0; p < partitions; p++) {
      for (let i = 0; i < perPartition; i++) {
        row[0] = `ID-${p}-${i}-${'x'.repeat(i % 40)}`;
        row[1] = i;
        row[2] = i / 3;
        row[3] = i % 7 ? `note ${i % 100}` : null;
        w.append(`p${String(p).padStart(2, '0')}`, row);
        if ((i & 1023) === 0) peak = Math.max(peak, w.retainedBytes);
      }
    }
    const files = w.finish();
    expect(files).toHaveLength(partitions);
    // Held memory stays within a small multiple of the budget (one file's growth between
    // checks, doubling slack); without release it grew with the partitions (~30 x 4 MB).
    expect(peak).toBeLessThan(2.5 * budget);
    const back = await readParquetObjects(files[17].path);
    expect(back).toHaveLength(perPartition);
    const last = back.length - 1;
    expect(last).toBe(29_999);
    expect(back[last]).toEqual({ id: `ID-17-${last}-${'x'.repeat(last % 40)}`, n: BigInt(last), x: last / 3, note: last % 7 ? `note ${last % 100}` : null });
  });
});

describe('PartitionedParquetWriter memory with a trickle of late rows', () => {
  it('older partitions that keep taking the odd row do not each pin a row group of buffers', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pqmem-'));
    const budget = 1 << 20;
    const w = new PartitionedParquetWriter(columns, (p) => join(dir, `${p}.parquet`), 1_000_000, {}, budget);
    const row: Typed[] = [];
    let peak = 0;
    let n = 0;
    const fill = (p: number, i: number) => {
      row[0] = `ID-${p}-${i}-${'x'.repeat(i % 40)}`;
      row[1] = i;
      row[2] = i / 3;
      row[3] = `note ${i % 100}`;
      w.append(`p${String(p).padStart(2, '0')}`, row);
      if ((++n & 1023) === 0) peak = Math.max(peak, w.retainedBytes);
    };
    for (let p = 0; p < 30; p++) {
      for (let i = 0; i < 30_000; i++) {
        fill(p, i);
        // One late row into every earlier partition every 2048 rows: none of them is ever idle.
        if (i % 2048 === 0) for (let q = 0; q < p; q++) fill(q, 100_000 + i);
      }
    }
    const files = w.finish();
    expect(files).toHaveLength(30);
    expect(files.reduce((s, f) => s + f.rows, 0)).toBe(n);
    // Before: ~50 MB held for this 1 MB budget.
    expect(peak).toBeLessThan(4 * budget);
  });
});

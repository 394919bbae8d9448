import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseContract } from '../../lambdas/core/contract/load';
import { readRecords, type RecordBatch } from '../../lambdas/core/read/source';

/**
 * JSON column names are learned from a file's first records. A key those
 * records lack (or that the maxColumns cap left out) must never have its value
 * silently dropped from a later record: the record is read with it or rejected.
 */
const contractWith = (onAddedColumns: 'keep' | 'drop' | 'reject') =>
  parseContract({
    dataset: 'd',
    version: 1,
    format: { type: 'jsonl' },
    columns: [
      { name: 'id', type: 'string', nullable: false },
      { name: 'value', type: 'double' },
    ],
    evolution: { onAddedColumns, renames: {}, onMissingColumns: 'fill', onTypeChange: 'coerce' },
    limits: { maxColumns: 50 },
  });

async function read(lines: string[], contract: ReturnType<typeof contractWith>) {
  // One record per chunk: the names are learned before the later records are read.
  const source = (async function* () {
    for (const l of lines) yield new TextEncoder().encode(`${l}\n`);
  })();
  const batches: RecordBatch[] = [];
  for await (const b of readRecords(source, contract, { dataset: 'd', key: 'k' })) batches.push(b);
  const header = batches.find((b) => b.header)!.header!;
  return { header, records: batches.flatMap((b) => b.records), malformed: batches.flatMap((b) => b.malformed) };
}

describe('JSON keys the learned column names lack', () => {
  it('a value of a contract column, or of a column the plan keeps, is read or its record rejected, never dropped (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom<'keep' | 'drop' | 'reject'>('keep', 'drop', 'reject'),
        fc.integer({ min: 200, max: 1400 }),
        fc.integer({ min: 0, max: 120 }),
        fc.integer({ min: 0, max: 3 }),
        async (added, firstWithValue, junkKeys, extraPerRecord) => {
          const lines: string[] = [];
          for (let i = 0; i < 1500; i++) {
            const o: Record<string, unknown> = { id: `r${i}` };
            // Junk keys in the first records can fill the maxColumns cap (50) before `value` is seen.
            if (i < junkKeys) for (let j = 0; j < extraPerRecord; j++) o[`junk_${i}_${j}`] = 1;
            if (i >= firstWithValue) o.value = i;
            if (i === 1450) o.late_extra = 'x';
            lines.push(JSON.stringify(o));
          }
          const { header, records, malformed } = await read(lines, contractWith(added));
          const at = header.indexOf('value');
          const extraAt = header.indexOf('late_extra');
          const rejected = new Set(malformed.map((m) => m.line));
          for (const r of records) {
            const i = r.line - 1;
            if (i >= firstWithValue) expect(at >= 0 && r.values![at] === i).toBe(true);
            if (i === 1450 && added !== 'drop') expect(extraAt >= 0 && r.values![extraAt] === 'x').toBe(true);
          }
          expect(records.length + rejected.size).toBe(1500);
        },
      ),
      { numRuns: 25 },
    );
  });

  it('a contract column first seen after the learning sample rejects its records with a reason; the others read', async () => {
    const lines = Array.from({ length: 1200 }, (_, i) => JSON.stringify(i >= 1100 ? { id: `r${i}`, value: 5 } : { id: `r${i}` }));
    const { header, records, malformed } = await read(lines, contractWith('drop'));
    expect(header).toEqual(['id']);
    expect(records).toHaveLength(1100);
    expect(malformed).toHaveLength(100);
    expect(malformed[0].error).toMatch(/"value" is not among the columns learned/);
  });

  it('an explicit null of a late key without a default is no loss: the record reads', async () => {
    const lines = Array.from({ length: 1200 }, (_, i) => JSON.stringify(i >= 1100 ? { id: `r${i}`, value: null } : { id: `r${i}` }));
    const { records, malformed } = await read(lines, contractWith('keep'));
    expect(malformed).toHaveLength(0);
    expect(records).toHaveLength(1200);
  });
});

import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readParquetObjects } from '../parquet-read';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseContract } from '../../lambdas/core/contract/load';
import type { ContractInput } from '../../lambdas/core/contract/contract';
import { runStage } from '../../lambdas/core/engine/stage';

async function* once(text: string): AsyncGenerator<Uint8Array> {
  yield new TextEncoder().encode(text);
}

type Mode = 'first' | 'last' | 'quarantine';

async function stage(text: string, onDuplicate: Mode, opts: { keep?: boolean; reread?: boolean; format?: 'csv' | 'jsonl' } = {}) {
  const doc: ContractInput = {
    dataset: 'cars',
    version: 1,
    format: { type: opts.format ?? 'csv' },
    keys: ['name', 'year'],
    onDuplicate,
    keepDuplicates: opts.keep ?? false,
    columns: [
      { name: 'name', type: 'string' },
      { name: 'year', type: 'integer' },
      { name: 'hp', type: 'integer' },
    ],
    fileRules: { maxRejectRatio: 1 },
  };
  const contract = parseContract(doc);
  const workDir = mkdtempSync(join(tmpdir(), 'dup-'));
  const r = await runStage({
    contract,
    source: once(text),
    dataset: 'cars',
    key: 'landing/cars/f.csv',
    ingestDate: '2026-11-22',
    workDir,
    fileId: 'f',
    reopen: opts.reread ? async () => once(text) : undefined,
    sizeBytes: text.length,
  });
  const rows: string[] = [];
  for (const s of r.silver) for (const o of await readParquetObjects(s.path)) rows.push(`${o.name}|${o.year}|${o.hp}`);
  const lines = (p?: string) =>
    p
      ? readFileSync(p, 'utf8')
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l))
      : [];
  return { r, rows, rejects: lines(r.quarantinePath), dropped: lines(r.duplicatesPath) };
}

const CARS = 'name,year,hp\nford pinto,1971,86\namc hornet,1970,97\nford pinto,1971,86\nford pinto,1971,75\nvw rabbit,1976,70\namc hornet,1970,90\n';

describe('onDuplicate', () => {
  it('first (default): the first row of a key wins; dropped rows counted, and written when asked', async () => {
    const { r, rows, dropped } = await stage(CARS, 'first', { keep: true });
    expect(rows.sort()).toEqual(['amc hornet|1970|97', 'ford pinto|1971|86', 'vw rabbit|1976|70']);
    expect(r.counts).toMatchObject({ rowsIn: 6, rowsOut: 3, rowsDeduplicated: 3, rowsQuarantined: 0 });
    expect(dropped.map((d) => [d._line, d._rule, d.row.hp])).toEqual([
      [4, 'duplicate_key(name,year)', '86'],
      [5, 'duplicate_key(name,year)', '75'],
      [7, 'duplicate_key(name,year)', '90'],
    ]);
  });

  it('last: the last row of a key wins', async () => {
    const { r, rows } = await stage(CARS, 'last');
    expect(rows.sort()).toEqual(['amc hornet|1970|90', 'ford pinto|1971|75', 'vw rabbit|1976|70']);
    expect(r.counts).toMatchObject({ rowsOut: 3, rowsDeduplicated: 3 });
    expect(r.duplicatesPath).toBeUndefined();
  });

  it('quarantine: every row of a key whose rows differ is quarantined with duplicate_key; exact copies are dropped', async () => {
    const { r, rows, rejects } = await stage(
      'name,year,hp\nvw rabbit,1976,70\nvw rabbit,1976,70\namc hornet,1970,97\namc hornet,1970,90\namc hornet,1970,97\n',
      'quarantine',
    );
    expect(rows).toEqual(['vw rabbit|1976|70']);
    expect(r.counts).toMatchObject({ rowsIn: 5, rowsOut: 1, rowsDeduplicated: 1, rowsQuarantined: 3 });
    expect(r.reasons).toEqual({ 'duplicate_key(name,year)': 3 });
    expect(rejects.map((q) => [q._line, q.row.hp])).toEqual([
      [4, '97'],
      [5, '90'],
      [6, '97'],
    ]);
    expect(rejects[0]._reason).toBe('rows at lines 4 and 5 share the key (amc hornet, 1970) with different values');
  });

  it('JSON sources too', async () => {
    const text = CARS.trim()
      .split('\n')
      .slice(1)
      .map((l) => {
        const [name, year, hp] = l.split(',');
        return JSON.stringify({ name, year: +year, hp: +hp });
      })
      .join('\n');
    const { rows } = await stage(text, 'last', { format: 'jsonl' });
    expect(rows.sort()).toEqual(['amc hornet|1970|90', 'ford pinto|1971|75', 'vw rabbit|1976|70']);
  });

  it('agrees with a reference on random files, with and without the pre-pass (property)', async () => {
    const row = fc.tuple(fc.constantFrom('a', 'b', 'c', 'd', 'e'), fc.integer({ min: 1970, max: 1972 }), fc.integer({ min: 1, max: 3 }));
    await fc.assert(
      fc.asyncProperty(fc.array(row, { maxLength: 30 }), fc.constantFrom<Mode>('first', 'last', 'quarantine'), fc.boolean(), async (data, mode, reread) => {
        const text = `name,year,hp\n${data.map((r) => r.join(',')).join('\n')}\n`;
        const groups = new Map<string, string[]>();
        for (const [n, y, h] of data) groups.set(`${n}|${y}`, [...(groups.get(`${n}|${y}`) ?? []), `${n}|${y}|${h}`]);
        const want: string[] = [];
        let quarantined = 0;
        for (const g of groups.values()) {
          if (mode === 'first') want.push(g[0]);
          else if (mode === 'last') want.push(g[g.length - 1]);
          else if (new Set(g).size === 1) want.push(g[0]);
          else quarantined += g.length;
        }
        const { r, rows } = await stage(text, mode, { reread });
        expect(rows.sort()).toEqual(want.sort());
        expect(r.counts.rowsQuarantined).toBe(quarantined);
        expect(r.counts.rowsDeduplicated).toBe(data.length - want.length - quarantined);
      }),
      { numRuns: 40 },
    );
  });
});

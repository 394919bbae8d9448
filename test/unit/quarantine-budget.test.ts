import fc from 'fast-check';
import { existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DataError } from '../../lambdas/core/base/errors';
import { parseContract } from '../../lambdas/core/contract/load';
import { runStage } from '../../lambdas/core/engine/stage';

/**
 * limits.maxQuarantineBytes bounds what a file's quarantine rows (rejects and
 * kept duplicates) put on the stage's disk. The property, over generated files
 * (long column names, rows that are mostly bad, repeated keys, text that JSON
 * escapes): a run with budget B stops with quality.reject_volume exactly when
 * the same file with no budget writes more than B bytes of them, and never
 * leaves more than B bytes behind.
 */

const sizeOf = (p: string | undefined) => (p && existsSync(p) ? statSync(p).size : 0);

/** Descriptors this process holds on files under `dir` (a leak keeps a deleted file's disk space). */
function openUnder(dir: string): string[] {
  if (!existsSync('/proc/self/fd')) return [];
  const out: string[] = [];
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      const target = readlinkSync(`/proc/self/fd/${fd}`);
      if (target.startsWith(dir)) out.push(target);
    } catch {
      // Closed while listing.
    }
  }
  return out;
}

async function run(csv: string, name: string, budget: number | undefined, keepDuplicates: boolean) {
  const contract = parseContract({
    dataset: 'qb',
    version: 1,
    format: { type: 'csv' },
    columns: [
      { name: 'id', type: 'string', nullable: false },
      { name: name, type: 'integer' },
    ],
    keys: ['id'],
    keepDuplicates,
    fileRules: { minRows: 0, maxRejectRatio: 1 },
    ...(budget === undefined ? {} : { limits: { maxQuarantineBytes: budget } }),
  });
  const workDir = mkdtempSync(join(tmpdir(), 'qbudget-'));
  async function* source() {
    yield new TextEncoder().encode(csv);
  }
  try {
    // Small row groups: silver files are open (mid-write) when the budget stops the run.
    const r = await runStage({
      contract,
      source: source(),
      dataset: 'qb',
      key: 'landing/qb/f.csv',
      ingestDate: '2026-11-22',
      workDir,
      fileId: 'f',
      rowGroupSize: 7,
    });
    return { ok: true as const, bytes: sizeOf(r.quarantinePath) + sizeOf(r.duplicatesPath) };
  } catch (e) {
    if (!(e instanceof DataError) || e.reason !== 'quality.reject_volume') throw e;
    // What the stage left on disk for the handler to upload, with the counts so far.
    const d = e.details as { quarantinePath?: string; counts: { rowsIn: number } };
    // The row file, when named, exists and is whole JSON lines.
    if (d.quarantinePath) for (const l of readFileSync(d.quarantinePath, 'utf8').split('\n').slice(0, -1)) JSON.parse(l);
    return {
      ok: false as const,
      bytes: sizeOf(d.quarantinePath) + sizeOf(join(workDir, 'duplicates.jsonl')),
      rowsIn: d.counts.rowsIn,
      named: !!d.quarantinePath,
    };
  } finally {
    // Stopped or not, every file the stage opened is closed.
    expect(openUnder(workDir)).toEqual([]);
    rmSync(workDir, { recursive: true, force: true });
  }
}

const cell = fc.oneof(
  fc.constantFrom('1', '-7', 'x', '', '"a,""b"""', '"\\u00e9\\\\"'),
  fc.string({ maxLength: 40 }).map((s) => `"${s.replace(/"/g, '""')}"`),
);

describe('quarantine rows within limits.maxQuarantineBytes', () => {
  it('stops with quality.reject_volume exactly when the rows would pass the budget, never leaving more', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          name: fc.stringMatching(/^[a-z][a-z_]{0,60}$/),
          rows: fc.array(fc.tuple(fc.integer({ min: 0, max: 300 }), cell), { minLength: 1, maxLength: 3000, size: 'max' }),
          keep: fc.boolean(),
          fraction: fc.double({ min: 0.05, max: 1.5, noNaN: true }),
        }),
        async ({ name, rows, keep, fraction }) => {
          const csv = `id,${name}\n${rows.map(([k, v]) => `k${k},${v}`).join('\n')}\n`;
          const free = await run(csv, name, undefined, keep);
          expect(free.ok).toBe(true);
          const budget = Math.max(1, Math.floor(free.bytes * fraction));
          const bounded = await run(csv, name, budget, keep);
          expect(bounded.bytes).toBeLessThanOrEqual(budget);
          expect(bounded.ok).toBe(free.bytes <= budget);
          if (bounded.ok) expect(bounded.bytes).toBe(free.bytes);
        },
      ),
      { numRuns: 60 },
    );
  }, 120_000);

  it('kept duplicates past the budget: the rejected rows buffered so far are still written, and a row file is named only if it exists', async () => {
    const name = 'n';
    const dups = Array.from({ length: 6000 }, () => 'k1,5').join('\n');
    // One bad row, then thousands of copies of one key: the dropped copies' file passes the budget.
    const one = await run(`id,n\nk0,bad\n${dups}\n`, name, 200_000, true);
    expect(one).toMatchObject({ ok: false, named: true });
    const none = await run(`id,n\n${dups}\n`, name, 200_000, true);
    expect(none).toMatchObject({ ok: false, named: false });
    // A budget smaller than one rejected row's line: nothing fits, so no file and none named.
    expect(await run('id,n\nk0,bad\n', name, 50, false)).toMatchObject({ ok: false, named: false, bytes: 0 });
  });

  it('a file of bad rows whose JSON outgrows it several times over stops early, at a few bytes under the budget', async () => {
    const name = `a_${'very_long_column_name_'.repeat(10)}`;
    const csv = `id,${name}\n${Array.from({ length: 50_000 }, (_, i) => `k${i},x`).join('\n')}\n`;
    const r = await run(csv, name, 1 << 20, false);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    // Each 6-byte row costs ~330 bytes of quarantine JSON: the budget is reached after ~3k rows.
    expect(r.rowsIn).toBeLessThan(5_000);
    expect(r.bytes).toBeGreaterThan((1 << 20) - 70_000);
    expect(r.bytes).toBeLessThanOrEqual(1 << 20);
  });
});

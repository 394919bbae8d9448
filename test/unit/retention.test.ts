import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { parseContract } from '../../lambdas/core/contract/load';
import type { ContractInput } from '../../lambdas/core/contract/contract';
import { Aggregator } from '../../lambdas/core/gold/gold';
import { ColumnBuffer, Phys } from '../../lambdas/core/parquet/column';
import { DuplicatePolicy, type OnDuplicate } from '../../lambdas/core/quality/duplicates';
import { CandidateDeduper } from '../../lambdas/core/quality/dedupe';
import { parseJsonRecord } from '../../lambdas/core/read/json';
import { limitsOf } from '../../lambdas/core/contract/limits';
import { compileRules } from '../../lambdas/core/quality/rules';
import type { Typed } from '../../lambdas/core/typing/values';

/**
 * What the stage keeps past an input chunk must not keep the chunk: V8 cuts a
 * substring of 13+ characters as a view into its parent, so one kept value
 * sliced from a 1 MB decoded chunk would hold the whole megabyte
 * (base/strings.ts). Each case feeds values sliced from 40 distinct 1 MB
 * chunks, drops the chunks and measures the heap after a full GC: held, the
 * chunks would be 40 MB.
 */

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const heapMb = () => {
  gc();
  gc();
  return process.memoryUsage().heapUsed / 2 ** 20;
};

const CHUNKS = 40;
/** [long key, short value, long value] sliced from each of CHUNKS fresh 1 MB strings (as the CSV scanner cuts them). */
function slices(): [string, string, string][] {
  const out: [string, string, string][] = [];
  for (let c = 0; c < CHUNKS; c++) {
    // replace() makes one flat string (a concatenation would be a pair of references).
    const chunk = `key-${String(c).padStart(12, '0')},v${c % 7},value-${String(c).padStart(10, '0')},${'x'.repeat(1 << 20)}`.replace('x', 'y');
    const a = chunk.indexOf(',');
    const b = chunk.indexOf(',', a + 1);
    const d = chunk.indexOf(',', b + 1);
    out.push([chunk.slice(0, a), chunk.slice(a + 1, b), chunk.slice(b + 1, d)]);
  }
  return out;
}

/** Heap growth (MB) of what `keep` builds from the slices, once the chunks are gone. */
function retainedMb(keep: (values: [string, string, string][]) => unknown): number {
  const before = heapMb();
  let values: [string, string, string][] | undefined = slices();
  const kept = keep(values);
  values = undefined;
  const after = heapMb();
  expect(kept).toBeDefined();
  return after - before;
}

const contract = (extra: Partial<ContractInput>) =>
  parseContract({
    dataset: 'r',
    version: 1,
    columns: [
      { name: 'k', type: 'string' },
      { name: 's', type: 'string' },
      { name: 'v', type: 'string' },
    ],
    ...extra,
  } as ContractInput);

describe('values kept past their input chunk hold copies, not the chunk', () => {
  it('the Parquet dictionary', () => {
    const mb = retainedMb((rows) => {
      const b = new ColumnBuffer({ name: 'k', type: 'string', nullable: false }, Phys.BYTE_ARRAY, 0);
      for (const [k] of rows) b.append(k);
      return b;
    });
    expect(mb).toBeLessThan(8);
  });

  it('gold group keys and string min/max', () => {
    const c = contract({
      gold: [
        {
          name: 'g',
          groupBy: ['k', 's'],
          measures: [
            { fn: 'min', column: 'v', as: 'lo' },
            { fn: 'max', column: 'v', as: 'hi' },
          ],
        },
      ],
    } as Partial<ContractInput>);
    const mb = retainedMb((rows) => {
      const a = new Aggregator(c.gold[0], c);
      for (const r of rows) a.addRow(r);
      return a;
    });
    expect(mb).toBeLessThan(8);
  });

  it('the accepted_values cache', () => {
    const accepted = slices().map(([k]) => ` ${k}`.slice(1));
    const rules = compileRules(contract({ rules: [{ rule: 'accepted_values', column: 'k', values: accepted }] } as Partial<ContractInput>));
    const mb = retainedMb((rows) => {
      for (const r of rows) for (const rule of rules) expect(rule.check(r as Typed[])).toBeUndefined();
      return rules;
    });
    expect(mb).toBeLessThan(8);
  });

  it('keys the dedupe pre-pass found repeating (large files)', () => {
    const mb = retainedMb((rows) => {
      const d = new CandidateDeduper([0], new Uint8Array(CHUNKS).fill(255));
      for (const [i, r] of rows.entries()) expect(d.keep(r as Typed[], i)).toBe(true);
      return d;
    });
    expect(mb).toBeLessThan(8);
  });

  it('JSON numbers kept as their source text (integers past 2^53)', () => {
    const mb = retainedMb((rows) => {
      // A JSON record cut from each chunk, as the JSON Lines reader cuts records from decoded text.
      const numbers = rows.map(([, , v], i) => {
        const text = `{"id":${1234567890123456789n + BigInt(i)},"pad":"${v}"}`;
        const chunk = `${text}\n${'x'.repeat(1 << 20)}`.replace('x', 'y');
        const parsed = parseJsonRecord(chunk.slice(0, text.length), limitsOf());
        if (!parsed.ok) throw new Error(parsed.error);
        return (parsed.value as { id: unknown }).id;
      });
      expect(JSON.isRawJSON(numbers[0])).toBe(true);
      return numbers;
    });
    expect(mb).toBeLessThan(8);
  });

  it.each<OnDuplicate>(['first', 'last', 'quarantine'])('rows held by onDuplicate: %s', (mode) => {
    const sink = { emit: () => {}, reject: () => {}, spend: () => {}, counts: { rowsDeduplicated: 0 } };
    const mb = retainedMb((rows) => {
      const p = new DuplicatePolicy(mode, [0], ['k'], [String], 3, sink, undefined, undefined);
      for (const [i, r] of rows.entries()) {
        // Each key twice, the second an exact copy: 'first' remembers the key, 'last' and 'quarantine' hold rows.
        p.offer(r as Typed[], 2 * i, 2 * i + 2, () => ({ k: r[0], s: r[1], v: r[2] }));
        p.offer([...r] as Typed[], 2 * i + 1, 2 * i + 3, () => ({ k: r[0], s: r[1], v: r[2] }));
      }
      return p;
    });
    expect(mb).toBeLessThan(8);
  });
});

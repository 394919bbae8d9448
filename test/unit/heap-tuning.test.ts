import { execFileSync } from 'node:child_process';
import { afterAll, describe, expect, it, vi } from 'vitest';

vi.mock('node:v8', async (original) => ({ ...(await original<typeof import('node:v8')>()), setFlagsFromString: vi.fn() }));

import { setFlagsFromString } from 'node:v8';
import { HEAP_GROWING_PERCENT } from '../../lambdas/shared/heap';
import { lambdaDeps } from '../../lambdas/shared/deps';

/**
 * The Lambdas' heap tuning (lambdas/shared/heap.ts): set once per container by
 * lambdaDeps, with a flag this Node's V8 knows (setFlagsFromString ignores an
 * unknown flag without a word, so a V8 that dropped it would silently undo the
 * tuning).
 */
describe('heap tuning', () => {
  const bucket = process.env.LAKE_BUCKET;
  afterAll(() => {
    if (bucket === undefined) delete process.env.LAKE_BUCKET;
    else process.env.LAKE_BUCKET = bucket;
  });

  it('lambdaDeps sets --heap-growing-percent once per container', async () => {
    process.env.LAKE_BUCKET = 'lake';
    await lambdaDeps();
    await lambdaDeps();
    expect(vi.mocked(setFlagsFromString).mock.calls).toEqual([[`--heap-growing-percent=${HEAP_GROWING_PERCENT}`]]);
  });

  it("is a flag of the project's Node (V8 lists it)", () => {
    const options = execFileSync(process.execPath, ['--v8-options'], { encoding: 'utf8', maxBuffer: 1 << 24 });
    expect(options).toMatch(/^\s+--heap-growing-percent \(/m);
  });
});

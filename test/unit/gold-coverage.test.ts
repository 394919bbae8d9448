import { describe, expect, it } from 'vitest';
import type { ObjectInfo } from '../../lambdas/core/lake/store';
import { coverageOf } from '../../lambdas/handlers/rebuild-gold';

const obj = (key: string, etag?: string): ObjectInfo => ({ key, size: 1, lastModified: new Date(0), etag });

/** The digest a gold write records of the partials it was built from: equal only for the same keys with the same ETags. */
describe('coverageOf', () => {
  it('depends on the set of keys and ETags, not on listing order', () => {
    const a = obj('_partials/gold/d/dt=1/a.json', 'e1');
    const b = obj('_partials/gold/d/dt=1/b.json', 'e2');
    expect(coverageOf([a, b])).toBe(coverageOf([b, a]));
    expect(coverageOf([a, b])).toMatch(/^[0-9a-f]{64}$/);
    expect(coverageOf([a, b])).not.toBe(coverageOf([a]));
    expect(coverageOf([a, b])).not.toBe(coverageOf([a, { ...b, etag: 'e3' }]));
    expect(coverageOf([a, b])).not.toBe(coverageOf([a, { ...b, key: '_partials/gold/d/dt=1/c.json' }]));
    // Key and ETag cannot trade characters and collide.
    expect(coverageOf([obj('k#1', '2')])).not.toBe(coverageOf([obj('k', '1#2')]));
    expect(coverageOf([])).toMatch(/^[0-9a-f]{64}$/);
  });

  it('is undefined when a listed partial has no ETag: such a listing never counts as covered', () => {
    expect(coverageOf([obj('a', 'e1'), obj('b')])).toBeUndefined();
  });
});

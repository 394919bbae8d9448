import type { Manifest } from '../../lambdas/core/lake/manifest';

/** A manifest for landing/orders/a.csv, as the ops commands read them. */
export function manifest(
  status: Manifest['status'],
  source: Partial<Manifest['source']>,
  failure?: Manifest['failure'],
  counts: Partial<Manifest['counts']> = {},
): Manifest {
  return {
    manifestVersion: 1,
    status,
    source: { dataset: 'orders', bucket: 'b', key: 'landing/orders/a.csv', landedAt: '2026-11-22T00:00:00Z', ...source },
    counts: { rowsIn: 3, rowsOut: 2, rowsQuarantined: 1, rowsDeduplicated: 0, rowsWarned: 0, ...counts },
    reasons: {},
    warnings: {},
    outputs: { silver: [], gold: [] },
    failure,
    durationsMs: {},
    finishedAt: '2026-11-22T00:00:01Z',
  };
}

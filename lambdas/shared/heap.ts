import { setFlagsFromString } from 'node:v8';

/**
 * V8 heap tuning of the pipeline's Lambdas, applied once per container
 * (lambdaDeps) and by the bench, which runs the stage as the Lambda does.
 *
 * `--heap-growing-percent=50`: after each full GC, V8 lets the old generation
 * grow to a multiple of what survived before the next one, by default up to
 * about 2x-4x while allocation is fast. The stage's garbage that outlives a
 * young-generation GC (column buffers of flushed row groups, decoded chunks)
 * is freed only by a full GC, so peak RSS depended on where in that cycle a
 * file ended: the 1 GB bench's peak ranged 193-271 MB across runs of the same
 * code, and with the factor held at 1.5 it stayed within 191-214 MB at the same
 * CPU time (README, Performance). Node refuses this flag in NODE_OPTIONS (it
 * takes only a short list of V8 flags), so it is set here; V8 reads it each
 * time it computes the next limit, so it applies from the next GC on.
 */
export const HEAP_GROWING_PERCENT = 50;

let tuned = false;

export function tuneHeap(): void {
  if (tuned) return;
  tuned = true;
  setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
}

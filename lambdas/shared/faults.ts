import { TransientError } from '../core/base/errors';
import type { StageDeps } from './deps';

/**
 * Test-only transient fault: when the stack enables fault injection (test
 * config only) and the landing key contains `__fault_<stage>__`, the stage
 * fails once per execution with TransientError, proving the Retry path. The
 * "once" is remembered in the lake so it holds across Lambda containers.
 */
export async function maybeInjectFault(deps: StageDeps, stage: string, key: string, execution: string | undefined): Promise<void> {
  if (!deps.faultInjection || !key.includes(`__fault_${stage}__`)) return;
  const marker = `_faults/${stage}/${(execution ?? key).replace(/[^A-Za-z0-9_-]/g, '_')}`;
  if (await deps.store.readText(deps.lakeBucket, marker)) return;
  await deps.store.putText(deps.lakeBucket, marker, new Date().toISOString());
  throw new TransientError(`injected transient fault in ${stage} for ${key} (test switch)`);
}

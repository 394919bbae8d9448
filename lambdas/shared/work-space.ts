import { statfsSync } from 'node:fs';
import { bounded } from '../core/base/errors';

/**
 * The stage's work directory (Lambda's ephemeral storage, `/tmp`) ran out of
 * space. Not bad data, and not transient either: a retry meets the same file
 * and the same disk, so the error gets a name Step Functions does not retry
 * (it is not in TRANSIENT_ERRORS) and the file ends on the failed queue with
 * a message that says which file, how large the storage is and what to raise.
 */
export class WorkSpaceFull extends Error {
  override readonly name = 'WorkSpaceFull';
}

/** `e` itself, unless it is a full disk (ENOSPC, EDQUOT): then a WorkSpaceFull that explains it. */
export function explainWorkSpace(e: unknown, where: { dataset: string; key: string }, dir: string): unknown {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  if (code !== 'ENOSPC' && code !== 'EDQUOT') return e;
  let size = '';
  try {
    const s = statfsSync(dir);
    size = ` of ${Math.round((s.blocks * s.bsize) / 2 ** 20)} MiB`;
  } catch {
    // The size is a courtesy: the message stands without it.
  }
  return new WorkSpaceFull(
    `the stage's ephemeral storage${size} (${bounded(dir, 200)}) filled up while processing the file (${bounded(String((e as Error).message), 300)}) ` +
      `[dataset=${bounded(where.dataset, 200)} key=${bounded(where.key, 1100)}]. Raise stages.ephemeralStorageMb in config/pipeline.json ` +
      `(Lambda allows up to 10240) or split the file, then run it again: pipeline replay --dataset ${bounded(where.dataset, 200)} --prefix ${bounded(where.key, 1100)}`,
    { cause: e },
  );
}

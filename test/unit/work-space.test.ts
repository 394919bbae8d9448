import { openSync, writeSync, closeSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { registryOf } from '../../lambdas/core/contract/contract';
import { makeQuarantine } from '../../lambdas/handlers/quarantine';
import type { FileState } from '../../lambdas/handlers/state';
import { makeTransform } from '../../lambdas/handlers/transform';
import type { StageDeps } from '../../lambdas/shared/deps';
import { DirectoryObjectStore } from '../../lambdas/shared/dir-store';
import { createTelemetry } from '../../lambdas/shared/telemetry';
import { WorkSpaceFull, explainWorkSpace } from '../../lambdas/shared/work-space';
import { loadConfig } from '../../lib/config';
import { TRANSIENT_ERRORS } from '../../lib/orchestration';

/** A real ENOSPC from the kernel: /dev/full refuses every write with it. */
function enospc(): NodeJS.ErrnoException {
  const fd = openSync('/dev/full', 'w');
  try {
    writeSync(fd, Buffer.from('x'));
  } catch (e) {
    return e as NodeJS.ErrnoException;
  } finally {
    closeSync(fd);
  }
  throw new Error('/dev/full accepted a write');
}

// The stage's disk fills while it writes silver (the real error, thrown from where it arises).
const full = vi.hoisted(() => ({ on: false, error: undefined as unknown }));
vi.mock('../../lambdas/core/engine/stage', async (original) => {
  const real = await original<typeof import('../../lambdas/core/engine/stage')>();
  return { ...real, runStage: (...a: Parameters<typeof real.runStage>) => (full.on ? Promise.reject(full.error) : real.runStage(...a)) };
});

describe('a full work directory (the stage Lambda ephemeral storage)', () => {
  it('is explained: which file, how large the storage is, what to raise; other errors pass unchanged', () => {
    const e = enospc();
    expect(e.code).toBe('ENOSPC');
    const key = `landing/sales/${'k'.repeat(20_000)}.csv`;
    const out = explainWorkSpace(e, { dataset: 'sales', key }, tmpdir()) as WorkSpaceFull;
    expect(out).toBeInstanceOf(WorkSpaceFull);
    expect(out.name).toBe('WorkSpaceFull');
    expect(out.cause).toBe(e);
    expect(out.message).toMatch(/ephemeral storage of \d+ MiB/);
    expect(out.message).toContain('dataset=sales key=landing/sales/kkk');
    expect(out.message).toContain('stages.ephemeralStorageMb');
    expect(out.message).toContain('pipeline replay --dataset sales --prefix landing/sales/kkk');
    expect(out.message.length).toBeLessThan(3500); // a 20,000-character key does not make a 20,000-character error
    const quota = Object.assign(new Error('EDQUOT: disk quota exceeded, write'), { code: 'EDQUOT' });
    expect(explainWorkSpace(quota, { dataset: 'd', key: 'k' }, tmpdir())).toBeInstanceOf(WorkSpaceFull);
    for (const other of [new Error('boom'), Object.assign(new Error('no'), { code: 'EACCES' }), undefined, 'text'])
      expect(explainWorkSpace(other, { dataset: 'd', key: 'k' }, tmpdir())).toBe(other);
    // Not retried: a retry meets the same file and the same disk.
    expect(TRANSIENT_ERRORS).not.toContain('WorkSpaceFull');
  });

  let root: string | undefined;
  afterAll(async () => {
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('ends a file as failed (a pipeline fault, not bad data) with that explanation on its manifest', async () => {
    root = await mkdtemp(join(tmpdir(), 'work-space-'));
    const config = loadConfig('config/pipeline.json', 'dev');
    const store = new DirectoryObjectStore(root);
    const deps: StageDeps = {
      ...createTelemetry({ silent: true }),
      store,
      contracts: registryOf(config.datasets.map((d) => d.contract)),
      lakeBucket: 'lake',
      workRoot: join(root, '.work'),
      now: () => new Date(),
      faultInjection: false,
    };
    const key = 'landing/sales/sales_bad_rows.csv';
    await mkdir(join(root, 'landing-b', 'landing', 'sales'), { recursive: true });
    await copyFile('samples/sales/sales_bad_rows.csv', store.path('landing-b', key));
    const head = (await store.head('landing-b', key))!;
    const input: FileState = {
      dataset: 'sales',
      bucket: 'landing-b',
      key,
      etag: head.etag,
      size: head.size,
      landedAt: new Date().toISOString(),
      execution: 'sales-x',
    };
    // The same file goes through while the disk has room.
    await expect(makeTransform(deps)(input)).resolves.toMatchObject({ transform: { counts: { rowsOut: expect.any(Number) } } });

    full.on = true;
    full.error = enospc();
    let thrown: unknown;
    try {
      await makeTransform(deps)(input);
    } catch (e) {
      thrown = e;
    } finally {
      full.on = false;
    }
    const e = thrown as Error;
    expect(e.name).toBe('WorkSpaceFull');
    // What Step Functions hands the Catch: the error's name and message.
    const failed = await makeQuarantine(deps)({ ...input, error: { Error: e.name, Cause: JSON.stringify({ errorType: e.name, errorMessage: e.message }) } });
    expect(failed).toMatchObject({ status: 'failed', reason: 'pipeline.error' });
    expect(failed.message).toContain('stages.ephemeralStorageMb');
    expect(failed.message).toContain(`key=${key}`);
    expect(failed.message).toContain(`pipeline replay --dataset sales --prefix ${key}`);
  });
});

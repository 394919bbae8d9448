import { copyFile, mkdir, readdir, stat } from 'node:fs/promises';
import { basename, join, resolve, sep } from 'node:path';
import { StateMachine } from 'aws-local-stepfunctions';
import type { PipelineConfig } from '../../lib/config';
import { STATES } from '../../lib/states';
import { registryOf } from '../../lambdas/core/contract/contract';
import { executionName, layout } from '../../lambdas/core/lake/layout';
import type { Manifest } from '../../lambdas/core/lake/manifest';
import type { ObjectStore } from '../../lambdas/core/lake/store';
import { makePublish } from '../../lambdas/handlers/publish';
import { makeQuarantine } from '../../lambdas/handlers/quarantine';
import type { FileState } from '../../lambdas/handlers/state';
import { makeTransform } from '../../lambdas/handlers/transform';
import { makeValidate } from '../../lambdas/handlers/validate';
import type { StageDeps } from '../../lambdas/shared/deps';
import { DirectoryObjectStore } from '../../lambdas/shared/dir-store';
import { createTelemetry } from '../../lambdas/shared/telemetry';
import { cachedDefinition } from './asl';

/** The subset of aws-local-stepfunctions' event log the CLI uses. */
export interface EventLog {
  type: string;
  state: { name: string };
  Error?: string;
}

/** Local bucket names: directories under the store root. */
export const LOCAL_BUCKETS = { landing: 'landing-bucket', lake: 'lake-bucket' } as const;

export interface LocalRunOptions {
  config: PipelineConfig;
  storeRoot: string;
  /** Milliseconds to wait between retries (AWS waits seconds). @default 5 */
  retryWaitMs?: number;
  /** Wrap handlers, e.g. to inject faults in tests. */
  wrap?: (state: string, fn: (input: FileState) => Promise<unknown>) => (input: FileState) => Promise<unknown>;
  onEvent?: (e: EventLog) => void;
  store?: ObjectStore;
}

export interface LocalRunResult {
  status: 'succeeded' | 'quarantined' | 'failed';
  execution: string;
  manifest?: Manifest;
  failedMessage?: unknown;
  retries: { state: string; error: string }[];
  durationMs: number;
}

/** Make a thrown error look exactly like Lambda reports it to Step Functions: Error = name, Cause = JSON. */
function asLambdaError(e: unknown): Error {
  const err = e instanceof Error ? e : new Error(String(e));
  const out = new Error(JSON.stringify({ errorType: err.name, errorMessage: err.message, trace: (err.stack ?? '').split('\n') }));
  out.name = err.name;
  return out;
}

const globToRegExp = (glob: string) =>
  new RegExp(
    `^${glob
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
  );

/**
 * Infer the dataset of a local file: landing/<d>/ in its path, a dataset's
 * `filePattern`, a path segment named like a dataset, a file-name prefix, or a
 * suffix only one dataset accepts.
 */
export function inferDataset(file: string, config: PipelineConfig): string | undefined {
  const parts = resolve(file).split(sep);
  const names = config.datasets.map((d) => d.name);
  const li = parts.lastIndexOf('landing');
  if (li >= 0 && names.includes(parts[li + 1])) return parts[li + 1];
  const byPattern = config.datasets.filter((d) => d.filePattern && globToRegExp(d.filePattern).test(basename(file)));
  if (byPattern.length === 1) return byPattern[0].name;
  for (let i = parts.length - 2; i >= 0; i--) if (names.includes(parts[i])) return parts[i];
  const base = basename(file);
  const byPrefix = names.filter((n) => base.startsWith(`${n}_`) || base.startsWith(`${n}-`) || base.startsWith(`${n}.`));
  if (byPrefix.length === 1) return byPrefix[0];
  const bySuffix = config.datasets.filter((d) => d.suffixes.some((s) => base.endsWith(s)));
  return bySuffix.length === 1 ? bySuffix[0].name : undefined;
}

/**
 * The file pipeline as aws-local-stepfunctions runs it. Its definition comes
 * from the on-disk cache (src/cli/asl.ts) and was validated when the entry was
 * written, so a hit skips validation too.
 */
async function localMachine(config: PipelineConfig): Promise<StateMachine> {
  const validationOptions = { checkArn: false };
  const { definition, validated } = await cachedDefinition(config, (d) => void new StateMachine(d as never, { validationOptions }));
  return new StateMachine(definition as never, { validationOptions: validated ? { noValidate: true } : validationOptions });
}

// Runs share one machine (run() is re-entrant).
let cachedMachine: { key: PipelineConfig; machine: Promise<StateMachine> } | undefined;

export async function runLocal(file: string, dataset: string, opts: LocalRunOptions): Promise<LocalRunResult> {
  const t0 = Date.now();
  const store = opts.store ?? new DirectoryObjectStore(opts.storeRoot);
  const dir = store instanceof DirectoryObjectStore ? store : undefined;
  const key = `landing/${dataset}/${basename(file)}`;
  // "Upload": lay the file where the landing bucket would have it.
  if (dir) {
    const target = dir.path(LOCAL_BUCKETS.landing, key);
    await mkdir(resolve(target, '..'), { recursive: true });
    if (resolve(file) !== target) await copyFile(file, target);
  }
  const head = await store.head(LOCAL_BUCKETS.landing, key);
  if (!head) throw new Error(`cannot stage ${file} into the local landing bucket`);
  const execution = executionName(dataset, LOCAL_BUCKETS.landing, key, head.versionId ?? head.etag ?? 'local');
  const input: FileState = {
    dataset,
    bucket: LOCAL_BUCKETS.landing,
    key,
    versionId: undefined,
    etag: head.versionId ?? head.etag,
    size: head.size,
    landedAt: head.lastModified.toISOString(),
    execution,
  };

  const deps: StageDeps = {
    ...createTelemetry({ silent: true }),
    store,
    contracts: registryOf(opts.config.datasets.map((d) => d.contract)),
    lakeBucket: LOCAL_BUCKETS.lake,
    workRoot: join(opts.storeRoot, '.work'),
    now: () => new Date(),
    faultInjection: opts.config.faultInjection,
  };
  let failedMessage: unknown;
  const handlers: Record<string, (input: FileState) => Promise<unknown>> = {
    [STATES.validate]: makeValidate(deps),
    [STATES.transform]: makeTransform(deps),
    [STATES.publish]: makePublish(deps),
    [STATES.quarantine]: makeQuarantine(deps),
    // The `failed` queue, locally: one JSON file per failed execution.
    [STATES.notifyFailed]: async (params) => {
      // The task's Parameters are { QueueUrl, MessageBody }: keep what SQS would carry.
      failedMessage = (params as unknown as { MessageBody?: unknown }).MessageBody ?? params;
      await store.putText(LOCAL_BUCKETS.lake, `_local/failed-queue/${execution}.json`, JSON.stringify(failedMessage, null, 2));
      return {};
    },
  };
  const overrides: Record<string, (i: never) => Promise<never>> = {};
  for (const [state, fn] of Object.entries(handlers)) {
    const wrapped = opts.wrap ? opts.wrap(state, fn) : fn;
    overrides[state] = (async (i: FileState) => {
      try {
        return await wrapped(i);
      } catch (e) {
        throw asLambdaError(e);
      }
    }) as never;
  }

  if (cachedMachine?.key !== opts.config) cachedMachine = { key: opts.config, machine: localMachine(opts.config) };
  const machine = await cachedMachine.machine;
  const wait = opts.retryWaitMs ?? 5;
  const run = machine.run(input as never, {
    overrides: {
      taskResourceLocalHandlers: overrides as never,
      retryIntervalOverrides: Object.fromEntries(Object.keys(handlers).map((s) => [s, wait])),
    },
    context: { Execution: { Id: `local:${execution}`, Name: execution, Input: input as never, StartTime: new Date().toISOString() } } as never,
  });
  const retries: LocalRunResult['retries'] = [];
  const lastError = new Map<string, string>();
  const events = (async () => {
    for await (const e of run.eventLogs) {
      const ev = e as unknown as EventLog;
      if (ev.type === 'StateFailed') lastError.set(ev.state.name, ev.Error ?? 'error');
      if (ev.type === 'StateRetried') retries.push({ state: ev.state.name, error: lastError.get(ev.state.name) ?? 'error' });
      if (ev.state) opts.onEvent?.(ev);
    }
  })();
  let ok = true;
  try {
    await run.result;
  } catch {
    ok = false;
  }
  await events;
  const manifestText = await store.readText(LOCAL_BUCKETS.lake, layout.manifest(dataset, key));
  const manifest = manifestText ? (JSON.parse(manifestText) as Manifest) : undefined;
  const status = ok ? 'succeeded' : manifest?.status === 'quarantined' ? 'quarantined' : 'failed';
  return { status, execution, manifest, failedMessage, retries, durationMs: Date.now() - t0 };
}

/** Expand directories into the files under them. */
export async function expandFiles(paths: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const p of paths) {
    const s = await stat(p).catch(() => undefined);
    if (!s) throw new Error(`no such file: ${p}`);
    if (s.isDirectory()) {
      for (const e of await readdir(p, { recursive: true, withFileTypes: true })) if (e.isFile()) out.push(join(e.parentPath, e.name));
    } else out.push(p);
  }
  return out.sort();
}

export interface LocalJob {
  file: string;
  dataset: string;
}

/**
 * Run files through the local state machine up to `concurrency` at a time,
 * as Lambda runs executions side by side. Files that land on the same key
 * (same dataset and file name) are versions of one object: those run one
 * after another, in the order given, like successive uploads. Results come
 * back in the order of `jobs`.
 */
export async function runConcurrently<T>(jobs: LocalJob[], concurrency: number, runOne: (job: LocalJob, index: number) => Promise<T>): Promise<T[]> {
  const byKey = new Map<string, number[]>();
  jobs.forEach((j, i) => {
    const k = `${j.dataset}/${basename(j.file)}`;
    byKey.set(k, [...(byKey.get(k) ?? []), i]);
  });
  const chains = [...byKey.values()];
  const results = new Array<T>(jobs.length);
  const worker = async () => {
    for (let chain = chains.shift(); chain; chain = chains.shift()) for (const i of chain) results[i] = await runOne(jobs[i], i);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, chains.length)) }, worker));
  return results;
}

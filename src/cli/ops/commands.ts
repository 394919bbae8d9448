import { DescribeExecutionCommand, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { createHash } from 'node:crypto';
import type { PipelineConfig } from '../../../lib/config';
import { executionName, layout } from '../../../lambdas/core/lake/layout';
import type { Manifest } from '../../../lambdas/core/lake/manifest';
import type { FileState } from '../../../lambdas/handlers/state';
import { alarmStates, clients, executionsByStatus, listLanded, listObjects, readJson, runningKeys, type Clients } from './aws';
import { pool } from './pool';
import { FAILING_FATES, fateOf, summarize } from './fate';
import { renderReconcile, renderStatus, type ReconcileReport, type ReconcileRow, type StatusReport } from './render';
import { redrive, visibleCount } from './redrive';
import { findStack, OpsError, requireDataset, type Deployed } from './stack';

export interface Out {
  log: (s: string) => void;
  err: (s: string) => void;
}

// ---------------------------------------------------------------- status

export async function status(
  config: PipelineConfig,
  opts: { stack?: string; dataset?: string; json?: boolean },
  out: Out,
  aws: Clients = clients(),
): Promise<number> {
  const datasets = requireDataset(config, opts.dataset);
  const d = await findStack(config, opts.stack);
  const lake = d.outputs.LakeBucketName;
  const since = new Date(Date.now() - 24 * 3_600_000);
  const perDataset = await pool(datasets, 3, async (name) => {
    const sla = config.datasets.find((x) => x.name === name)!.freshnessSlaMinutes;
    const last = await readJson<{ at: string; key: string }>(aws.s3, lake, layout.lastSuccess(name));
    const minutes = last ? Math.floor((Date.now() - Date.parse(last.at)) / 60_000) : undefined;
    const recent = (await listObjects(aws.s3, lake, layout.manifestPrefix(name))).filter((o) => o.lastModified >= since);
    const manifests = (await pool(recent, 16, (o) => readJson<Manifest>(aws.s3, lake, o.key))).filter((m): m is Manifest => !!m);
    const rowsIn = manifests.reduce((n, m) => n + m.counts.rowsIn, 0);
    const rowsQ = manifests.reduce((n, m) => n + m.counts.rowsQuarantined, 0);
    // Loaded, but worth a look: warn rules, coerced types, gold sums null past their type.
    // Keyed by ids read from manifests (rule ids are the contract's): no prototype for one to land on.
    const warnings: Record<string, number> = Object.create(null);
    for (const m of manifests) for (const [k, n] of Object.entries(m.warnings ?? {})) warnings[k] = (warnings[k] ?? 0) + n;
    return {
      dataset: name,
      lastSuccess: last?.at ?? null,
      minutesSinceLastSuccess: minutes ?? null,
      slaMinutes: sla,
      fresh: minutes !== undefined && minutes <= sla,
      files24h: {
        succeeded: manifests.filter((m) => m.status === 'succeeded').length,
        quarantined: manifests.filter((m) => m.status === 'quarantined').length,
        failed: manifests.filter((m) => m.status === 'failed').length,
      },
      rows24h: { in: rowsIn, out: manifests.reduce((n, m) => n + m.counts.rowsOut, 0), quarantined: rowsQ },
      quarantineRatio: rowsIn ? rowsQ / rowsIn : 0,
      warnings24h: warnings,
    };
  });
  const o = d.outputs;
  const queues = Object.fromEntries(
    await Promise.all(
      (['IngestQueueUrl', 'IngestDlqUrl', 'RuleTargetDlqUrl', 'FailedQueueUrl', 'FailedDlqUrl'] as const).map(
        async (k) => [k.replace(/Url$/, ''), await visibleCount(aws.sqs, o[k])] as const,
      ),
    ),
  );
  const alarms = await alarmStates(aws.cw, d.alarmPrefix);
  const running = (await executionsByStatus(aws.sfn, o.StateMachineArn, 'RUNNING')).length;
  const described = await pool((await executionsByStatus(aws.sfn, o.StateMachineArn, 'FAILED', since)).slice(0, 200), 8, async (e) => {
    const x = await aws.sfn.send(new DescribeExecutionCommand({ executionArn: e.executionArn }));
    const input = JSON.parse(x.input ?? '{}') as Partial<FileState>;
    return { name: e.name, startDate: e.startDate?.toISOString(), dataset: input.dataset, key: input.key, error: x.error, cause: x.cause?.slice(0, 500) };
  });
  const failed = described.filter((f) => !opts.dataset || f.dataset === opts.dataset);
  const report: StatusReport = { stack: d.stackName, datasets: perDataset, queues, runningExecutions: running, alarms, failedExecutions24h: failed };
  out.log(opts.json ? JSON.stringify(report, null, 2) : renderStatus(report));
  return 0;
}

// ---------------------------------------------------------------- reconcile

export async function reconcile(
  config: PipelineConfig,
  opts: { stack?: string; dataset?: string; since?: Date; json?: boolean },
  out: Out,
  aws: Clients = clients(),
): Promise<number> {
  const datasets = requireDataset(config, opts.dataset);
  const d = await findStack(config, opts.stack);
  const running = await runningKeys(aws.sfn, d.outputs.StateMachineArn);
  const rows: ReconcileRow[] = [];
  for (const name of datasets) {
    const suffixes = config.datasets.find((x) => x.name === name)!.suffixes;
    const landed = (await listLanded(aws.s3, d.outputs.LandingBucketName, `landing/${name}/`)).filter((o) => !opts.since || o.lastModified >= opts.since);
    // Keys no rule routes (other suffixes) never start an execution: say so rather than 'missing'.
    const routed = (k: string) => suffixes.some((s) => k.endsWith(s));
    const manifests = new Map<string, Manifest | undefined>();
    await pool([...new Set(landed.filter((o) => routed(o.key)).map((o) => o.key))], 16, async (k) =>
      manifests.set(k, await readJson<Manifest>(aws.s3, d.outputs.LakeBucketName, layout.manifest(name, k))),
    );
    for (const o of landed) {
      const f = routed(o.key)
        ? fateOf(o, manifests.get(o.key), running, o.isLatest)
        : { fate: 'unrouted' as const, detail: `no rule routes this suffix (${suffixes.join(', ')})` };
      rows.push({ dataset: name, key: o.key, versionId: o.versionId, landed: o.lastModified.toISOString(), ...f });
    }
  }
  const report: ReconcileReport = { stack: d.stackName, since: opts.since?.toISOString(), totals: summarize(rows), objects: rows };
  out.log(opts.json ? JSON.stringify(report, null, 2) : renderReconcile(report));
  return FAILING_FATES.some((f) => report.totals[f] > 0) ? 1 : 0;
}

// ---------------------------------------------------------------- redrive

/**
 * Where each dead-letter queue goes back to. The rule-target DLQ holds the
 * EventBridge events themselves (the event is the message body; the error is in
 * message attributes), which is what the ingest queue carries: bodies are sent
 * unchanged. SQS move tasks only serve queues that are another queue's
 * redrive DLQ, so the rule-target DLQ always uses the loop.
 */
export const REDRIVE = {
  ingest: { dlq: 'IngestDlqUrl', source: 'IngestQueueUrl', loopOnly: false },
  target: { dlq: 'RuleTargetDlqUrl', source: 'IngestQueueUrl', loopOnly: true },
  failed: { dlq: 'FailedDlqUrl', source: 'FailedQueueUrl', loopOnly: false },
} as const;

export async function redriveCmd(
  config: PipelineConfig,
  which: string,
  opts: { stack?: string; max?: number; json?: boolean },
  out: Out,
  aws: Clients = clients(),
): Promise<number> {
  const route = REDRIVE[which as keyof typeof REDRIVE];
  if (!route) throw new OpsError(`redrive what? one of ${Object.keys(REDRIVE).join(', ')} (got '${which}')`);
  const d: Deployed = await findStack(config, opts.stack);
  const dlq = d.outputs[route.dlq];
  const source = d.outputs[route.source];
  const waiting = await visibleCount(aws.sqs, dlq);
  const queueName = (u: string) => u.split('/').pop();
  out.err(`redriving ${which}: ${waiting} message(s) visible in ${queueName(dlq)} -> ${queueName(source)}${opts.max ? ` (at most ${opts.max})` : ''}`);
  const bar = (n: number) => {
    const total = Math.max(opts.max ? Math.min(opts.max, waiting) : waiting, n, 1);
    const w = 30;
    const done = Math.round((w * Math.min(n, total)) / total);
    return `[${'#'.repeat(done)}${'.'.repeat(w - done)}] ${n}/${total}`;
  };
  const r = await redrive(aws.sqs, dlq, source, {
    max: opts.max,
    forceLoop: route.loopOnly,
    onProgress: (p) => out.err(`  ${bar(p.moved)}${p.failed ? ` (${p.failed} failed to send, left in the DLQ)` : ''}`),
  });
  const how = r.method === 'move-task' ? 'SQS message move task' : 'receive-send-delete';
  if (opts.json)
    out.log(
      JSON.stringify({
        queue: which,
        from: queueName(dlq),
        to: queueName(source),
        method: r.method,
        moved: r.moved,
        failed: r.failed,
        stillRunning: !!r.running,
      }),
    );
  else {
    out.log(
      `redrove ${r.moved} message(s) from the ${which} DLQ to ${queueName(source)} (${how})` +
        (r.failed ? `; ${r.failed} could not be sent and stay in the DLQ` : '') +
        (r.running ? '; the move task is still running: aws sqs list-message-move-tasks --source-arn <DLQ ARN>' : ''),
    );
  }
  return r.failed ? 1 : 0;
}

// ---------------------------------------------------------------- replay

/** Above this many files (and with no time range), replay runs as a Distributed Map inside the stack. */
export const DISTRIBUTED_ABOVE = 1000;
/** Parallel StartExecution calls of a per-file replay (well under the API's bucket refill rate). */
export const REPLAY_CONCURRENCY = 8;

export interface ReplayOptions {
  stack?: string;
  dataset?: string;
  from?: Date;
  to?: Date;
  /** --from/--to as typed: '24h' names the same replay whenever it is run. */
  fromArg?: string;
  toArg?: string;
  prefix?: string;
  runId?: string;
  dryRun?: boolean;
  json?: boolean;
  distributed?: boolean;
}

/** The landing prefix a replay covers: --prefix is relative to landing/<dataset>/ unless it starts with landing/. */
export function replayPrefix(dataset: string, prefix?: string): string {
  const p = prefix ? (prefix.startsWith('landing/') ? prefix : `landing/${dataset}/${prefix.replace(/^\/+/, '')}`) : `landing/${dataset}/`;
  if (!p.startsWith(`landing/${dataset}/`)) throw new OpsError(`--prefix must be under landing/${dataset}/ (got '${prefix}')`);
  return p;
}

/**
 * The replay's id: --run-id, or a hash of what was asked (dataset, prefix,
 * --from/--to as typed). Execution names are `replay-<runId>-…` plus a hash
 * of the file version, so running the same command again starts only files
 * that were not started by it before; pass a new --run-id to replay the same
 * files once more (after a second fix).
 */
export function replayRunId(args: { dataset: string; prefix: string; from?: string; to?: string; runId?: string }): string {
  if (args.runId !== undefined) {
    if (!/^[A-Za-z0-9_-]{1,8}$/.test(args.runId)) throw new OpsError(`--run-id must be 1-8 characters of A-Z a-z 0-9 _ - (got '${args.runId}')`);
    return args.runId;
  }
  return createHash('sha256')
    .update(JSON.stringify([args.dataset, args.prefix, args.from ?? null, args.to ?? null]))
    .digest('hex')
    .slice(0, 8);
}

/** The execution a per-file replay starts: the dispatcher's FileState for the object version, under a replay name. */
export function replayStart(
  dataset: string,
  bucket: string,
  runId: string,
  o: { key: string; versionId?: string; etag?: string; size?: number; lastModified: Date },
): { name: string; input: FileState } {
  const name = executionName(dataset, bucket, o.key, o.versionId ?? o.etag ?? o.lastModified.toISOString(), `replay-${runId}-`);
  return {
    name,
    input: { dataset, bucket, key: o.key, versionId: o.versionId, etag: o.etag, size: o.size, landedAt: o.lastModified.toISOString(), execution: name },
  };
}

/**
 * The execution `name` of a state machine if it exists. Asked before StartExecution: for a
 * Standard execution still RUNNING with the same name and input, StartExecution answers success
 * with the original execution (no ExecutionAlreadyExists), which would count it as started again.
 */
async function existingExecution(aws: Clients, stateMachineArn: string, name: string) {
  try {
    const found = await aws.sfn.send(new DescribeExecutionCommand({ executionArn: `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}` }));
    return found?.executionArn ? found : undefined;
  } catch (e) {
    if ((e as Error).name === 'ExecutionDoesNotExist') return undefined;
    throw e;
  }
}

export async function replay(config: PipelineConfig, opts: ReplayOptions, out: Out, aws: Clients = clients()): Promise<number> {
  if (!opts.dataset) throw new OpsError('replay needs --dataset <name>');
  const [dataset] = requireDataset(config, opts.dataset);
  const prefix = replayPrefix(dataset, opts.prefix);
  const ranged = !!(opts.from || opts.to);
  if (opts.distributed && ranged) throw new OpsError('--distributed replays a whole prefix; drop --from/--to or narrow with --prefix');
  if (opts.from && opts.to && opts.from > opts.to) throw new OpsError('--from is after --to');
  const runId = replayRunId({ dataset, prefix, from: opts.fromArg ?? opts.from?.toISOString(), to: opts.toArg ?? opts.to?.toISOString(), runId: opts.runId });
  const d = await findStack(config, opts.stack);
  const bucket = d.outputs.LandingBucketName;
  const suffixes = config.datasets.find((x) => x.name === dataset)!.suffixes;
  // The latest version of every routed key in range (what a fresh upload would have processed).
  const objects = (await listLanded(aws.s3, bucket, prefix)).filter(
    (o) => o.isLatest && suffixes.some((s) => o.key.endsWith(s)) && (!opts.from || o.lastModified >= opts.from) && (!opts.to || o.lastModified <= opts.to),
  );
  out.err(
    `replay ${runId}: ${objects.length} file(s) under ${prefix}${opts.from ? ` from ${opts.from.toISOString()}` : ''}${opts.to ? ` to ${opts.to.toISOString()}` : ''}${opts.dryRun ? ' (dry run)' : ''}`,
  );
  if (opts.dryRun) {
    if (opts.json) out.log(JSON.stringify({ runId, files: objects.length, dryRun: true, keys: objects.map((o) => o.key) }));
    else for (const o of objects) out.log(o.key);
    return 0;
  }
  if (opts.distributed || (!ranged && objects.length > DISTRIBUTED_ABOVE)) {
    // One execution of the stack's ReplayMachine; its Distributed Map starts the files
    // (children `replay-<runId>-<sha256(key)>`, so files an earlier run started are skipped).
    const listing = createHash('sha256')
      .update(JSON.stringify(objects.map((o) => [o.key, o.etag])))
      .digest('hex')
      .slice(0, 8);
    const name = `replay-${runId}-${listing}`;
    const existing = await existingExecution(aws, d.outputs.ReplayStateMachineArn, name);
    if (existing?.executionArn) {
      out.log(
        opts.json
          ? JSON.stringify({ runId, files: objects.length, distributed: true, alreadyStarted: true, status: existing.status })
          : `replay ${runId}: this replay already ran over these files (execution ${name}, ${existing.status}); nothing started. Use --run-id <new> to replay them again.`,
      );
      return 0;
    }
    try {
      const r = await aws.sfn.send(
        new StartExecutionCommand({ stateMachineArn: d.outputs.ReplayStateMachineArn, name, input: JSON.stringify({ dataset, prefix, runId }) }),
      );
      out.log(
        opts.json
          ? JSON.stringify({ runId, files: objects.length, distributed: true, execution: r.executionArn })
          : `replay ${runId}: Distributed Map started for ${objects.length} file(s): ${r.executionArn}\nFollow it in the Step Functions console (map run) or with 'pipeline status'.`,
      );
    } catch (e) {
      if ((e as Error).name !== 'ExecutionAlreadyExists') throw e;
      out.log(
        opts.json
          ? JSON.stringify({ runId, files: objects.length, distributed: true, alreadyStarted: true })
          : `replay ${runId}: this replay already ran over these files (execution ${name}); nothing started. Use --run-id <new> to replay them again.`,
      );
    }
    return 0;
  }
  const counts = { started: 0, alreadyStarted: 0, failed: 0 };
  const failures: { key: string; error: string }[] = [];
  let done = 0;
  await pool(objects, REPLAY_CONCURRENCY, async (o) => {
    const { name, input } = replayStart(dataset, bucket, runId, o);
    try {
      if (await existingExecution(aws, d.outputs.StateMachineArn, name)) counts.alreadyStarted++;
      else {
        await aws.sfn.send(new StartExecutionCommand({ stateMachineArn: d.outputs.StateMachineArn, name, input: JSON.stringify(input) }));
        counts.started++;
      }
    } catch (e) {
      if ((e as Error).name === 'ExecutionAlreadyExists') counts.alreadyStarted++;
      else {
        counts.failed++;
        failures.push({ key: o.key, error: `${(e as Error).name}: ${(e as Error).message}` });
        out.err(`  could not start ${o.key}: ${(e as Error).name}: ${(e as Error).message}`);
      }
    }
    if (++done % 25 === 0 || done === objects.length)
      out.err(`  ${done}/${objects.length} (${counts.started} started, ${counts.alreadyStarted} already started, ${counts.failed} failed)`);
  });
  const summary = { runId, files: objects.length, ...counts, failures };
  out.log(
    opts.json
      ? JSON.stringify(summary)
      : `replay ${runId}: ${counts.started} started, ${counts.alreadyStarted} already started by an earlier run of this replay, ${counts.failed} failed to start.` +
          (counts.started ? ` Follow with 'pipeline status' or 'pipeline reconcile --dataset ${dataset}'.` : '') +
          (counts.alreadyStarted && !counts.started ? ' Use --run-id <new> to replay them again.' : ''),
  );
  return counts.failed ? 1 : 0;
}

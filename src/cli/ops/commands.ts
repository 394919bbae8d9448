import { DescribeExecutionCommand, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { createHash } from 'node:crypto';
import type { PipelineConfig } from '../../../lib/config';
import { executionName, layout } from '../../../lambdas/core/layout';
import type { Manifest } from '../../../lambdas/core/manifest';
import type { FileState } from '../../../lambdas/handlers/state';
import { c, table } from '../format';
import { alarmStates, clients, executionsByStatus, listLanded, listObjects, readJson, runningKeys, type Clients } from './aws';
import { fateOf, summarize, type Fate } from './fate';
import { redrive, visibleCount } from './redrive';
import { findStack, OpsError, requireDataset, type Deployed } from './stack';

export interface Out {
  log: (s: string) => void;
  err: (s: string) => void;
}

async function pool<T, R>(items: T[], n: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  }));
  return out;
}

// ---------------------------------------------------------------- status

export async function status(config: PipelineConfig, opts: { stack?: string; dataset?: string; json?: boolean }, out: Out, aws: Clients = clients()): Promise<number> {
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
    return {
      dataset: name,
      lastSuccess: last?.at ?? null,
      minutesSinceLastSuccess: minutes ?? null,
      slaMinutes: sla,
      fresh: minutes !== undefined && minutes <= sla,
      files24h: { succeeded: manifests.filter((m) => m.status === 'succeeded').length, quarantined: manifests.filter((m) => m.status === 'quarantined').length, failed: manifests.filter((m) => m.status === 'failed').length },
      rows24h: { in: rowsIn, out: manifests.reduce((n, m) => n + m.counts.rowsOut, 0), quarantined: rowsQ },
      quarantineRatio: rowsIn ? rowsQ / rowsIn : 0,
    };
  });
  const o = d.outputs;
  const queues = Object.fromEntries(
    await Promise.all(
      (['IngestQueueUrl', 'IngestDlqUrl', 'RuleTargetDlqUrl', 'FailedQueueUrl', 'FailedDlqUrl'] as const).map(async (k) => [k.replace(/Url$/, ''), await visibleCount(aws.sqs, o[k])] as const),
    ),
  );
  const alarms = await alarmStates(aws.cw, d.alarmPrefix);
  const failed = await pool((await executionsByStatus(aws.sfn, o.StateMachineArn, 'FAILED', since)).slice(0, 50), 8, async (e) => {
    const x = await aws.sfn.send(new DescribeExecutionCommand({ executionArn: e.executionArn }));
    return { name: e.name, startDate: e.startDate?.toISOString(), key: JSON.parse(x.input ?? '{}').key, error: x.error, cause: x.cause?.slice(0, 300) };
  });
  const report = { stack: d.stackName, datasets: perDataset, queues, alarms, failedExecutions24h: failed };
  if (opts.json) {
    out.log(JSON.stringify(report, null, 2));
    return 0;
  }
  out.log(c.bold(`${d.stackName}`));
  out.log(
    table([
      ['dataset', 'last success', 'freshness', 'files 24h ok/quar/fail', 'rows 24h in/out/quar', 'quarantine %'],
      ...perDataset.map((x) => [
        x.dataset,
        x.lastSuccess ?? 'never',
        x.minutesSinceLastSuccess === null ? c.yellow(`never loaded (SLA ${x.slaMinutes} min)`) : (x.fresh ? c.green : c.red)(`${x.minutesSinceLastSuccess} / ${x.slaMinutes} min`),
        `${x.files24h.succeeded}/${x.files24h.quarantined}/${x.files24h.failed}`,
        `${x.rows24h.in}/${x.rows24h.out}/${x.rows24h.quarantined}`,
        (100 * x.quarantineRatio).toFixed(1),
      ]),
    ]),
  );
  out.log('');
  out.log(table([['queue', 'visible'], ...Object.entries(queues).map(([k, v]) => [k, v > 0 && /Dlq|Failed/.test(k) ? c.red(String(v)) : String(v)])]));
  const firing = alarms.filter((a) => a.state === 'ALARM');
  const byState = alarms.reduce<Record<string, number>>((m, a) => ((m[a.state] = (m[a.state] ?? 0) + 1), m), {});
  out.log('');
  out.log(`alarms: ${Object.entries(byState).map(([k, v]) => `${v} ${k}`).join(', ') || 'none found'}${byState.INSUFFICIENT_DATA ? ' (INSUFFICIENT_DATA: no datapoints yet, normal for a quiet pipeline)' : ''}`);
  for (const a of firing) out.log(`  ${c.red('ALARM')} ${a.name} ${c.dim(a.reason ?? '')}`);
  if (failed.length) {
    out.log('');
    out.log(`failed executions (24 h): ${failed.length}`);
    for (const f of failed.slice(0, 10)) out.log(`  ${f.startDate} ${f.key ?? f.name} ${c.red(f.error ?? '')} ${c.dim((f.cause ?? '').slice(0, 120))}`);
  }
  return 0;
}

// ---------------------------------------------------------------- reconcile

export async function reconcile(config: PipelineConfig, opts: { stack?: string; dataset?: string; since?: Date; json?: boolean }, out: Out, aws: Clients = clients()): Promise<number> {
  const datasets = requireDataset(config, opts.dataset);
  const d = await findStack(config, opts.stack);
  const running = await runningKeys(aws.sfn, d.outputs.StateMachineArn);
  const rows: { dataset: string; key: string; versionId?: string; landed: string; fate: Fate; detail?: string }[] = [];
  let ignored = 0;
  for (const name of datasets) {
    const suffixes = config.datasets.find((x) => x.name === name)!.suffixes;
    const all = (await listLanded(aws.s3, d.outputs.LandingBucketName, `landing/${name}/`)).filter((o) => !opts.since || o.lastModified >= opts.since);
    // Keys the rule does not route (other suffixes) are not the pipeline's to process.
    const landed = all.filter((o) => suffixes.some((s) => o.key.endsWith(s)));
    ignored += all.length - landed.length;
    const manifests = new Map<string, Manifest | undefined>();
    for (const k of new Set(landed.map((o) => o.key))) manifests.set(k, undefined);
    await pool([...manifests.keys()], 16, async (k) => manifests.set(k, await readJson<Manifest>(aws.s3, d.outputs.LakeBucketName, layout.manifest(name, k))));
    for (const o of landed) {
      const f = fateOf(o, manifests.get(o.key), running, o.isLatest);
      rows.push({ dataset: name, key: o.key, versionId: o.versionId, landed: o.lastModified.toISOString(), ...f });
    }
  }
  const totals = summarize(rows);
  if (opts.json) out.log(JSON.stringify({ stack: d.stackName, totals, ignored, objects: rows }, null, 2));
  else {
    const notable = rows.filter((r) => r.fate !== 'gold' && r.fate !== 'superseded');
    if (notable.length) out.log(table([['fate', 'key', 'landed', 'detail'], ...notable.map((r) => [r.fate === 'missing' || r.fate === 'failed' ? c.red(r.fate) : c.yellow(r.fate), r.key, r.landed, r.detail ?? ''])]));
    out.log(`${rows.length} landed object version(s): ${Object.entries(totals).map(([k, v]) => `${k} ${v}`).join(', ')}${ignored ? ` (${ignored} with suffixes no rule routes, ignored)` : ''}`);
    if (totals.missing) out.log(c.red(`${totals.missing} missing: replay them with 'pipeline replay --dataset <d> --prefix <key>' (see docs/runbook.md)`));
  }
  return totals.missing ? 1 : 0;
}

// ---------------------------------------------------------------- redrive

export const REDRIVE = {
  ingest: { dlq: 'IngestDlqUrl', source: 'IngestQueueUrl' },
  target: { dlq: 'RuleTargetDlqUrl', source: 'IngestQueueUrl' },
  failed: { dlq: 'FailedDlqUrl', source: 'FailedQueueUrl' },
} as const;

export async function redriveCmd(config: PipelineConfig, which: string, opts: { stack?: string; max?: number }, out: Out, aws: Clients = clients()): Promise<number> {
  const route = REDRIVE[which as keyof typeof REDRIVE];
  if (!route) throw new OpsError(`redrive what? one of ${Object.keys(REDRIVE).join(', ')}`);
  const d: Deployed = await findStack(config, opts.stack);
  const dlq = d.outputs[route.dlq];
  const source = d.outputs[route.source];
  const waiting = await visibleCount(aws.sqs, dlq);
  out.err(`redriving ${which}: ${waiting} message(s) visible in ${dlq.split('/').pop()} -> ${source.split('/').pop()}`);
  const bar = (n: number) => {
    const total = Math.max(waiting, n, 1);
    const w = 30;
    const done = Math.round((w * Math.min(n, total)) / total);
    return `[${'#'.repeat(done)}${'.'.repeat(w - done)}] ${n}/${total}`;
  };
  const r = await redrive(aws.sqs, dlq, source, { max: opts.max, onProgress: (p) => out.err(`  ${bar(p.moved)}${p.failed ? ` (${p.failed} failed to send, left in the DLQ)` : ''}`) });
  out.log(`redrove ${r.moved} message(s) from ${which} DLQ (${r.method === 'move-task' ? 'SQS message move task' : 'receive-send-delete'})${r.failed ? `; ${r.failed} could not be sent and stay in the DLQ` : ''}`);
  return r.failed ? 1 : 0;
}

// ---------------------------------------------------------------- replay

/** Above this many files (and with no time range), replay runs as a Distributed Map inside the stack. */
export const DISTRIBUTED_ABOVE = 1000;

export async function replay(config: PipelineConfig, opts: { stack?: string; dataset?: string; from?: Date; to?: Date; prefix?: string; dryRun?: boolean; json?: boolean; distributed?: boolean }, out: Out, aws: Clients = clients()): Promise<number> {
  if (!opts.dataset) throw new OpsError('replay needs --dataset');
  const [dataset] = requireDataset(config, opts.dataset);
  const d = await findStack(config, opts.stack);
  const bucket = d.outputs.LandingBucketName;
  const prefix = opts.prefix ? (opts.prefix.startsWith('landing/') ? opts.prefix : `landing/${dataset}/${opts.prefix}`) : `landing/${dataset}/`;
  if (!prefix.startsWith(`landing/${dataset}/`)) throw new OpsError(`--prefix must be under landing/${dataset}/`);
  const suffixes = config.datasets.find((x) => x.name === dataset)!.suffixes;
  const objects = (await listObjects(aws.s3, bucket, prefix)).filter(
    (o) => suffixes.some((s) => o.key.endsWith(s)) && (!opts.from || o.lastModified >= opts.from) && (!opts.to || o.lastModified <= opts.to),
  );
  // Same command, same names: running a replay twice does not process files twice.
  const runId = createHash('sha256').update(JSON.stringify([dataset, prefix, opts.from?.toISOString(), opts.to?.toISOString(), objects.map((o) => [o.key, o.etag])])).digest('hex').slice(0, 8);
  out.err(`replay ${runId}: ${objects.length} file(s) under ${prefix}${opts.dryRun ? ' (dry run)' : ''}`);
  if (opts.dryRun) {
    for (const o of objects) out.log(o.key);
    return 0;
  }
  const ranged = !!(opts.from || opts.to);
  if (opts.distributed && ranged) throw new OpsError('--distributed replays a whole prefix; drop --from/--to or narrow with --prefix');
  if (opts.distributed || (!ranged && objects.length > DISTRIBUTED_ABOVE)) {
    // One execution of the stack's ReplayMachine; its Distributed Map starts the files.
    const name = `replay-${runId}`;
    try {
      const r = await aws.sfn.send(new StartExecutionCommand({ stateMachineArn: d.outputs.ReplayStateMachineArn, name, input: JSON.stringify({ dataset, prefix, runId }) }));
      out.log(opts.json ? JSON.stringify({ runId, files: objects.length, distributed: true, execution: r.executionArn }) : `replay ${runId}: Distributed Map started for ${objects.length} file(s): ${r.executionArn}`);
    } catch (e) {
      if ((e as Error).name !== 'ExecutionAlreadyExists') throw e;
      out.log(opts.json ? JSON.stringify({ runId, files: objects.length, distributed: true, alreadyStarted: true }) : `replay ${runId}: this replay already ran (execution ${name}); nothing started`);
    }
    return 0;
  }
  const counts = { started: 0, alreadyStarted: 0, failed: 0 };
  let done = 0;
  await pool(objects, 8, async (o) => {
    const name = executionName(dataset, bucket, o.key, o.etag ?? o.lastModified.toISOString(), `replay-${runId}-`);
    const input: FileState = { dataset, bucket, key: o.key, etag: o.etag, size: o.size, landedAt: o.lastModified.toISOString(), execution: name };
    try {
      await aws.sfn.send(new StartExecutionCommand({ stateMachineArn: d.outputs.StateMachineArn, name, input: JSON.stringify(input) }));
      counts.started++;
    } catch (e) {
      if ((e as Error).name === 'ExecutionAlreadyExists') counts.alreadyStarted++;
      else {
        counts.failed++;
        out.err(`  could not start ${o.key}: ${(e as Error).message}`);
      }
    }
    if (++done % 25 === 0 || done === objects.length) out.err(`  ${done}/${objects.length}`);
  });
  const summary = { runId, files: objects.length, ...counts };
  out.log(opts.json ? JSON.stringify(summary) : `replay ${runId}: ${counts.started} started, ${counts.alreadyStarted} already started by an earlier run of this replay, ${counts.failed} failed to start. Follow with 'pipeline status' or 'pipeline reconcile --dataset ${dataset}'.`);
  return counts.failed ? 1 : 0;
}

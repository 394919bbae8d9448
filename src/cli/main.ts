import './zod-jitless';
import { availableParallelism } from 'node:os';
import { relative, resolve } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { ConfigError, DEFAULT_CONFIG, loadConfig, type PipelineConfig } from '../../lib/config';
import { lakeTables } from '../../lib/lake-tables';
import { layout } from '../../lambdas/core/lake/layout';
import { c, ms, safe, table, topCounts } from './format';
import { OPS_HELP } from './ops/help';
import { OpsError, parseTime } from './ops/stack';
// Lazy where it is heavy: the query engines (DuckDB, Athena) and the AWS SDK clients.
import { expandFiles, inferDataset, LOCAL_BUCKETS, runConcurrently, runLocal, type LocalRunResult } from './local-run';

/** Exit codes are part of the interface (README, runbook). */
export const EXIT = { ok: 0, quarantined: 1, usage: 2, aws: 3 } as const;

class UsageError extends Error {}

const HELP = `pipeline — run and operate the landing-to-lake data pipeline

Usage:
  pipeline run <file|dir>... [--dataset <name>] [--concurrency <n>] [--json] [--store <dir>]
  pipeline check-config
  pipeline query "<SQL>" [--json] [--store <dir>] [--remote] [--tables]
  pipeline status [--dataset <name>] [--json]
  pipeline reconcile [--dataset <name>] [--since <time>] [--json]
  pipeline redrive <ingest|failed|target> [--max <n>] [--json]
  pipeline replay --dataset <name> [--from <time>] [--to <time>] [--prefix <p>] [--run-id <id>] [--distributed] [--dry-run] [--json]
  pipeline help [<command>]        (or pipeline <command> --help: options and examples)
  pipeline --version               the package version and the Node it runs on

Common options:
  --config <file>   pipeline config (default ${DEFAULT_CONFIG})
  --env <name>      environment block of the config (default dev)
  --stack <name>    deployed stack (status, reconcile, redrive, replay; default <name>-<env>)

run: executes the synthesized state machine locally with the real handlers
over a directory laid out like the buckets (default .pipeline/).
  --dataset <name>  dataset of the files (default: inferred from a landing/<dataset>/
                    path, a directory named like a dataset, or the file suffix)
  --concurrency <n> files run at once, as Lambda would run them (default: the
                    machine's cores, at least 2); versions of one key run in order
  --json            print the manifest(s) as JSON instead of the report
  --store <dir>     local object store root (default .pipeline)

query: SQL over the lake's tables (silver: <dataset>, gold: <dataset>_<aggregate>),
with DuckDB over the local store, or with --remote in the deployed stack's Athena
workgroup (see pipeline query --help).

status, reconcile, redrive and replay talk to the deployed stack (found by name:
--stack, default <name>-<env>, e.g. landing-to-lake-dev) with the usual AWS
credentials; AWS_ENDPOINT_URL points them at an emulator.
  status     per dataset: last success, freshness vs SLA, files/rows in the last
             24 h, quarantine ratio; queue and DLQ depths; alarms not OK; failed
             executions with their error
  reconcile  the fate of every landed object version: gold, quarantine, failed,
             in-flight or missing (exit 1 if any is missing)
  redrive    move a dead-letter queue back to its source: ingest (ingest DLQ),
             target (EventBridge rule-target DLQ -> ingest queue), failed
  replay     run landed files through the state machine again (after a contract
             fix, or to backfill); the same replay twice starts nothing twice.
             Over 1000 files (or --distributed) it runs as a Step Functions
             Distributed Map in the stack instead of one start per file
  <time>     ISO 8601 (2026-11-20, 2026-11-20T10:00:00Z) or an age (30m, 24h, 7d)

Examples:
  pipeline run samples/orders/orders_v1.csv
  pipeline run samples/sales/sales_bad_rows.csv --json
  pipeline run ./exports --dataset orders
  pipeline check-config --config config/pipeline.json
  pipeline query "select status, count(*) as n from orders group by 1"
  pipeline status --env prod
  pipeline reconcile --dataset orders --since 24h
  pipeline redrive ingest
  pipeline replay --dataset sales --from 2026-11-01 --to 2026-11-07
  pipeline replay --help

Exit codes: 0 ok; 1 a file quarantined/failed (run), something missing (reconcile),
or messages that could not be moved (redrive) / files that could not start (replay);
2 bad usage, bad config, unknown dataset, no stack or no credentials;
3 an AWS call failed unexpectedly (status, reconcile, redrive, replay).`;

type Out = { log: (s: string) => void; err: (s: string) => void };

export async function main(argv: string[], out: Out = { log: (s) => console.log(s), err: (s) => console.error(s) }): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'run':
        return await cmdRun(rest, out);
      case 'check-config':
        return cmdCheckConfig(rest, out);
      case 'query':
        return await (await import('./query')).cmdQuery(rest, out);
      case 'status':
      case 'reconcile':
      case 'redrive':
      case 'replay':
        return await cmdOps(command, rest, out);
      case 'help':
        if (rest[0] === 'query') {
          out.log((await import('./query')).QUERY_HELP);
          return EXIT.ok;
        }
        if (rest[0] && rest[0] in OPS_HELP) {
          out.log(OPS_HELP[rest[0] as keyof typeof OPS_HELP]);
          return EXIT.ok;
        }
        if (rest[0] && rest[0] !== 'run' && rest[0] !== 'check-config') throw new UsageError(`unknown command '${rest[0]}'`);
        out.log(HELP);
        return EXIT.ok;
      case '--version':
      case 'version':
        // The Node it runs on too: it must be the project's pinned one (see README).
        out.log(`landing-to-lake ${(require('../../package.json') as { version: string }).version} (node ${process.version})`);
        return EXIT.ok;
      case undefined:
      case '--help':
      case '-h':
        out.log(HELP);
        return command ? EXIT.ok : EXIT.usage;
      default:
        throw new UsageError(`unknown command '${command}'`);
    }
  } catch (e) {
    if (e instanceof UsageError || e instanceof ConfigError || e instanceof OpsError) {
      out.err(`${c.red('error:')} ${safe(e.message)}`);
      if (e instanceof UsageError) out.err(`Run 'pipeline help' for usage.`);
      return EXIT.usage;
    }
    throw e;
  }
}

type Options = NonNullable<ParseArgsConfig['options']>;
type Values = Record<string, string | boolean | undefined>;

function parse(args: string[], options: Options): { values: Values; positionals: string[] } {
  try {
    const r = parseArgs({
      args,
      allowPositionals: true,
      options: { config: { type: 'string' }, env: { type: 'string' }, help: { type: 'boolean', short: 'h' }, ...options },
    });
    return { values: r.values as Values, positionals: r.positionals };
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

function config(values: Record<string, unknown>): PipelineConfig {
  const cfg = loadConfig((values.config as string | undefined) ?? DEFAULT_CONFIG, (values.env as string | undefined) ?? 'dev');
  // Table names unique across datasets and aggregates (as the catalog needs them), checked by every command.
  lakeTables(cfg);
  return cfg;
}

function cmdCheckConfig(args: string[], out: Out): number {
  const { values } = parse(args, {});
  const cfg = config(values);
  out.log(`${c.green('✓')} ${relative(process.cwd(), cfg.configFile)} is valid (env ${cfg.envName})`);
  out.log(
    table([
      ['dataset', 'contract', 'format', 'columns', 'rules', 'gold', 'suffixes', 'freshness SLA'],
      ...cfg.datasets.map((d) => [
        d.name,
        `v${d.contract.version} ${relative(process.cwd(), d.contractFile)}`,
        d.contract.format.type,
        String(d.contract.columns.length),
        String(d.contract.rules.length),
        d.contract.gold.map((g) => g.name).join(',') || '-',
        d.suffixes.join(' '),
        `${d.freshnessSlaMinutes} min`,
      ]),
    ]),
  );
  return EXIT.ok;
}

async function cmdRun(args: string[], out: Out): Promise<number> {
  const { values, positionals } = parse(args, {
    dataset: { type: 'string' },
    json: { type: 'boolean' },
    store: { type: 'string' },
    concurrency: { type: 'string' },
  });
  if (values.help) {
    out.log(HELP);
    return EXIT.ok;
  }
  if (!positionals.length) throw new UsageError('run needs at least one file');
  const cfg = config(values);
  const storeRoot = resolve((values.store as string | undefined) ?? '.pipeline');
  let files: string[];
  try {
    files = await expandFiles(positionals);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const jobs = files.map((f) => {
    const dataset = (values.dataset as string | undefined) ?? inferDataset(f, cfg);
    if (!dataset) throw new UsageError(`cannot tell which dataset ${f} belongs to; pass --dataset (one of ${cfg.datasets.map((d) => d.name).join(', ')})`);
    if (!cfg.datasets.some((d) => d.name === dataset))
      throw new UsageError(`unknown dataset '${dataset}' (configured: ${cfg.datasets.map((d) => d.name).join(', ')})`);
    return { file: f, dataset };
  });

  const concurrency = values.concurrency === undefined ? Math.max(2, availableParallelism()) : Number(values.concurrency);
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new UsageError('--concurrency must be a whole number of at least 1');

  // Each file's lines are printed together when it finishes, whatever runs beside it.
  const results = await runConcurrently(jobs, concurrency, async ({ file, dataset }) => {
    const lines: string[] = [];
    const fileOut: Out = { log: (s) => lines.push(s), err: out.err };
    const r = await runOne(file, dataset, cfg, storeRoot, !!values.json, fileOut);
    for (const l of lines) out.log(l);
    return r;
  });
  // A run that wrote no manifest still prints a JSON value saying so (never `undefined`).
  const asJson = (r: LocalRunResult) => r.manifest ?? { status: r.status, execution: r.execution, manifest: null };
  if (values.json) out.log(JSON.stringify(results.length === 1 ? asJson(results[0]) : results.map(asJson), null, 2));
  return results.every((r) => r.status === 'succeeded') ? EXIT.ok : EXIT.quarantined;
}

async function runOne(file: string, dataset: string, cfg: PipelineConfig, storeRoot: string, json: boolean, out: Out): Promise<LocalRunResult> {
  if (!json) out.log(`${c.bold(safe(file))} ${c.dim(`→ dataset ${dataset}`)}`);
  const started = new Map<string, number>();
  const caught = new Set<string>();
  const r = await runLocal(file, dataset, {
    config: cfg,
    storeRoot,
    onEvent: json
      ? undefined
      : (e) => {
          if (e.type === 'StateEntered') started.set(e.state.name, Date.now());
          if (e.type === 'StateExited' && !caught.has(e.state.name))
            out.log(`  ${c.green('✓')} ${e.state.name.padEnd(12)} ${c.dim(ms(Date.now() - (started.get(e.state.name) ?? Date.now())))}`);
          if (e.type === 'StateRetried') out.log(`  ${c.yellow('↻')} ${e.state.name.padEnd(12)} retrying after a transient error`);
          if (e.type === 'StateCaught') caught.add(e.state.name);
          if (e.type === 'StateCaught') out.log(`  ${c.red('✗')} ${e.state.name.padEnd(12)} failed, handing the file to quarantine`);
        },
  });
  if (!json) report(r, storeRoot, out);
  return r;
}

function report(r: LocalRunResult, storeRoot: string, out: Out): void {
  const m = r.manifest;
  const where = (k?: string) => (k ? safe(relative(process.cwd(), resolve(storeRoot, LOCAL_BUCKETS.lake, k))) : '-');
  if (!m) {
    out.log(`  ${c.red('no manifest written')} (execution ${r.execution})`);
    return;
  }
  const status = m.status === 'succeeded' ? c.green('processed') : c.red(m.status);
  out.log(`  ${status} in ${ms(r.durationMs)} · contract v${m.contractVersion ?? '?'}${m.matchedVersion ? ` (file matches v${m.matchedVersion})` : ''}`);
  out.log(
    `  rows in ${m.counts.rowsIn} · out ${m.counts.rowsOut} · quarantined ${m.counts.rowsQuarantined} · duplicates dropped ${m.counts.rowsDeduplicated} · warned ${m.counts.rowsWarned}`,
  );
  const top = topCounts(m.reasons, 5);
  if (top) out.log(`  top reasons: ${top}`);
  // Warn rules, coerced types, gold sums null past their type (gold.overflow(...)): loaded, but worth a look.
  const warned = topCounts(m.warnings ?? {}, 5);
  if (warned) out.log(`  ${c.yellow('warnings:')} ${warned}`);
  if (m.failure) out.log(`  ${c.red(safe(m.failure.reason))}: ${safe(m.failure.message)}`);
  for (const w of m.schemaChanges?.warnings ?? []) out.log(`  ${c.yellow('schema:')} ${safe(w)}`);
  if (m.outputs.bronze) out.log(`  bronze      ${where(m.outputs.bronze)}`);
  for (const s of m.outputs.silver) out.log(`  silver      ${where(s)}`);
  for (const g of m.outputs.gold) out.log(`  gold        ${where(g)}`);
  if (m.outputs.quarantineRows) out.log(`  quarantine  ${where(m.outputs.quarantineRows)}`);
  if (m.outputs.duplicates) out.log(`  duplicates  ${where(m.outputs.duplicates)}`);
  if (m.outputs.quarantineFile) out.log(`  quarantine  ${where(m.outputs.quarantineFile)}`);
  out.log(`  manifest    ${where(layout.manifest(m.source.dataset, m.source.key))}`);
}

async function cmdOps(command: 'status' | 'reconcile' | 'redrive' | 'replay', args: string[], out: Out): Promise<number> {
  const { values, positionals } = parse(args, {
    stack: { type: 'string' },
    dataset: { type: 'string' },
    since: { type: 'string' },
    from: { type: 'string' },
    to: { type: 'string' },
    prefix: { type: 'string' },
    max: { type: 'string' },
    'run-id': { type: 'string' },
    'dry-run': { type: 'boolean' },
    distributed: { type: 'boolean' },
    json: { type: 'boolean' },
  });
  if (values.help) {
    out.log(OPS_HELP[command]);
    return EXIT.ok;
  }
  const allowed: Record<typeof command, string[]> = {
    status: ['dataset', 'json'],
    reconcile: ['dataset', 'since', 'json'],
    redrive: ['max', 'json'],
    replay: ['dataset', 'from', 'to', 'prefix', 'run-id', 'dry-run', 'distributed', 'json'],
  };
  for (const k of Object.keys(values)) {
    if (!['config', 'env', 'stack', 'help', ...allowed[command]].includes(k))
      throw new UsageError(`${command} does not take --${k} (see pipeline ${command} --help)`);
  }
  if (command !== 'redrive' && positionals.length)
    throw new UsageError(`${command} takes no arguments (got '${positionals.join(' ')}'; see pipeline ${command} --help)`);
  const str = (k: string) => values[k] as string | undefined;
  const common = { stack: str('stack'), dataset: str('dataset'), json: !!values.json };
  // Check what can be checked before talking to AWS.
  const time = (k: string) => parseTime(str(k));
  const cfg = config(values);
  try {
    // The AWS SDK clients load with the command that needs them, not on every start (pipeline run).
    const { reconcile, redriveCmd, replay, status } = await import('./ops/commands');
    switch (command) {
      case 'status':
        return await status(cfg, common, out);
      case 'reconcile':
        return await reconcile(cfg, { ...common, since: time('since') }, out);
      case 'redrive': {
        if (positionals.length !== 1)
          throw new UsageError(`redrive needs one of: ingest, failed, target${positionals.length ? ` (got '${positionals.join(' ')}')` : ''}`);
        const max = str('max') === undefined ? undefined : Number(str('max'));
        if (max !== undefined && !(Number.isInteger(max) && max > 0)) throw new UsageError('--max must be a positive whole number');
        return await redriveCmd(cfg, positionals[0], { stack: common.stack, max, json: common.json }, out);
      }
      case 'replay':
        return await replay(
          cfg,
          {
            ...common,
            from: time('from'),
            to: time('to'),
            fromArg: str('from'),
            toArg: str('to'),
            prefix: str('prefix'),
            runId: str('run-id'),
            dryRun: !!values['dry-run'],
            distributed: !!values.distributed,
          },
          out,
        );
    }
  } catch (e) {
    // An AWS API error after the stack was found: say which call and why, no stack trace.
    const err = e as Error & { $metadata?: { httpStatusCode?: number } };
    if (err?.$metadata && !(e instanceof OpsError)) {
      out.err(`${c.red('error:')} AWS ${err.name}${err.$metadata.httpStatusCode ? ` (HTTP ${err.$metadata.httpStatusCode})` : ''}: ${err.message}`);
      if (/AccessDenied|UnauthorizedOperation|NotAuthorized/i.test(err.name))
        out.err('The credentials in use lack a permission this command needs (see docs/runbook.md, "Operating the pipeline").');
      return EXIT.aws;
    }
    throw e;
  }
}

import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError, DEFAULT_CONFIG, loadConfig, type PipelineConfig } from '../../lib/config';
import { databaseName, lakeTables, workGroupName, type LakeTable } from '../../lib/lake-tables';
import { c } from './format';
import { LOCAL_BUCKETS } from './local-run';
import { athenaQuery } from './query-athena';
import { localQuery, type DtRange } from './query-local';
import { jsonRows, QueryError, renderTable, type QueryResult } from './query-result';
import { findStack, OpsError } from './ops/stack';

export const QUERY_HELP = `pipeline query "<SQL>" [--json] [--store <dir>] [--remote [--stack <name>]] [--tables]

Runs SQL over the lake's tables: one per dataset's silver (named like the
dataset, - as _) and one per gold aggregate (<dataset>_<aggregate>), each with
the contract's columns, typed as the Glue catalog types them, and the date
partition column dt. Files written under an older contract version read too:
columns are matched by name, a column a file lacks is NULL.

  (default)         DuckDB over the local store that 'pipeline run' writes: no AWS
  --store <dir>     local store root (default .pipeline)
  --remote          run the SQL in Athena instead, in the deployed stack's
                    workgroup and Glue database (AWS_ENDPOINT_URL: an emulator)
  --stack <name>    the deployed stack for --remote (default <name>-<env>)
  --json            the rows as a JSON array of objects
  --tables          list the tables and their columns, run nothing
  --config <file>   pipeline config (default ${DEFAULT_CONFIG})
  --env <name>      environment block of the config (default dev)

Values: integers and doubles as numbers, decimals as exact strings, dates
YYYY-MM-DD, timestamps 'YYYY-MM-DD HH:MM:SS.mmm' (UTC), NULL as null.

Examples:
  pipeline run samples/orders && pipeline query "select count(*) as n from orders" --json
  pipeline query "select status, count(*) as n, sum(total) as total from orders group by 1 order by 1"
  pipeline query "select dt, orders, total_amount from orders_orders_by_status where status = 'paid'"
  pipeline query --remote --env prod "select count(*) from sales where dt = date '2026-11-20'"

Exit codes: 0 ok; 2 bad usage or config, unknown table or column, SQL error,
no local store, no stack or no credentials; 3 an AWS call failed unexpectedly.`;

type Out = { log: (s: string) => void; err: (s: string) => void };

/** Dates partition projection sees today: [partitionsFrom, today UTC + partitionsFutureDays]. */
export function projectedRange(config: PipelineConfig, now = new Date()): DtRange {
  const to = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + config.catalog.partitionsFutureDays));
  return { from: config.catalog.partitionsFrom, to: to.toISOString().slice(0, 10) };
}

export async function runQuery(sql: string, config: PipelineConfig, opts: { remote?: boolean; store?: string; stack?: string }): Promise<QueryResult> {
  const tables = lakeTables(config);
  if (opts.remote) {
    const d = await findStack(config, opts.stack);
    return athenaQuery(sql, { workGroup: d.outputs.AthenaWorkGroupName, database: d.outputs.GlueDatabaseName }, tables);
  }
  const root = resolve(opts.store ?? '.pipeline');
  const lake = resolve(root, LOCAL_BUCKETS.lake);
  if (!existsSync(lake))
    throw new QueryError(`no local lake at ${lake}: run 'pipeline run <file>' first, or pass --store <dir> (or --remote for the deployed stack)`);
  return localQuery(
    sql,
    tables.map((table) => ({ table, dir: resolve(lake, table.prefix) })),
    projectedRange(config),
  );
}

function describeTables(tables: LakeTable[], config: PipelineConfig): string {
  const lines = [`database ${databaseName(config)} · workgroup ${workGroupName(config)}`];
  for (const t of tables)
    lines.push(
      '',
      `${c.bold(t.name)}  ${c.dim(`${t.kind} of ${t.dataset}, s3://<lake>/${t.prefix}`)}`,
      ...[...t.columns, { name: 'dt', type: 'date' }].map((col) => `  ${col.name.padEnd(24)} ${col.type}`),
    );
  return lines.join('\n');
}

export async function cmdQuery(args: string[], out: Out): Promise<number> {
  let values: Record<string, string | boolean | undefined>;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: {
        config: { type: 'string' },
        env: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
        json: { type: 'boolean' },
        store: { type: 'string' },
        remote: { type: 'boolean' },
        stack: { type: 'string' },
        tables: { type: 'boolean' },
      },
    }));
  } catch (e) {
    return usage(out, (e as Error).message);
  }
  if (values.help) {
    out.log(QUERY_HELP);
    return 0;
  }
  try {
    const config = loadConfig((values.config as string | undefined) ?? DEFAULT_CONFIG, (values.env as string | undefined) ?? 'dev');
    if (values.tables) {
      out.log(describeTables(lakeTables(config), config));
      return 0;
    }
    if (positionals.length !== 1 || !positionals[0].trim())
      return usage(
        out,
        `query takes one SQL text in quotes${positionals.length > 1 ? ` (got ${positionals.length} arguments: quote the whole statement)` : ''}; tables: ${lakeTables(
          config,
        )
          .map((t) => t.name)
          .join(', ')}`,
      );
    if (values.stack && !values.remote) return usage(out, '--stack goes with --remote');
    if (values.store && values.remote) return usage(out, '--store is for local queries, not --remote');
    const result = await runQuery(positionals[0], config, {
      remote: !!values.remote,
      store: values.store as string | undefined,
      stack: values.stack as string | undefined,
    });
    out.log(values.json ? JSON.stringify(jsonRows(result), null, 2) : renderTable(result));
    return 0;
  } catch (e) {
    if (e instanceof QueryError || e instanceof ConfigError || e instanceof OpsError) {
      out.err(`${c.red('error:')} ${e.message}`);
      return 2;
    }
    const err = e as Error & { $metadata?: { httpStatusCode?: number } };
    if (err?.$metadata) {
      out.err(`${c.red('error:')} AWS ${err.name}${err.$metadata.httpStatusCode ? ` (HTTP ${err.$metadata.httpStatusCode})` : ''}: ${err.message}`);
      return 3;
    }
    throw e;
  }
}

function usage(out: Out, message: string): number {
  out.err(`${c.red('error:')} ${message}`);
  out.err(`Run 'pipeline query --help' for usage.`);
  return 2;
}

import { AthenaClient, GetQueryExecutionCommand, GetQueryResultsCommand, StartQueryExecutionCommand, type ColumnInfo } from '@aws-sdk/client-athena';
import type { LakeTable } from '../../lib/lake-tables';
import { bounded, cellOf, explainEngineError, QueryError, type QueryResult } from './query-result';

/**
 * `pipeline query --remote`: the same SQL through Athena, in the deployed
 * stack's workgroup (whose enforced settings put results under the lake's
 * athena-results/ prefix, encrypted, and cap the bytes scanned) and database.
 */

export interface AthenaTarget {
  workGroup: string;
  database: string;
}

export interface AthenaOptions {
  /** Give up waiting after this long (the query is left to finish). @default 300000 */
  timeoutMs?: number;
  /** First poll interval; doubles up to 2 s. @default 200 */
  pollMs?: number;
}

const typeOf = (c: ColumnInfo) => (c.Type === 'decimal' && c.Precision ? `decimal(${c.Precision},${c.Scale ?? 0})` : (c.Type ?? 'varchar'));

export async function athenaQuery(
  sql: string,
  target: AthenaTarget,
  tables: LakeTable[],
  client = new AthenaClient({}),
  opts: AthenaOptions = {},
): Promise<QueryResult> {
  const started = await client.send(
    new StartQueryExecutionCommand({
      QueryString: sql,
      WorkGroup: target.workGroup,
      QueryExecutionContext: { Database: target.database, Catalog: 'AwsDataCatalog' },
    }),
  );
  const id = started.QueryExecutionId!;
  const deadline = Date.now() + (opts.timeoutMs ?? 300_000);
  let wait = opts.pollMs ?? 200;
  let statementType: string | undefined;
  for (;;) {
    const q = (await client.send(new GetQueryExecutionCommand({ QueryExecutionId: id }))).QueryExecution;
    const state = q?.Status?.State;
    statementType = q?.StatementType;
    if (state === 'SUCCEEDED') break;
    if (state === 'FAILED' || state === 'CANCELLED') {
      const reason = q?.Status?.StateChangeReason ?? q?.Status?.AthenaError?.ErrorMessage ?? state;
      throw explainEngineError(reason, tables, sql) ?? new QueryError(bounded(`Athena query ${id} ${state.toLowerCase()}: ${reason}`));
    }
    if (Date.now() > deadline)
      throw new QueryError(
        `Athena query ${id} still ${state ?? 'pending'} after ${Math.round((opts.timeoutMs ?? 300_000) / 1000)} s; see it in workgroup ${target.workGroup}`,
      );
    await new Promise((r) => setTimeout(r, wait));
    wait = Math.min(wait * 2, 2000);
  }

  const result: QueryResult = { engine: 'athena', columns: [], rows: [] };
  let token: string | undefined;
  let first = true;
  do {
    const page = await client.send(new GetQueryResultsCommand({ QueryExecutionId: id, NextToken: token, MaxResults: 1000 }));
    const info = page.ResultSet?.ResultSetMetadata?.ColumnInfo ?? [];
    if (first) result.columns = info.map((c) => ({ name: c.Name ?? c.Label ?? '', type: typeOf(c) }));
    let rows = page.ResultSet?.Rows ?? [];
    // A SELECT's (DML's) first page starts with the column names as a row.
    if (first && statementType === 'DML') rows = rows.slice(1);
    for (const row of rows) result.rows.push(result.columns.map((c, i) => cellOf(c.type, row.Data?.[i]?.VarCharValue)));
    token = page.NextToken;
    first = false;
  } while (token);
  return result;
}

import { readFileSync } from 'node:fs';
import { FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { GetFunctionConfigurationCommand, InvokeCommand, ListFunctionsCommand } from '@aws-sdk/client-lambda';
import { describe, expect, it } from 'vitest';
import { lambda, logs, stackFunctionName, waitFor } from './helpers';

// The Lambdas run nodejs24.x; the emulator's workers must run the same pinned Node,
// or the emulator tier tests the handlers on a runtime they never run on.
const pinned = `v${JSON.parse(readFileSync('package.json', 'utf8')).devDependencies.node}`;

describe('runtime', () => {
  it('the emulator runs the Lambda handlers on the pinned Node', async () => {
    const fns = (await lambda.send(new ListFunctionsCommand({}))).Functions ?? [];
    expect(fns.length).toBeGreaterThanOrEqual(5);
    for (const f of fns) expect(f.Runtime, f.FunctionName).toBe('nodejs24.x');
    const name = await stackFunctionName('MonitoringFreshnessChecker');
    const logGroup = (await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: name }))).LoggingConfig?.LogGroup ?? `/aws/lambda/${name}`;
    const since = Date.now() - 1000;
    await lambda.send(new InvokeCommand({ FunctionName: name }));
    const versions = await waitFor(
      'a log line with nodeVersion from the invocation',
      async () => {
        const r = await logs.send(new FilterLogEventsCommand({ logGroupName: logGroup, startTime: since }));
        const seen = (r.events ?? []).flatMap((e) => {
          try {
            const v = JSON.parse(e.message ?? '').nodeVersion;
            return typeof v === 'string' ? [v] : [];
          } catch {
            return [];
          }
        });
        return seen.length ? seen : undefined;
      },
      30_000,
      500,
    );
    console.log(`[e2e] Lambda workers run node ${[...new Set(versions)].join(', ')} (pinned ${pinned})`);
    expect(new Set(versions)).toEqual(new Set([pinned]));
  });
});

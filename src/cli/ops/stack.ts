import type { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import type { PipelineConfig } from '../../../lib/config';
import { OUTPUTS } from '../../../lib/outputs';

/** A failure the user can fix (no stack, no credentials): exit code 2, no stack trace. */
export class OpsError extends Error {
  override readonly name = 'OpsError';
}

export type StackOutputs = Record<(typeof OUTPUTS)[keyof typeof OUTPUTS], string>;

export interface Deployed {
  stackName: string;
  outputs: StackOutputs;
  /** Alarm names start with this (`<name>-<env>-`). */
  alarmPrefix: string;
}

/** Find the deployed stack's outputs by name: the CLI never needs hand-copied ARNs. */
export async function findStack(config: PipelineConfig, stackName = `${config.name}-${config.envName}`, client?: CloudFormationClient): Promise<Deployed> {
  // Loaded here, not at start-up: `pipeline run` never talks to CloudFormation.
  const { CloudFormationClient, DescribeStacksCommand } = await import('@aws-sdk/client-cloudformation');
  const cfn = client ?? new CloudFormationClient({});
  let outputs: Record<string, string>;
  try {
    const r = await cfn.send(new DescribeStacksCommand({ StackName: stackName }));
    const stack = r.Stacks?.[0];
    if (!stack) throw new OpsError(`stack ${stackName} not found`);
    outputs = Object.fromEntries((stack.Outputs ?? []).map((o) => [o.OutputKey!, o.OutputValue!]));
  } catch (e) {
    if (e instanceof OpsError) throw e;
    const err = e as Error;
    if (/does not exist/i.test(err.message)) {
      throw new OpsError(
        `stack ${stackName} does not exist in this account/region. Deploy it (npx cdk deploy -c env=${config.envName}) or pass --stack / --env.`,
      );
    }
    if (/Region is missing/i.test(err.message)) {
      throw new OpsError('no AWS region configured: set AWS_REGION (or a profile with a region); for an emulator also AWS_ENDPOINT_URL.');
    }
    if (/credential|Could not load|security token|ExpiredToken|UnrecognizedClient/i.test(`${err.name} ${err.message}`)) {
      throw new OpsError(
        `no usable AWS credentials (${err.message}). Set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, and AWS_REGION; for an emulator also AWS_ENDPOINT_URL.`,
      );
    }
    if (/ECONNREFUSED|ENOTFOUND|getaddrinfo/i.test(err.message)) {
      throw new OpsError(
        `cannot reach the AWS endpoint (${err.message})${process.env.AWS_ENDPOINT_URL ? `: is the emulator at ${process.env.AWS_ENDPOINT_URL} running? (npm run emulator:start)` : ''}`,
      );
    }
    throw new OpsError(`cannot describe stack ${stackName}: ${err.name}: ${err.message}`);
  }
  const missing = Object.values(OUTPUTS).filter((k) => !outputs[k]);
  if (missing.length) throw new OpsError(`stack ${stackName} lacks outputs ${missing.join(', ')}: is it a landing-to-lake stack of this version? Redeploy it.`);
  return { stackName, outputs: outputs as StackOutputs, alarmPrefix: `${config.name}-${config.envName}-` };
}

export function requireDataset(config: PipelineConfig, dataset: string | undefined): string[] {
  const all = config.datasets.map((d) => d.name);
  if (!dataset) return all;
  if (!all.includes(dataset)) throw new OpsError(`unknown dataset '${dataset}' (configured: ${all.join(', ')})`);
  return [dataset];
}

/** Parse --since/--from/--to: ISO dates/times or relative ages like 24h, 7d, 30m. */
export function parseTime(value: string | undefined, now = new Date()): Date | undefined {
  if (!value) return undefined;
  const rel = /^(\d+)\s*([mhd])$/.exec(value.trim());
  if (rel) return new Date(now.getTime() - Number(rel[1]) * { m: 60_000, h: 3_600_000, d: 86_400_000 }[rel[2] as 'm' | 'h' | 'd']);
  const t = new Date(value);
  if (Number.isNaN(t.getTime())) throw new OpsError(`cannot read time '${value}': use ISO 8601 (2026-11-20, 2026-11-20T10:00:00Z) or an age (30m, 24h, 7d)`);
  return t;
}

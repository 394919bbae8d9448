import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Stack } from 'aws-cdk-lib';
import type { PipelineConfig } from '../../lib/config';

/**
 * The state machine definition exactly as the CDK app synthesizes it (not a
 * hand-kept copy). CloudFormation references inside it (function ARNs, queue
 * URLs) become local placeholders; the local runner replaces those tasks with
 * in-process handlers by state name anyway.
 *
 * Synthesizing means loading aws-cdk-lib (seconds), so `pipeline run` reads the
 * definition from a cache on disk instead, keyed by everything that can change
 * it: the resolved config (contracts included), the sources of lib/ and of this
 * file, and the aws-cdk-lib (and validator) versions. A miss synthesizes and writes the entry.
 */
export async function synthesizeDefinition(config: PipelineConfig): Promise<Record<string, unknown>> {
  // Loaded on demand (a cache miss): aws-cdk-lib is most of the CLI's start-up otherwise.
  const { App, CfnElement } = await import('aws-cdk-lib');
  const { PipelineStack } = await import('../../lib/pipeline-stack');
  // Skip esbuild: the local run imports handlers directly, no bundles needed.
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new PipelineStack(app, `${config.name}-local`, { config, env: { account: '000000000000', region: 'local-1' } });
  const cfn = stack.orchestration.stateMachine.node.defaultChild as import('aws-cdk-lib/aws-stepfunctions').CfnStateMachine;
  const resolved = stack.resolve(cfn.definitionString) as unknown;
  const byLogicalId = (id: string) => stack.node.findAll().find((c) => c instanceof CfnElement && stack.getLogicalId(c) === id);
  return JSON.parse(flatten(resolved, stack, byLogicalId));
}

function flatten(value: unknown, stack: Stack, byLogicalId: (id: string) => { node: { path: string } } | undefined): string {
  if (typeof value === 'string') return value;
  const v = value as Record<string, unknown>;
  if (Array.isArray(v?.['Fn::Join'])) {
    const [sep, parts] = v['Fn::Join'] as [string, unknown[]];
    return parts.map((p) => flatten(p, stack, byLogicalId)).join(sep);
  }
  if (Array.isArray(v?.['Fn::GetAtt'])) {
    const [logicalId] = v['Fn::GetAtt'] as [string];
    return `arn:aws:lambda:local-1:000000000000:function:${logicalId}`;
  }
  if (typeof v?.Ref === 'string') return `local://${byLogicalId(v.Ref)?.node.path ?? v.Ref}`;
  return JSON.stringify(value).replace(/"/g, '');
}

const ROOT = join(__dirname, '..', '..');

/** Default cache directory (per checkout, next to the other tools' caches). */
export const DEFINITION_CACHE = join(ROOT, 'node_modules', '.cache', 'landing-to-lake', 'asl');

function sourcesOf(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => join(e.parentPath, e.name))
    .sort();
}

/** The cache key: a hash of every input of synthesizeDefinition. */
export function definitionKey(config: PipelineConfig): string {
  const h = createHash('sha256');
  // Where the config was read from does not change the definition; what it says does.
  const { configFile: _file, ...rest } = config;
  h.update(JSON.stringify({ ...rest, datasets: rest.datasets.map(({ contractFile: _c, ...d }) => d) }));
  for (const f of [...sourcesOf(join(ROOT, 'lib')), __filename]) h.update('\0').update(f.slice(ROOT.length)).update('\0').update(readFileSync(f));
  // The validator too: an entry is marked validated by the aws-local-stepfunctions that checked it.
  for (const dep of ['aws-cdk-lib', 'aws-local-stepfunctions'])
    h.update(`\0${dep}@`).update(JSON.parse(readFileSync(join(ROOT, 'node_modules', dep, 'package.json'), 'utf8')).version);
  return h.digest('hex').slice(0, 32);
}

export interface CachedDefinition {
  definition: Record<string, unknown>;
  /** The entry's definition passed aws-local-stepfunctions' validation when it was written. */
  validated: boolean;
  hit: boolean;
}

/**
 * The definition for this config, from the cache or synthesized. `validate`
 * runs on a miss (it throws on an invalid definition, which is then not cached).
 */
export async function cachedDefinition(
  config: PipelineConfig,
  validate: (definition: Record<string, unknown>) => void,
  dir = DEFINITION_CACHE,
): Promise<CachedDefinition> {
  const file = join(dir, `${definitionKey(config)}.json`);
  try {
    const entry = JSON.parse(readFileSync(file, 'utf8')) as { definition: Record<string, unknown>; validated: boolean };
    if (entry.validated && entry.definition) return { ...entry, hit: true };
  } catch {
    // missing or unreadable: synthesize
  }
  const definition = await synthesizeDefinition(config);
  validate(definition);
  try {
    mkdirSync(dir, { recursive: true });
    // Write then rename: a concurrent run never reads half an entry.
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify({ definition, validated: true }));
    renameSync(tmp, file);
  } catch {
    // A read-only checkout still runs, just without the cache.
  }
  return { definition, validated: true, hit: false };
}

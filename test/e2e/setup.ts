import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { e2eEnv, ENDPOINT, STACK } from './env';

interface EmulatorInfo {
  name: 'ministack' | 'localstack' | 'other';
  version: string;
}

/** MiniStack answers /_ministack/health; LocalStack /_localstack/info (with its version). */
async function detect(): Promise<EmulatorInfo | undefined> {
  const json = (path: string): Promise<{ version?: string } | undefined> =>
    fetch(`${ENDPOINT}${path}`)
      .then((r) => (r.ok ? (r.json() as Promise<{ version?: string }>) : undefined))
      .catch(() => undefined);
  const mini = await json('/_ministack/health');
  if (mini) return { name: 'ministack', version: String(mini.version ?? 'unknown') };
  const ls = await json('/_localstack/info');
  if (ls) return { name: 'localstack', version: String(ls.version ?? 'unknown') };
  const plain = await fetch(ENDPOINT).catch(() => undefined);
  return plain ? { name: 'other', version: 'unknown' } : undefined;
}

/**
 * Global setup of the emulator tier: check the endpoint, reset it when it is
 * MiniStack, and deploy the real CDK app with cdklocal (test config).
 */
export default async function setup(project: TestProject) {
  const emulator = await detect();
  if (!emulator) {
    throw new Error(
      `No AWS emulator at ${ENDPOINT}. Start one with 'npm run emulator:start' (MiniStack) or 'EMULATOR=localstack npm run emulator:start' (LocalStack).`,
    );
  }
  console.log(`[e2e] emulator: ${emulator.name} ${emulator.version} at ${ENDPOINT}`);
  if (emulator.name === 'ministack' && process.env.E2E_RESET !== '0') await fetch(`${ENDPOINT}/_ministack/reset`, { method: 'POST' });

  mkdirSync('.emulator', { recursive: true });
  const outputsFile = join('.emulator', `e2e-outputs-${new URL(ENDPOINT).port || 'default'}.json`);
  const env = e2eEnv();
  const cdk = (args: string[]) =>
    execFileSync('npx', ['cdklocal', ...args, '-c', 'config=test/e2e/pipeline.e2e.json', '-c', 'env=test', '-c', 'nag=off'], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
      encoding: 'utf8',
      maxBuffer: 1 << 26,
    });
  const t0 = Date.now();
  cdk(['bootstrap', 'aws://000000000000/us-east-1']);
  const t1 = Date.now();
  cdk(['deploy', STACK, '--require-approval', 'never', '--outputs-file', outputsFile]);
  const t2 = Date.now();
  console.log(`[e2e] bootstrap ${((t1 - t0) / 1000).toFixed(1)} s, deploy ${((t2 - t1) / 1000).toFixed(1)} s against ${ENDPOINT}`);
  const outputs = JSON.parse(readFileSync(outputsFile, 'utf8'))[STACK] as Record<string, string>;
  project.provide('outputs', outputs);
  project.provide('emulator', emulator.name);
}

declare module 'vitest' {
  export interface ProvidedContext {
    outputs: Record<string, string>;
    /** 'ministack', 'localstack' or 'other': for the few services one emulator lacks entirely (README gap table). */
    emulator: string;
  }
}

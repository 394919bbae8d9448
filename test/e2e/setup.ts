import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { e2eEnv, ENDPOINT, STACK } from './env';

/**
 * Global setup of the emulator tier: check the endpoint, reset it when it is
 * MiniStack, and deploy the real CDK app with cdklocal (test config).
 */
export default async function setup(project: TestProject) {
  const health = await fetch(`${ENDPOINT}/_ministack/health`).catch(() => undefined);
  const plain = health ? undefined : await fetch(ENDPOINT).catch(() => undefined);
  if (!health && !plain) {
    throw new Error(`No AWS emulator at ${ENDPOINT}. Start one with 'npm run emulator:start' (MiniStack) or point AWS_ENDPOINT_URL at LocalStack.`);
  }
  if (health?.ok && process.env.E2E_RESET !== '0') await fetch(`${ENDPOINT}/_ministack/reset`, { method: 'POST' });

  mkdirSync('.emulator', { recursive: true });
  const outputsFile = join('.emulator', 'e2e-outputs.json');
  const env = e2eEnv();
  const cdk = (args: string[]) => execFileSync('npx', ['cdklocal', ...args, '-c', 'config=test/e2e/pipeline.e2e.json', '-c', 'env=test', '-c', 'nag=off'], { env, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', maxBuffer: 1 << 26 });
  const t0 = Date.now();
  cdk(['bootstrap', 'aws://000000000000/us-east-1']);
  const t1 = Date.now();
  cdk(['deploy', STACK, '--require-approval', 'never', '--outputs-file', outputsFile]);
  const t2 = Date.now();
  console.log(`[e2e] bootstrap ${((t1 - t0) / 1000).toFixed(1)} s, deploy ${((t2 - t1) / 1000).toFixed(1)} s against ${ENDPOINT}`);
  const outputs = JSON.parse(readFileSync(outputsFile, 'utf8'))[STACK] as Record<string, string>;
  project.provide('outputs', outputs);
}

declare module 'vitest' {
  export interface ProvidedContext {
    outputs: Record<string, string>;
  }
}

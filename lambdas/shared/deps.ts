import { existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseContract } from '../core/contract/load';
import { registryOf, type Contract, type ContractRegistry } from '../core/contract/contract';
import { DataError } from '../core/base/errors';
import type { ObjectStore } from '../core/lake/store';
import type { Handler } from '../handlers/state';
import { tuneHeap } from './heap';
import { createTelemetry, type Telemetry } from './telemetry';

/** Everything a stage handler needs from the outside world, injected. */
export interface StageDeps extends Telemetry {
  store: ObjectStore;
  contracts: ContractRegistry;
  lakeBucket: string;
  /** Scratch space for Parquet files before upload. */
  workRoot: string;
  now: () => Date;
  /** Test-only fault switch: see faults.ts. Off unless the stack sets PIPELINE_FAULT_INJECTION=on. */
  faultInjection: boolean;
}

// Injected at bundle time by esbuild `define` (lib/stage-function.ts): the
// contracts ship with the code they were validated against at synth. A
// pre-built bundle (the published package) has them in contracts.json beside it.
declare const __PIPELINE_CONTRACTS__: unknown[] | undefined;

function shippedContracts(): unknown[] {
  if (typeof __PIPELINE_CONTRACTS__ !== 'undefined') return __PIPELINE_CONTRACTS__;
  const beside = join(__dirname, 'contracts.json');
  if (existsSync(beside)) return JSON.parse(readFileSync(beside, 'utf8'));
  return JSON.parse(process.env.PIPELINE_CONTRACTS ?? '[]');
}

export function bundledContracts(): ContractRegistry {
  const raw = shippedContracts();
  return registryOf((raw as unknown[]).map((c, i) => parseContract(c, `bundled contract #${i}`)));
}

/** The dataset's contract, or the file-level error every stage reports when it has none. */
export function requireContract(deps: Pick<StageDeps, 'contracts'>, dataset: string, key: string): Contract {
  const contract = deps.contracts.get(dataset);
  if (!contract)
    throw new DataError(
      'contract.unknown_dataset',
      `no contract for dataset ${dataset}`,
      { dataset, key },
      `Add config/contracts/${dataset}.json and redeploy, then replay the file`,
    );
  return contract;
}

function required(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`environment variable ${name} is not set; the function was deployed without pipeline configuration`);
  return v;
}

let cached: StageDeps | undefined;

/** Lambda wiring: S3 store, bundled contracts, Powertools, heap tuning (heap.ts). Built once per container. */
export async function lambdaDeps(): Promise<StageDeps> {
  if (cached) return cached;
  tuneHeap();
  const { S3ObjectStore } = await import('./s3-store');
  cached = {
    ...createTelemetry(),
    store: new S3ObjectStore(),
    contracts: bundledContracts(),
    lakeBucket: required('LAKE_BUCKET'),
    workRoot: tmpdir(),
    now: () => new Date(),
    faultInjection: process.env.PIPELINE_FAULT_INJECTION === 'on',
  };
  return cached;
}

/** A stage's Lambda entry: its factory over the process's deps, with their logger for `lazy`. */
export function stageEntry<I, O>(make: (deps: StageDeps) => Handler<I, O>): () => Promise<{ handle: Handler<I, O>; logger: StageDeps['logger'] }> {
  return async () => {
    const deps = await lambdaDeps();
    return { handle: make(deps), logger: deps.logger };
  };
}

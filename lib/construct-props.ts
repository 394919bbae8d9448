import { resolve } from 'node:path';
import type { z } from 'zod';
import { parseContract } from '../lambdas/core/contract/load';
import type { Contract } from '../lambdas/core/contract/contract';
import { ConfigError, pipelineConfigSchema, readContractFile, type PipelineConfig } from './config';

/**
 * The LandingToLake construct's dataset and settings props, and their
 * resolution into the same PipelineConfig config/pipeline.json resolves to
 * (one schema, one set of defaults: lib/config.ts).
 */

export interface DatasetDefinition {
  /**
   * The data contract: an object shaped like config/contracts/*.json, or the
   * path of such a file (relative to the working directory). The dataset is
   * named by the contract's `dataset`.
   */
  readonly contract: Contract | Record<string, unknown> | string;
  /** Alarm when no file of this dataset has loaded for this long. */
  readonly freshnessSlaMinutes: number;
  /**
   * Key suffixes under landing/<dataset>/ routed to the pipeline; other keys are ignored.
   * @default ['.csv']
   */
  readonly suffixes?: string[];
  /**
   * File-name glob (`*`, `?`) that tells `pipeline run` a local file belongs to this dataset.
   * @default none
   */
  readonly filePattern?: string;
}

/**
 * Everything config/pipeline.json holds besides its datasets, with the same
 * defaults (documented in lib/config.ts): name, metricsNamespace, alarmEmails,
 * alarmSubscriptions, ingest, stages, concurrency, alarms, retention, catalog.
 */
export type PipelineSettings = Readonly<Omit<z.input<typeof pipelineConfigSchema>, 'datasets' | 'environments' | '$schema'>>;

export interface PipelineResolveProps {
  readonly datasets: readonly DatasetDefinition[];
  /** @default the config file's defaults */
  readonly settings?: PipelineSettings;
  /**
   * Environment name: part of alarm, log group, workgroup and database names.
   * @default 'dev'
   */
  readonly environment?: string;
  /**
   * What deleting the stack does to buckets, log groups and keys.
   * @default 'retain' when environment is 'prod', else 'destroy'
   */
  readonly removal?: 'retain' | 'destroy';
  /** @default settings.retention.logDays (30) */
  readonly logRetentionDays?: number;
  /**
   * Test-only fault switch for the stage functions (lambdas/shared/faults.ts).
   * @default false
   */
  readonly faultInjection?: boolean;
}

const where = '(LandingToLake props)';

/** Props -> the resolved configuration the pipeline's constructs are built from. */
export function resolvePipelineConfig(props: PipelineResolveProps): PipelineConfig {
  if (props.datasets.length === 0) throw new ConfigError(`Invalid pipeline ${where}: datasets: give at least one dataset`);
  const contracts = props.datasets.map((d, i) => contractOf(d.contract, i));
  const parsed = pipelineConfigSchema.safeParse({
    ...props.settings,
    datasets: props.datasets.map((d, i) => ({
      name: contracts[i].contract.dataset,
      freshnessSlaMinutes: d.freshnessSlaMinutes,
      contract: contracts[i].file,
      ...(d.suffixes ? { suffixes: d.suffixes } : {}),
      ...(d.filePattern ? { filePattern: d.filePattern } : {}),
    })),
  });
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  - ${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new ConfigError(`Invalid pipeline ${where}:\n${lines.join('\n')}`);
  }
  const { datasets, environments: _unused, $schema: _schema, ...rest } = parsed.data;
  const names = new Set<string>();
  for (const d of datasets) {
    if (names.has(d.name)) throw new ConfigError(`Invalid pipeline ${where}: dataset ${d.name} is declared twice`);
    names.add(d.name);
  }
  const envName = props.environment ?? 'dev';
  return {
    ...rest,
    envName,
    removal: props.removal ?? (envName === 'prod' ? 'retain' : 'destroy'),
    logRetentionDays: props.logRetentionDays ?? rest.retention.logDays,
    faultInjection: props.faultInjection ?? false,
    datasets: datasets.map((d, i) => ({ ...d, contract: contracts[i].contract, contractFile: contracts[i].file })),
    configFile: where,
  };
}

function contractOf(given: DatasetDefinition['contract'], i: number): { contract: Contract; file: string } {
  if (typeof given === 'string') {
    const file = resolve(given);
    return { contract: readContractFile(file, `#${i}`), file };
  }
  try {
    const contract = parseContract(given, `datasets[${i}].contract`);
    return { contract, file: `datasets[${i}].contract` };
  } catch (e) {
    throw new ConfigError((e as Error).message);
  }
}

/** A config loaded from a file (loadConfig) as construct props: what the reference app does. */
export function propsFromConfig(config: PipelineConfig): PipelineResolveProps {
  const { datasets, envName, removal, logRetentionDays, faultInjection, configFile: _file, ...settings } = config;
  return {
    datasets: datasets.map((d) => ({ contract: d.contract, freshnessSlaMinutes: d.freshnessSlaMinutes, suffixes: d.suffixes, filePattern: d.filePattern })),
    settings,
    environment: envName,
    removal,
    logRetentionDays,
    faultInjection,
  };
}

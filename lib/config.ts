import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import { parseContract } from '../lambdas/core/contract/load';
import type { Contract } from '../lambdas/core/contract/contract';
import { CODECS, DEFAULT_CODEC } from '../lambdas/core/parquet/compress';

/**
 * The pipeline configuration: one JSON file (config/pipeline.json by default)
 * naming the datasets, their contracts and SLAs, and who gets paged. Validated
 * on load; every error names the file and the path to fix.
 */

const datasetSchema = z.strictObject({
  name: z.string().regex(/^[a-z][a-z0-9_-]{0,62}$/, 'lower-case letters, digits, - and _ (it becomes an S3 prefix and a metric dimension)'),
  /** Key suffixes routed to the pipeline; others under the prefix are ignored. */
  suffixes: z.array(z.string().min(1)).min(1).default(['.csv']),
  /** Alarm when no file has loaded for this long. */
  freshnessSlaMinutes: z.number().int().positive(),
  /** Contract file, relative to the config file. */
  contract: z.string(),
  /** File-name glob (`*` and `?`) that tells `pipeline run` a local file belongs to this dataset, e.g. `orders_*.csv`. */
  filePattern: z.string().min(1).optional(),
});

const envSchema = z.strictObject({
  /** retain keeps buckets, logs and keys on stack deletion; destroy removes them (empty buckets only). */
  removal: z.enum(['retain', 'destroy']).optional(),
  alarmEmails: z.array(z.email()).optional(),
  logRetentionDays: z.number().int().positive().optional(),
  faultInjection: z.boolean().optional(),
});

export const pipelineConfigSchema = z.strictObject({
  $schema: z.string().optional(),
  /** Prefix of every resource name and the Powertools service name. */
  name: z
    .string()
    .regex(/^[a-z][a-z0-9-]{1,30}$/)
    .default('landing-to-lake'),
  metricsNamespace: z.string().min(1).default('LandingToLake'),
  alarmEmails: z.array(z.email()).default([]),
  /** Extra alarm subscribers. */
  alarmSubscriptions: z.array(z.strictObject({ protocol: z.enum(['https', 'sqs']), endpoint: z.string().min(1) })).default([]),
  ingest: z
    .strictObject({
      maxReceiveCount: z.number().int().min(1).max(100).default(5),
      batchSize: z.number().int().min(1).max(10).default(10),
      /** Age of the oldest ingest message that pages someone. */
      maxMessageAgeSeconds: z.number().int().positive().default(900),
      /** Age of the oldest failed-file message that warns someone (nobody worked the failed queue). */
      maxFailedAgeHours: z.number().int().min(1).max(300).default(72),
      /** Dispatcher timeout; the ingest queue's visibility timeout is 6x this. */
      dispatchTimeoutSeconds: z.number().int().min(3).max(900).default(30),
    })
    .default({ maxReceiveCount: 5, batchSize: 10, maxMessageAgeSeconds: 900, maxFailedAgeHours: 72, dispatchTimeoutSeconds: 30 }),
  stages: z
    .strictObject({
      memoryMb: z.number().int().min(256).max(10240).default(2048),
      timeoutSeconds: z.number().int().min(30).max(900).default(600),
      ephemeralStorageMb: z.number().int().min(512).max(10240).default(4096),
    })
    .default({ memoryMb: 2048, timeoutSeconds: 600, ephemeralStorageMb: 4096 }),
  /**
   * Back-pressure. Reserved concurrency caps a stage (so a burst or a backfill
   * cannot take the whole account's Lambda concurrency from other workloads)
   * and guarantees it that much; 0 leaves a stage unreserved (accounts with a
   * low concurrency quota cannot reserve any). A throttled invocation is
   * retried for tens of minutes, not quarantined.
   */
  concurrency: z
    .strictObject({
      reserved: z
        .strictObject({
          validate: z.number().int().min(0).default(0),
          transform: z.number().int().min(0).default(50),
          publish: z.number().int().min(0).default(20),
          quarantine: z.number().int().min(0).default(5),
        })
        .default({ validate: 0, transform: 50, publish: 20, quarantine: 5 }),
      /** Dispatcher invocations at once (SQS event source maximum concurrency, 2-1000). */
      dispatchers: z.number().int().min(2).max(1000).default(5),
      /** File executions a replay keeps running at once (it waits for each, .sync:2). */
      replayFiles: z.number().int().min(1).max(10000).default(20),
    })
    .default({ reserved: { validate: 0, transform: 50, publish: 20, quarantine: 5 }, dispatchers: 5, replayFiles: 20 }),
  alarms: z
    .strictObject({
      errorRate: z.number().min(0).max(1).default(0.05),
      quarantineRatio: z.number().min(0).max(1).default(0.1),
      freshnessCheckMinutes: z.number().int().min(1).max(60).default(5),
    })
    .default({ errorRate: 0.05, quarantineRatio: 0.1, freshnessCheckMinutes: 5 }),
  retention: z
    .strictObject({
      logDays: z.number().int().positive().default(30),
      landingDays: z.number().int().positive().default(90),
      quarantineDays: z.number().int().positive().default(180),
    })
    .default({ logDays: 30, landingDays: 90, quarantineDays: 180 }),
  /** Glue Data Catalog and Athena (lib/catalog.ts, `pipeline query`). */
  catalog: z
    .strictObject({
      /** Glue database. @default `<name>_<env>` with `-` as `_` */
      database: z
        .string()
        .regex(/^[a-z][a-z0-9_]{0,254}$/, 'lower-case letters, digits and _ (a Glue database name)')
        .optional(),
      /** Athena stops (and bills no further than) a query scanning more than this. Athena's minimum is 10 MB. */
      bytesScannedCutoffMb: z.number().int().min(10).default(10240),
      /** Athena query results under athena-results/ in the lake bucket expire after this. */
      resultsDays: z.number().int().positive().default(7),
      /** First dt partition Athena's partition projection sees (older dt= folders are not read). */
      partitionsFrom: z.iso.date().default('2000-01-01'),
      /** Days past today (UTC) partition projection still sees (future-dated partitionBy values). */
      partitionsFutureDays: z.number().int().min(0).max(3650).default(1),
    })
    .default({ bytesScannedCutoffMb: 10240, resultsDays: 7, partitionsFrom: '2000-01-01', partitionsFutureDays: 1 }),
  /** Silver and gold Parquet: the page compression of datasets whose contract names none. */
  parquet: z.strictObject({ compression: z.enum(CODECS).default(DEFAULT_CODEC) }).default({ compression: DEFAULT_CODEC }),
  datasets: z.array(datasetSchema).min(1),
  environments: z.record(z.string(), envSchema).default({}),
});

export type DatasetConfig = Omit<z.output<typeof datasetSchema>, 'contract'> & { contract: Contract; contractFile: string };

export interface PipelineConfig extends Omit<z.output<typeof pipelineConfigSchema>, 'datasets' | 'environments'> {
  envName: string;
  removal: 'retain' | 'destroy';
  logRetentionDays: number;
  faultInjection: boolean;
  datasets: DatasetConfig[];
  configFile: string;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

export const DEFAULT_CONFIG = 'config/pipeline.json';

/** Load, validate and resolve the config for one environment (dev, test, prod, ...). */
export function loadConfig(file = DEFAULT_CONFIG, envName = 'dev'): PipelineConfig {
  const path = resolve(file);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new ConfigError(`Cannot read pipeline config ${path}: ${(e as Error).message}`);
  }
  const parsed = pipelineConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  - ${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new ConfigError(`Invalid pipeline config ${path}:\n${lines.join('\n')}`);
  }
  const { datasets, environments, ...rest } = parsed.data;
  const env = environments[envName] ?? {};
  const names = new Set<string>();
  const resolved = datasets.map((d) => {
    if (names.has(d.name)) throw new ConfigError(`Invalid pipeline config ${path}: dataset ${d.name} is declared twice`);
    names.add(d.name);
    const contractFile = resolve(dirname(path), d.contract);
    const contract = readContractFile(contractFile, d.name);
    if (contract.dataset !== d.name) throw new ConfigError(`Dataset ${d.name}: contract ${contractFile} is for dataset ${contract.dataset}`);
    return { ...d, contract: { ...contract, compression: contract.compression ?? rest.parquet.compression }, contractFile };
  });
  return {
    ...rest,
    alarmEmails: env.alarmEmails ?? rest.alarmEmails,
    envName,
    removal: env.removal ?? (envName === 'prod' ? 'retain' : 'destroy'),
    logRetentionDays: env.logRetentionDays ?? rest.retention.logDays,
    faultInjection: env.faultInjection ?? false,
    datasets: resolved,
    configFile: path,
  };
}

/** Read and check one contract file; `dataset` names the dataset in a read error. */
export function readContractFile(contractFile: string, dataset = 'contract'): Contract {
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(contractFile, 'utf8'));
  } catch (e) {
    throw new ConfigError(`Dataset ${dataset}: cannot read contract ${contractFile}: ${(e as Error).message}`);
  }
  try {
    return parseContract(doc, contractFile);
  } catch (e) {
    throw new ConfigError((e as Error).message);
  }
}

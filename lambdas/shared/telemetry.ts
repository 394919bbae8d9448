import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';

/**
 * Powertools created once per process and injected into handlers. The
 * namespace and service come from the function's environment, set by the CDK
 * construct from the pipeline config.
 */

export type Stage = 'dispatch' | 'validate' | 'transform' | 'publish' | 'quarantine' | 'freshness';

export const METRIC = {
  FilesProcessed: 'FilesProcessed',
  FilesFailed: 'FilesFailed',
  FilesQuarantined: 'FilesQuarantined',
  FilesIgnored: 'FilesIgnored',
  ExecutionsStarted: 'ExecutionsStarted',
  DuplicateEvents: 'DuplicateEvents',
  RowsIn: 'RowsIn',
  RowsOut: 'RowsOut',
  RowsQuarantined: 'RowsQuarantined',
  RowsDeduplicated: 'RowsDeduplicated',
  StageDurationMs: 'StageDurationMs',
  MinutesSinceLastSuccess: 'MinutesSinceLastSuccess',
  /** Gold sums (aggregate, measure, partition) a Publish wrote or found null: past their type over several files. */
  GoldNullSums: 'GoldNullSums',
} as const;

export const DEFAULT_NAMESPACE = 'LandingToLake';
export const DEFAULT_SERVICE = 'landing-to-lake';

export interface Telemetry {
  logger: Logger;
  metrics: Metrics;
}

export function createTelemetry(opts: { silent?: boolean } = {}): Telemetry {
  const serviceName = process.env.POWERTOOLS_SERVICE_NAME ?? DEFAULT_SERVICE;
  // nodeVersion on every line: a runtime upgrade shows in the logs, and the emulator
  // tier checks from them that its Lambda workers run the project's pinned Node.
  const logger = new Logger({
    serviceName,
    logLevel: opts.silent ? 'SILENT' : ((process.env.POWERTOOLS_LOG_LEVEL as 'INFO' | undefined) ?? 'INFO'),
    persistentKeys: { nodeVersion: process.version },
  });
  // Local runs report through the manifest; EMF lines on a terminal are noise.
  if (opts.silent) process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  const metrics = new Metrics({ namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? DEFAULT_NAMESPACE, serviceName });
  return { logger, metrics };
}

/**
 * Emit one stage's metrics with the {service, dataset, stage} dimension set the
 * alarms watch, and publish immediately so a later failure cannot lose them.
 */
export function emitStageMetrics(t: Telemetry, dataset: string, stage: Stage, values: Partial<Record<keyof typeof METRIC, number>>): void {
  t.metrics.addDimensions({ dataset, stage });
  for (const [name, value] of Object.entries(values)) {
    if (value === undefined) continue;
    t.metrics.addMetric(name, name.endsWith('Ms') ? MetricUnit.Milliseconds : MetricUnit.Count, value);
  }
  t.metrics.publishStoredMetrics();
}

import { Duration } from 'aws-cdk-lib';
import * as cw from 'aws-cdk-lib/aws-cloudwatch';
import type { METRIC, Stage } from '../../lambdas/shared/telemetry';
import type { PipelineConfig } from '../config';

/**
 * The pipeline's own (EMF) metrics, exactly as lambdas/shared/telemetry.ts
 * emits them: namespace config.metricsNamespace, dimensions {service, dataset,
 * stage}. test/unit/emf-contract.test.ts proves every alarm on these matches
 * what the handlers print.
 */
export function pipelineMetric(
  config: PipelineConfig,
  name: keyof typeof METRIC,
  dataset: string,
  stage: Stage,
  opts: { statistic?: string; period?: Duration; label?: string } = {},
): cw.Metric {
  return new cw.Metric({
    namespace: config.metricsNamespace,
    metricName: name,
    dimensionsMap: { service: config.name, dataset, stage },
    statistic: opts.statistic ?? cw.Stats.SUM,
    period: opts.period ?? Duration.minutes(5),
    label: opts.label,
  });
}

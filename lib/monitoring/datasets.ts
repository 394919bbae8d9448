import { Duration } from 'aws-cdk-lib';
import * as cw from 'aws-cdk-lib/aws-cloudwatch';
import { Construct } from 'constructs';
import type { DatasetConfig, PipelineConfig } from '../config';
import { RUNBOOK, type AlarmFactory } from './alarm-factory';
import { pipelineMetric } from './metrics';
import { exactSum } from '../../lambdas/core/gold/measures';

export interface DatasetMonitoringProps {
  factory: AlarmFactory;
  config: PipelineConfig;
  dataset: DatasetConfig;
  /** The pipeline-wide page: part of this dataset's health, and its actions suppressor. */
  pipelineFailing: cw.IAlarm;
}

/** Window of the quarantine-ratio alarm: files arrive in bursts, not every 5 minutes. */
export const QUALITY_PERIOD = Duration.minutes(15);
/** Consecutive freshness datapoints over the SLA (or missing) before the alarm fires. */
export const FRESHNESS_EVALUATION_PERIODS = 2;

/**
 * Whether the dataset's gold has an exact sum (of an integer or decimal column): the only
 * measure that can be NULL past its type (a double sum goes to Infinity, as in SQL engines).
 */
export function hasGoldSums(d: DatasetConfig): boolean {
  const types = new Map(d.contract.columns.map((c) => [c.name, c.type]));
  return d.contract.gold.some((g) => g.measures.some((m) => m.fn === 'sum' && exactSum(types.get(m.column ?? ''))));
}

/**
 * One dataset: freshness against its SLA, the share of rows quarantined, files
 * quarantined, gold sums null past their type (datasets with integer or decimal sums), and the "dataset unhealthy"
 * composite that pages.
 */
export class DatasetMonitoring extends Construct {
  readonly freshness: cw.Alarm;
  readonly quarantineRatio: cw.Alarm;
  readonly filesQuarantined: cw.Alarm;
  /** Only for a dataset whose gold sums an integer or decimal column (no other measure can be NULL past its type). */
  readonly goldNullSums: cw.Alarm | undefined;
  readonly unhealthy: cw.CompositeAlarm;

  constructor(scope: Construct, id: string, props: DatasetMonitoringProps) {
    super(scope, id);
    const { factory, config, dataset: d } = props;
    const name = d.name;
    const checkEvery = Duration.minutes(config.alarms.freshnessCheckMinutes);

    this.freshness = factory.metricAlarm(this, 'Freshness', {
      what: `${name}-freshness`,
      metric: pipelineMetric(config, 'MinutesSinceLastSuccess', name, 'freshness', { statistic: cw.Stats.MAXIMUM, period: checkEvery }),
      threshold: d.freshnessSlaMinutes,
      evaluationPeriods: FRESHNESS_EVALUATION_PERIODS,
      // The checker stopped reporting (failing, not scheduled, no permission) = we cannot
      // vouch for freshness = alarm.
      treatMissingData: cw.TreatMissingData.BREACHING,
      summary: `No file of dataset ${name} has loaded successfully for more than its ${d.freshnessSlaMinutes}-minute SLA (or the freshness check stopped reporting).`,
      runbook: RUNBOOK.freshness,
      routing: 'child',
    });

    const ratio = config.alarms.quarantineRatio;
    this.quarantineRatio = factory.metricAlarm(this, 'QuarantineRatio', {
      what: `${name}-quarantine-ratio`,
      metric: new cw.MathExpression({
        expression: 'IF(rowsIn > 0, rowsQuarantined / rowsIn, 0)',
        usingMetrics: {
          rowsIn: pipelineMetric(config, 'RowsIn', name, 'transform', { period: QUALITY_PERIOD }),
          rowsQuarantined: pipelineMetric(config, 'RowsQuarantined', name, 'transform', { period: QUALITY_PERIOD }),
        },
        period: QUALITY_PERIOD,
        label: `${name} rows quarantined / rows in`,
      }),
      threshold: ratio,
      summary: `More than ${ratio * 100}% of the rows of dataset ${name} loaded in 15 minutes were quarantined by contract rules.`,
      runbook: RUNBOOK.quarantineRatio,
      routing: 'child',
    });

    this.filesQuarantined = factory.metricAlarm(this, 'FilesQuarantined', {
      what: `${name}-files-quarantined`,
      metric: pipelineMetric(config, 'FilesQuarantined', name, 'quarantine'),
      threshold: 0,
      summary: `A file of dataset ${name} was quarantined whole (bad data: schema, parse, contract or file rule); it was not loaded.`,
      runbook: RUNBOOK.filesQuarantined,
      routing: 'warning',
    });

    this.goldNullSums = !hasGoldSums(d)
      ? undefined
      : factory.metricAlarm(this, 'GoldNullSums', {
          what: `${name}-gold-sums-null`,
          metric: pipelineMetric(config, 'GoldNullSums', name, 'publish'),
          threshold: 0,
          summary: `A gold sum of dataset ${name} passed its type over several files of one partition and is NULL in gold (silver is complete; the manifests warn gold.overflow).`,
          runbook: RUNBOOK.goldNullSums,
          routing: 'warning',
        });

    this.unhealthy = factory.composite(this, 'Unhealthy', {
      what: `${name}-unhealthy`,
      children: [this.freshness, this.quarantineRatio, props.pipelineFailing],
      suppressor: props.pipelineFailing,
      summary: `Dataset ${name} is unhealthy: stale (no load within its SLA), too many rows quarantined, or the pipeline itself is failing. The triggering child alarm is in this message.`,
      runbook: RUNBOOK.datasetUnhealthy,
      routing: 'page',
    });
  }
}

import { Duration } from 'aws-cdk-lib';
import * as cw from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import type { PipelineConfig } from '../config';

/**
 * Naming, descriptions and notification routing shared by every alarm (the
 * cdk-monitoring-constructs "alarm factory" idea, cut down to what we use).
 *
 * Routing (see docs/runbook.md#how-alarms-notify):
 *  - `page`: a composite that notifies the topic directly (ALARM and OK).
 *  - `warning`: notifies the topic directly (ALARM and OK); someone should look
 *    during working hours.
 *  - `child`: no actions of its own; it notifies only through the composite
 *    alarm(s) it belongs to, so one incident is one message.
 */

export type Routing = 'page' | 'warning' | 'child';

/** Runbook sections (docs/runbook.md); each heading's GitHub anchor. test/infra/monitoring.test.ts checks they exist. */
export const RUNBOOK = {
  routing: 'how-alarms-notify',
  datasetUnhealthy: 'dataset-unhealthy',
  pipelineFailing: 'pipeline-failing',
  filesFailing: 'files-failing',
  capacity: 'capacity',
  freshness: 'freshness',
  quarantineRatio: 'quarantine-ratio',
  filesQuarantined: 'files-quarantined',
  goldNullSums: 'gold-sums-null',
  lambdaErrorRate: 'lambda-error-rate',
  lambdaThrottles: 'lambda-throttles',
  lambdaDuration: 'lambda-duration-p95',
  executionsFailed: 'executions-failed',
  executionsTimedOut: 'executions-timed-out',
  executionsAborted: 'executions-aborted',
  dlq: 'dead-letter-queue-not-empty',
  ingestAge: 'ingest-queue-backlog',
  failedQueue: 'failed-queue-not-empty',
  failedQueueAge: 'failed-queue-messages-getting-old',
} as const;

export const RUNBOOK_PATH = 'docs/runbook.md';

export interface MetricAlarmSpec {
  /** Suffix of the alarm name: `<config.name>-<env>-<what>`. */
  what: string;
  metric: cw.IMetric;
  threshold: number;
  /** @default GREATER_THAN_THRESHOLD */
  comparison?: cw.ComparisonOperator;
  /** @default 1 */
  evaluationPeriods?: number;
  /** @default evaluationPeriods */
  datapointsToAlarm?: number;
  /** @default NOT_BREACHING: no traffic is not a failure. */
  treatMissingData?: cw.TreatMissingData;
  /** What broke, in one sentence an on-call reads at 3 a.m. */
  summary: string;
  runbook: (typeof RUNBOOK)[keyof typeof RUNBOOK];
  routing: Routing;
}

export interface CompositeSpec {
  what: string;
  children: cw.IAlarm[];
  summary: string;
  runbook: (typeof RUNBOOK)[keyof typeof RUNBOOK];
  routing: Exclude<Routing, 'child'>;
  /** While this alarm is in ALARM the composite stays quiet (it is the one that pages). */
  suppressor?: cw.IAlarm;
}

export interface RegisteredAlarm {
  alarm: cw.Alarm | cw.CompositeAlarm;
  name: string;
  routing: Routing;
  runbook: string;
}

export class AlarmFactory {
  readonly prefix: string;
  readonly alarms: RegisteredAlarm[] = [];
  private readonly action: cwActions.SnsAction;

  constructor(
    readonly config: PipelineConfig,
    readonly topic: sns.ITopic,
  ) {
    this.prefix = alarmPrefix(config);
    this.action = new cwActions.SnsAction(topic);
  }

  name(what: string): string {
    return `${this.prefix}-${what}`;
  }

  describe(routing: Routing, summary: string, runbook: string): string {
    const label = { page: 'PAGE', warning: 'WARNING', child: 'notifies via composite' }[routing];
    return `[${label}] ${summary} Runbook: ${RUNBOOK_PATH}#${runbook}`;
  }

  metricAlarm(scope: Construct, id: string, spec: MetricAlarmSpec): cw.Alarm {
    const evaluationPeriods = spec.evaluationPeriods ?? 1;
    const alarm = new cw.Alarm(scope, id, {
      alarmName: this.name(spec.what),
      alarmDescription: this.describe(spec.routing, spec.summary, spec.runbook),
      metric: spec.metric,
      threshold: spec.threshold,
      comparisonOperator: spec.comparison ?? cw.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods,
      datapointsToAlarm: spec.datapointsToAlarm ?? evaluationPeriods,
      treatMissingData: spec.treatMissingData ?? cw.TreatMissingData.NOT_BREACHING,
    });
    this.route(alarm, spec.routing);
    this.alarms.push({ alarm, name: this.name(spec.what), routing: spec.routing, runbook: spec.runbook });
    return alarm;
  }

  composite(scope: Construct, id: string, spec: CompositeSpec): cw.CompositeAlarm {
    const alarm = new cw.CompositeAlarm(scope, id, {
      compositeAlarmName: this.name(spec.what),
      alarmDescription: this.describe(spec.routing, spec.summary, spec.runbook),
      alarmRule: cw.AlarmRule.anyOf(...spec.children),
      ...(spec.suppressor
        ? { actionsSuppressor: spec.suppressor, actionsSuppressorWaitPeriod: Duration.minutes(2), actionsSuppressorExtensionPeriod: Duration.minutes(10) }
        : {}),
    });
    this.route(alarm, spec.routing);
    this.alarms.push({ alarm, name: this.name(spec.what), routing: spec.routing, runbook: spec.runbook });
    return alarm;
  }

  private route(alarm: cw.AlarmBase, routing: Routing): void {
    if (routing === 'child') return;
    alarm.addAlarmAction(this.action);
    alarm.addOkAction(this.action);
  }
}

export function alarmPrefix(config: PipelineConfig): string {
  return `${config.name}-${config.envName}`;
}

/** Standard evaluation period for rate and count alarms. */
export const PERIOD = Duration.minutes(5);

import { Duration } from 'aws-cdk-lib';
import * as cw from 'aws-cdk-lib/aws-cloudwatch';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { PipelineConfig } from '../config';
import { alarmPrefix, PERIOD, RUNBOOK_PATH } from './alarm-factory';
import { pipelineMetric } from './metrics';
import { hasGoldSums } from './datasets';

export interface PipelineDashboardProps {
  config: PipelineConfig;
  alarms: cw.IAlarm[];
  functions: Record<string, lambda.IFunction>;
  stateMachine: sfn.IStateMachine;
  queues: Record<string, sqs.IQueue>;
  /** Queues whose age of oldest message matters (work queues, not DLQs). */
  workQueues: Record<string, sqs.IQueue>;
}

/** The most alarms CloudWatch shows in one alarm status widget. */
export const ALARMS_PER_WIDGET = 100;

/**
 * One dashboard, `<name>-<env>`: alarm status on top, then a row per dataset
 * (files, rows, freshness against its SLA), then stages, executions and queues.
 */
export class PipelineDashboard extends Construct {
  readonly dashboard: cw.Dashboard;

  constructor(scope: Construct, id: string, props: PipelineDashboardProps) {
    super(scope, id);
    const { config } = props;
    const prefix = alarmPrefix(config);
    this.dashboard = new cw.Dashboard(this, 'Dashboard', {
      dashboardName: prefix,
      defaultInterval: Duration.days(1),
    });
    const graph = (title: string, left: cw.IMetric[], extra: Partial<cw.GraphWidgetProps> = {}) =>
      new cw.GraphWidget({ title, left, width: 8, height: 6, ...extra });

    this.dashboard.addWidgets(
      new cw.TextWidget({
        markdown: `# ${config.name} (${config.envName})\nEvery alarm links to its section of \`${RUNBOOK_PATH}\`. Pages come from the \`*-unhealthy\` and \`pipeline-failing\` composites; see the runbook section "How alarms notify".`,
        width: 24,
        height: 2,
      }),
    );
    // CloudWatch takes at most 100 alarms per alarm status widget: 27 plus 5 per dataset fills one at 14 datasets.
    for (let i = 0; i < props.alarms.length; i += ALARMS_PER_WIDGET) {
      this.dashboard.addWidgets(
        new cw.AlarmStatusWidget({
          title: i ? `Alarms (${i / ALARMS_PER_WIDGET + 1})` : 'Alarms',
          alarms: props.alarms.slice(i, i + ALARMS_PER_WIDGET),
          width: 24,
          height: 6,
          sortBy: cw.AlarmStatusWidgetSortBy.STATE_UPDATED_TIMESTAMP,
        }),
      );
    }

    for (const d of config.datasets) {
      const m = (name: Parameters<typeof pipelineMetric>[1], stage: Parameters<typeof pipelineMetric>[3], label: string) =>
        pipelineMetric(config, name, d.name, stage, { label });
      this.dashboard.addWidgets(
        graph(`${d.name}: files`, [
          m('ExecutionsStarted', 'dispatch', 'started'),
          m('FilesProcessed', 'publish', 'loaded'),
          m('FilesQuarantined', 'quarantine', 'quarantined'),
          m('FilesFailed', 'quarantine', 'failed'),
          ...(hasGoldSums(d) ? [m('GoldNullSums', 'publish', 'gold sums null')] : []),
        ]),
        graph(`${d.name}: rows`, [
          m('RowsIn', 'transform', 'in'),
          m('RowsOut', 'transform', 'out'),
          m('RowsQuarantined', 'transform', 'quarantined'),
          m('RowsDeduplicated', 'transform', 'deduplicated'),
        ]),
        graph(
          `${d.name}: minutes since last successful load`,
          [
            pipelineMetric(config, 'MinutesSinceLastSuccess', d.name, 'freshness', {
              statistic: cw.Stats.MAXIMUM,
              period: Duration.minutes(config.alarms.freshnessCheckMinutes),
              label: 'minutes',
            }),
          ],
          { leftAnnotations: [{ value: d.freshnessSlaMinutes, label: `SLA ${d.freshnessSlaMinutes} min`, color: cw.Color.RED }], leftYAxis: { min: 0 } },
        ),
      );
    }

    const fns = Object.entries(props.functions);
    this.dashboard.addWidgets(
      graph(
        'Stage duration p95 (ms)',
        fns.map(([n, f]) => f.metricDuration({ statistic: cw.Stats.p(95), period: PERIOD, label: n })),
      ),
      graph(
        'Stage errors',
        fns.map(([n, f]) => f.metricErrors({ period: PERIOD, label: n })),
      ),
      graph(
        'Stage throttles',
        fns.map(([n, f]) => f.metricThrottles({ period: PERIOD, label: n })),
      ),
    );

    const sm = props.stateMachine;
    const sum = { period: PERIOD, statistic: cw.Stats.SUM };
    this.dashboard.addWidgets(
      graph('Executions', [
        sm.metricStarted({ ...sum, label: 'started' }),
        sm.metricSucceeded({ ...sum, label: 'succeeded' }),
        sm.metricFailed({ ...sum, label: 'failed' }),
        sm.metricTimedOut({ ...sum, label: 'timed out' }),
        sm.metricAborted({ ...sum, label: 'aborted' }),
      ]),
      graph(
        'Queue depth (visible messages)',
        Object.entries(props.queues).map(([n, q]) => q.metricApproximateNumberOfMessagesVisible({ period: PERIOD, statistic: cw.Stats.MAXIMUM, label: n })),
      ),
      graph(
        'Age of oldest message (s)',
        Object.entries(props.workQueues).map(([n, q]) => q.metricApproximateAgeOfOldestMessage({ period: PERIOD, statistic: cw.Stats.MAXIMUM, label: n })),
        { leftAnnotations: [{ value: config.ingest.maxMessageAgeSeconds, label: 'ingest alarm', color: cw.Color.ORANGE }] },
      ),
    );
  }
}

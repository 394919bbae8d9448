import * as cw from 'aws-cdk-lib/aws-cloudwatch';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { PERIOD, RUNBOOK, type AlarmFactory } from './alarm-factory';

export interface StateMachineMonitoringProps {
  factory: AlarmFactory;
  stateMachine: sfn.StateMachine;
}

/**
 * The per-file state machine. ExecutionsFailed counts every file that ended in
 * the Failed state, which includes quarantined bad data (Quarantine ->
 * NotifyFailed -> Failed), so it is a "files failing" signal. TimedOut and
 * Aborted never happen for bad data: they are pipeline faults.
 */
export class StateMachineMonitoring extends Construct {
  readonly failed: cw.Alarm;
  readonly timedOut: cw.Alarm;
  readonly aborted: cw.Alarm;

  constructor(scope: Construct, id: string, props: StateMachineMonitoringProps) {
    super(scope, id);
    const { factory, stateMachine: sm } = props;
    const sum = { period: PERIOD, statistic: cw.Stats.SUM };

    this.failed = factory.metricAlarm(this, 'Failed', {
      what: 'executions-failed',
      metric: sm.metricFailed(sum),
      threshold: 0,
      summary: 'A file execution ended in the Failed state: the file was quarantined or could not be processed (message on the failed queue).',
      runbook: RUNBOOK.executionsFailed,
      routing: 'child',
    });
    this.timedOut = factory.metricAlarm(this, 'TimedOut', {
      what: 'executions-timed-out',
      metric: sm.metricTimedOut(sum),
      threshold: 0,
      summary: 'A file execution hit the 2 h state machine timeout; the file was neither loaded nor quarantined.',
      runbook: RUNBOOK.executionsTimedOut,
      routing: 'child',
    });
    this.aborted = factory.metricAlarm(this, 'Aborted', {
      what: 'executions-aborted',
      metric: sm.metricAborted(sum),
      threshold: 0,
      summary: 'A file execution was aborted (StopExecution by a person or tool); the file was neither loaded nor quarantined.',
      runbook: RUNBOOK.executionsAborted,
      routing: 'child',
    });
  }
}

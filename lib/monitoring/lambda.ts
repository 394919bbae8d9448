import { Duration } from 'aws-cdk-lib';
import * as cw from 'aws-cdk-lib/aws-cloudwatch';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { PERIOD, RUNBOOK, type AlarmFactory, type Routing } from './alarm-factory';

export interface LambdaMonitoringProps {
  factory: AlarmFactory;
  /** Short name used in alarm names: validate, transform, publish, quarantine, dispatch. */
  name: string;
  fn: lambda.Function;
  /** Timeout of the function (Function.timeout), for the duration alarm. */
  timeout: Duration;
  errorRate: number;
  /**
   * Routing of the error-rate alarm. Validate/Transform/Publish throw on bad
   * data too (that is how Step Functions hands a file to Quarantine), so their
   * error rate belongs with "files failing"; Dispatch and Quarantine errors are
   * always faults and belong with "pipeline failing". Both are composite children.
   */
  errorRateGroup: 'files' | 'pipeline';
}

export const DURATION_FRACTION = 0.8;

/**
 * One stage function: error rate (metric math errors / invocations), throttles,
 * and p95 duration against 80% of its timeout.
 */
export class LambdaMonitoring extends Construct {
  readonly errorRate: cw.Alarm;
  readonly throttles: cw.Alarm;
  readonly duration: cw.Alarm;
  readonly errorRateGroup: 'files' | 'pipeline';

  constructor(scope: Construct, id: string, props: LambdaMonitoringProps) {
    super(scope, id);
    const { factory, name, fn } = props;
    const child: Routing = 'child';
    this.errorRateGroup = props.errorRateGroup;

    this.errorRate = factory.metricAlarm(this, 'ErrorRate', {
      what: `${name}-error-rate`,
      metric: new cw.MathExpression({
        expression: 'IF(invocations > 0, errors / invocations, 0)',
        usingMetrics: { errors: fn.metricErrors({ period: PERIOD }), invocations: fn.metricInvocations({ period: PERIOD }) },
        period: PERIOD,
        label: `${name} error rate`,
      }),
      threshold: props.errorRate,
      summary: `More than ${props.errorRate * 100}% of ${name} Lambda invocations failed in 5 minutes.`,
      runbook: RUNBOOK.lambdaErrorRate,
      routing: child,
    });

    this.throttles = factory.metricAlarm(this, 'Throttles', {
      what: `${name}-throttles`,
      metric: fn.metricThrottles({ period: PERIOD, statistic: cw.Stats.SUM }),
      threshold: 0,
      summary: `The ${name} Lambda was throttled (account or reserved concurrency exhausted); work is being retried and delayed.`,
      runbook: RUNBOOK.lambdaThrottles,
      routing: child,
    });

    const limitMs = Math.round(props.timeout.toMilliseconds() * DURATION_FRACTION);
    this.duration = factory.metricAlarm(this, 'Duration', {
      what: `${name}-duration-p95`,
      metric: fn.metricDuration({ period: Duration.minutes(15), statistic: cw.Stats.p(95) }),
      threshold: limitMs,
      summary: `p95 duration of the ${name} Lambda is above ${DURATION_FRACTION * 100}% of its ${props.timeout.toSeconds()} s timeout (${limitMs} ms); files are close to timing out.`,
      runbook: RUNBOOK.lambdaDuration,
      routing: child,
    });
  }
}

import { Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import type { FreshnessDataset } from '../../lambdas/handlers/freshness';
import type { PipelineConfig } from '../config';
import { nagResource } from '../nag';
import { stageFunction } from '../stage-function';
import type * as lambda from 'aws-cdk-lib/aws-lambda';

export interface FreshnessCheckerProps {
  config: PipelineConfig;
  lake: s3.IBucket;
}

/** The prefix the checker reads and writes (Publish writes <dataset>.json there; the checker writes <dataset>.first-seen.json). */
export const FRESHNESS_STATE_PREFIX = '_state/freshness/*';

/**
 * The scheduled freshness check (lambdas/handlers/freshness.ts): an EventBridge
 * rule on a rate schedule (no EventBridge Scheduler, no custom resource) runs
 * it every config.alarms.freshnessCheckMinutes minutes.
 */
export class FreshnessChecker extends Construct {
  readonly fn: lambda.Function;
  readonly rule: events.Rule;

  constructor(scope: Construct, id: string, props: FreshnessCheckerProps) {
    super(scope, id);
    const { config, lake } = props;
    const every = Duration.minutes(config.alarms.freshnessCheckMinutes);
    const datasets: FreshnessDataset[] = config.datasets.map((d) => ({ name: d.name, freshnessSlaMinutes: d.freshnessSlaMinutes }));

    this.fn = stageFunction(this, 'Function', {
      config,
      entry: 'freshness',
      description: 'Emits MinutesSinceLastSuccess per dataset from _state/freshness/ (scheduled)',
      timeout: Duration.seconds(60),
      memoryMb: 256,
      environment: { LAKE_BUCKET: lake.bucketName, FRESHNESS_DATASETS: JSON.stringify(datasets) },
    });
    // Read (a missing key must be a 404, which needs s3:ListBucket) and write the first-seen marker.
    lake.grantRead(this.fn, FRESHNESS_STATE_PREFIX);
    lake.grantPut(this.fn, FRESHNESS_STATE_PREFIX);

    this.rule = new events.Rule(this, 'Schedule', {
      description: `Runs the ${config.name} freshness check every ${config.alarms.freshnessCheckMinutes} minutes`,
      schedule: events.Schedule.rate(every),
      // A late check is worthless (the next one is due): no long retries.
      targets: [new targets.LambdaFunction(this.fn, { retryAttempts: 2, maxEventAge: every })],
    });

    NagSuppressions.addResourceSuppressions(
      this.fn,
      [
        {
          id: 'AwsSolutions-IAM5',
          reason:
            'The freshness check reads and writes only the _state/freshness/ prefix of the lake bucket; keys are per dataset (<dataset>.json, <dataset>.first-seen.json).',
          appliesTo: [nagResource(this, lake.arnForObjects(FRESHNESS_STATE_PREFIX))],
        },
        {
          id: 'AwsSolutions-IAM5',
          reason:
            'grantRead/grantPut on the _state/freshness/ prefix: object reads (GetObject*), the bucket listing that makes a missing key a 404 (List*, GetBucket*) and multipart abort (Abort*), on that prefix only.',
          appliesTo: ['Action::s3:GetObject*', 'Action::s3:GetBucket*', 'Action::s3:List*', 'Action::s3:Abort*'],
        },
      ],
      true,
    );
  }
}

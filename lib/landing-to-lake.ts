import { Duration } from 'aws-cdk-lib';
import * as cw from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { METRIC, Stage } from '../lambdas/shared/telemetry';
import { Catalog } from './catalog';
import type { PipelineConfig } from './config';
import { resolvePipelineConfig, type PipelineResolveProps } from './construct-props';
import { Ingest } from './ingest';
import { Monitoring } from './monitoring';
import { pipelineMetric } from './monitoring/metrics';
import { applyNagSuppressions } from './nag';
import { Orchestration } from './orchestration';
import { Replay } from './replay';
import { Storage } from './storage';

export interface LandingToLakeProps extends PipelineResolveProps {
  /**
   * The bucket producers drop files in, under `landing/<dataset>/`. A bucket
   * from elsewhere (`Bucket.fromBucketName`) must send its events to EventBridge
   * (S3 console: Properties > Amazon EventBridge, or `EventBridgeConfiguration`).
   * @default a new versioned, SSE-S3, TLS-only bucket with public access blocked and EventBridge on
   */
  readonly landingBucket?: s3.IBucket;
  /**
   * The topic every alarm notifies; its policy (and its key's) must let
   * cloudwatch.amazonaws.com publish.
   * @default a new topic encrypted with `alarmTopicKey`, TLS-only, CloudWatch allowed for this pipeline's alarms only
   */
  readonly alarmTopic?: sns.ITopic;
  /**
   * The KMS key of a new alarm topic (ignored with `alarmTopic`); its policy must let CloudWatch use it.
   * @default a new key with rotation
   */
  readonly alarmTopicKey?: kms.IKey;
  /**
   * Attach the pipeline's reviewed cdk-nag suppressions to its own resources.
   * @default true
   */
  readonly nagSuppressions?: boolean;
}

type MetricOptions = Pick<cw.MetricOptions, 'period' | 'statistic' | 'label'>;

/**
 * The landing-to-lake pipeline as one construct: a file under
 * `landing/<dataset>/` -> EventBridge -> SQS -> one Step Functions execution per
 * file version -> bronze, silver (typed Parquet), gold, quarantine; alarms,
 * dashboard, replay, Glue tables and an Athena workgroup.
 *
 * The sub-constructs (`storage`, `orchestration`, ...) are escape hatches; the
 * interface-typed members and the grant/metric methods are the API.
 */
export class LandingToLake extends Construct {
  /** The resolved configuration (props with every default applied). */
  readonly config: PipelineConfig;
  readonly landingBucket: s3.IBucket;
  readonly lakeBucket: s3.IBucket;
  /** One execution per landed file version. */
  readonly stateMachine: sfn.IStateMachine;
  /** Replay/backfill: input { dataset, prefix, runId }. */
  readonly replayStateMachine: sfn.IStateMachine;
  readonly ingestQueue: sqs.IQueue;
  readonly ingestDeadLetterQueue: sqs.IQueue;
  readonly ruleTargetDeadLetterQueue: sqs.IQueue;
  /** Files that failed and were quarantined: someone works these (`pipeline redrive`). */
  readonly failedQueue: sqs.IQueue;
  readonly failedDeadLetterQueue: sqs.IQueue;
  readonly alarmTopic: sns.ITopic;
  readonly functions: Readonly<Record<'dispatch' | 'validate' | 'transform' | 'publish' | 'quarantine' | 'freshness', lambda.IFunction>>;
  readonly databaseName: string;
  readonly workGroupName: string;
  /** Read every table and query them in the workgroup. */
  readonly readerPolicy: iam.IManagedPolicy;

  readonly storage: Storage;
  readonly orchestration: Orchestration;
  readonly ingest: Ingest;
  readonly monitoring: Monitoring;
  readonly replay: Replay;
  readonly catalog: Catalog;

  constructor(scope: Construct, id: string, props: LandingToLakeProps) {
    super(scope, id);
    const config = (this.config = resolvePipelineConfig(props));

    // Construct ids are the reference app's: its logical IDs do not move.
    this.storage = new Storage(this, 'Storage', { config, landing: props.landingBucket });
    this.orchestration = new Orchestration(this, 'Orchestration', { config, landing: this.storage.landing, lake: this.storage.lake });
    this.ingest = new Ingest(this, 'Ingest', { config, landing: this.storage.landing, stateMachine: this.orchestration.stateMachine });
    this.monitoring = new Monitoring(this, 'Monitoring', {
      config,
      storage: this.storage,
      orchestration: this.orchestration,
      ingest: this.ingest,
      topic: props.alarmTopic,
      topicKey: props.alarmTopicKey,
    });
    this.replay = new Replay(this, 'Replay', { config, landing: this.storage.landing, filePipeline: this.orchestration.stateMachine });
    this.catalog = new Catalog(this, 'Catalog', { config, lake: this.storage.lake });

    this.landingBucket = this.storage.landing;
    this.lakeBucket = this.storage.lake;
    this.stateMachine = this.orchestration.stateMachine;
    this.replayStateMachine = this.replay.stateMachine;
    this.ingestQueue = this.ingest.queue;
    this.ingestDeadLetterQueue = this.ingest.dlq;
    this.ruleTargetDeadLetterQueue = this.ingest.targetDlq;
    this.failedQueue = this.orchestration.failedQueue;
    this.failedDeadLetterQueue = this.orchestration.failedDlq;
    this.alarmTopic = this.monitoring.topic;
    this.functions = { dispatch: this.ingest.dispatcher, ...this.orchestration.functions, freshness: this.monitoring.freshnessChecker.fn };
    this.databaseName = this.catalog.databaseName;
    this.workGroupName = this.catalog.workGroupName;
    this.readerPolicy = this.catalog.readerPolicy;

    if (props.nagSuppressions !== false) applyNagSuppressions(this);
  }

  /** Let a producer upload files of one dataset (or of every dataset): s3:PutObject under landing/<dataset>/. */
  grantPutLanding(grantee: iam.IGrantable, dataset?: string): iam.Grant {
    const prefixes = this.datasetNames(dataset).map((d) => `landing/${d}/*`);
    return iam.Grant.addToPrincipal({
      grantee,
      actions: ['s3:PutObject', 's3:AbortMultipartUpload'],
      resourceArns: prefixes.map((p) => this.landingBucket.arnForObjects(p)),
    });
  }

  /** Read silver (typed, deduplicated rows) of one dataset or all: the objects and their Glue tables. */
  grantReadSilver(grantee: iam.IGrantable, dataset?: string): iam.Grant {
    return this.grantReadTables(grantee, 'silver', dataset);
  }

  /** Read gold (aggregates) of one dataset or all: the objects and their Glue tables. */
  grantReadGold(grantee: iam.IGrantable, dataset?: string): iam.Grant {
    return this.grantReadTables(grantee, 'gold', dataset);
  }

  private grantReadTables(grantee: iam.IGrantable, kind: 'silver' | 'gold', dataset?: string): iam.Grant {
    const names = new Set(this.datasetNames(dataset));
    const tables = this.catalog.tables.filter((t) => t.kind === kind && names.has(t.dataset));
    if (tables.length === 0) return iam.Grant.drop(grantee, `no ${kind} tables for ${dataset ?? 'any dataset'}`);
    let grant: iam.Grant | undefined;
    for (const statement of this.catalog.tableReadStatements(tables, this.lakeBucket, { sids: false })) {
      const g = iam.Grant.addToPrincipal({ grantee, actions: statement.actions, resourceArns: statement.resources, conditions: statement.conditions });
      grant = grant ? grant.combine(g) : g;
    }
    return grant!;
  }

  private datasetNames(dataset?: string): string[] {
    const all = this.config.datasets.map((d) => d.name);
    if (dataset === undefined) return all;
    if (!all.includes(dataset)) throw new Error(`LandingToLake ${this.node.path}: no dataset ${dataset} (datasets: ${all.join(', ')})`);
    return [dataset];
  }

  /**
   * One of the pipeline's own metrics (lambdas/shared/telemetry.ts), for one
   * dataset, or summed over every dataset (maximum for MinutesSinceLastSuccess).
   */
  metric(name: keyof typeof METRIC, stage: Stage, dataset?: string, opts: MetricOptions = {}): cw.IMetric {
    const max = name === 'MinutesSinceLastSuccess';
    const statistic = opts.statistic ?? (max ? cw.Stats.MAXIMUM : cw.Stats.SUM);
    const one = (d: string) => pipelineMetric(this.config, name, d, stage, { ...opts, statistic });
    if (dataset !== undefined) return one(this.datasetNames(dataset)[0]);
    const parts = Object.fromEntries(this.datasetNames().map((d, i) => [`m${i}`, one(d)]));
    const ids = Object.keys(parts);
    return new cw.MathExpression({
      expression: max ? `MAX([${ids.join(',')}])` : ids.join('+'),
      usingMetrics: parts,
      period: opts.period ?? Duration.minutes(5),
      label: opts.label ?? `${name} (all datasets)`,
    });
  }

  /** Files moved to quarantine (file-level rejections). */
  metricFilesQuarantined(dataset?: string, opts?: MetricOptions): cw.IMetric {
    return this.metric('FilesQuarantined', 'quarantine', dataset, opts);
  }

  /** Files that reached gold and a succeeded manifest. */
  metricFilesProcessed(dataset?: string, opts?: MetricOptions): cw.IMetric {
    return this.metric('FilesProcessed', 'publish', dataset, opts);
  }

  /** Gold sums (aggregate, measure, partition) a Publish wrote or found null: past their type over several files. */
  metricGoldNullSums(dataset?: string, opts?: MetricOptions): cw.IMetric {
    return this.metric('GoldNullSums', 'publish', dataset, opts);
  }

  metricRowsIn(dataset?: string, opts?: MetricOptions): cw.IMetric {
    return this.metric('RowsIn', 'transform', dataset, opts);
  }

  /** Rows written to silver. */
  metricRowsOut(dataset?: string, opts?: MetricOptions): cw.IMetric {
    return this.metric('RowsOut', 'transform', dataset, opts);
  }

  /** Rows rejected to quarantine with their reasons. */
  metricRowsQuarantined(dataset?: string, opts?: MetricOptions): cw.IMetric {
    return this.metric('RowsQuarantined', 'transform', dataset, opts);
  }

  /** Minutes since the dataset last loaded (maximum over datasets without one), from the scheduled check. */
  metricFreshness(dataset?: string, opts?: MetricOptions): cw.IMetric {
    return this.metric('MinutesSinceLastSuccess', 'freshness', dataset, { period: Duration.minutes(this.config.alarms.freshnessCheckMinutes), ...opts });
  }
}

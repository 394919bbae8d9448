import { Duration } from 'aws-cdk-lib';
import type * as cw from 'aws-cdk-lib/aws-cloudwatch';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import type { PipelineConfig } from '../config';
import type { Ingest } from '../ingest';
import type { Orchestration } from '../orchestration';
import type { Storage } from '../storage';
import { AlarmFactory, RUNBOOK, type RegisteredAlarm } from './alarm-factory';
import { AlarmTopic } from './alarm-topic';
import { PipelineDashboard } from './dashboard';
import { DatasetMonitoring } from './datasets';
import { FreshnessChecker } from './freshness-checker';
import { LambdaMonitoring } from './lambda';
import { QueueMonitoring } from './queues';
import { StateMachineMonitoring } from './state-machine';

export { AlarmFactory, alarmPrefix, RUNBOOK, RUNBOOK_PATH, type RegisteredAlarm, type Routing } from './alarm-factory';

export interface MonitoringProps {
  config: PipelineConfig;
  storage: Storage;
  orchestration: Orchestration;
  ingest: Ingest;
  /** @default a new topic (see AlarmTopic) */
  topic?: sns.ITopic;
  /** @default a new key */
  topicKey?: kms.IKey;
}

/**
 * Monitoring facade (cdk-monitoring-constructs style): one alarm topic, the
 * freshness checker, alarms per concern (one file each), the composites that
 * decide who gets a message, and the dashboard.
 *
 * Notification routing, also in docs/runbook.md#how-alarms-notify:
 *  PAGE     <d>-unhealthy (per dataset) = freshness OR quarantine-ratio OR pipeline-failing,
 *           actions suppressed while pipeline-failing is in ALARM (it pages once for everyone);
 *           pipeline-failing = SFN timed-out/aborted, the three DLQs, ingest backlog,
 *           dispatch/quarantine error rate.
 *  WARNING  files-failing = SFN executions-failed, failed queue, validate/transform/publish
 *           error rate (they all fire on one bad file: one message);
 *           capacity = throttles and p95 duration of every stage;
 *           <d>-files-quarantined (per dataset, direct).
 *  Every other alarm is a composite child with no actions of its own.
 */
export class Monitoring extends Construct {
  readonly topic: sns.ITopic;
  readonly factory: AlarmFactory;
  readonly freshnessChecker: FreshnessChecker;
  readonly lambdas: Record<string, LambdaMonitoring> = {};
  readonly stateMachine: StateMachineMonitoring;
  readonly queues: QueueMonitoring;
  readonly pipelineFailing: cw.CompositeAlarm;
  readonly filesFailing: cw.CompositeAlarm;
  readonly capacity: cw.CompositeAlarm;
  readonly datasets: Record<string, DatasetMonitoring> = {};
  readonly dashboard: PipelineDashboard;

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    const { config, storage, orchestration, ingest } = props;

    this.topic = new AlarmTopic(this, 'AlarmTopic', { config, topic: props.topic, key: props.topicKey }).topic;
    const factory = (this.factory = new AlarmFactory(config, this.topic));
    this.freshnessChecker = new FreshnessChecker(this, 'FreshnessChecker', { config, lake: storage.lake });

    const { validate, transform, publish, quarantine } = orchestration.functions;
    const stages = { dispatch: ingest.dispatcher, validate, transform, publish, quarantine };
    for (const [name, fn] of Object.entries(stages)) {
      this.lambdas[name] = new LambdaMonitoring(this, `Lambda-${name}`, {
        factory,
        name,
        fn,
        timeout: fn.timeout ?? Duration.seconds(3),
        errorRate: config.alarms.errorRate,
        errorRateGroup: name === 'dispatch' || name === 'quarantine' ? 'pipeline' : 'files',
      });
    }
    const lambdas = Object.values(this.lambdas);

    this.stateMachine = new StateMachineMonitoring(this, 'StateMachine', { factory, stateMachine: orchestration.stateMachine });
    this.queues = new QueueMonitoring(this, 'Queues', {
      factory,
      ingestQueue: ingest.queue,
      ingestDlq: ingest.dlq,
      targetDlq: ingest.targetDlq,
      failedQueue: orchestration.failedQueue,
      failedDlq: orchestration.failedDlq,
      maxMessageAgeSeconds: config.ingest.maxMessageAgeSeconds,
      maxFailedAgeSeconds: config.ingest.maxFailedAgeHours * 3600,
    });

    this.pipelineFailing = factory.composite(this, 'PipelineFailing', {
      what: 'pipeline-failing',
      children: [
        this.stateMachine.timedOut,
        this.stateMachine.aborted,
        ...this.queues.pipelineAlarms,
        ...lambdas.filter((l) => l.errorRateGroup === 'pipeline').map((l) => l.errorRate),
      ],
      summary:
        'The pipeline itself is failing for every dataset: events are dead-lettered or backing up, executions time out or are aborted, or the dispatcher/quarantine functions fail. Files are not being processed.',
      runbook: RUNBOOK.pipelineFailing,
      routing: 'page',
    });
    this.filesFailing = factory.composite(this, 'FilesFailing', {
      what: 'files-failing',
      children: [this.stateMachine.failed, this.queues.failedQueueVisible, ...lambdas.filter((l) => l.errorRateGroup === 'files').map((l) => l.errorRate)],
      summary:
        'Files are failing: executions end in Failed, the failed queue has messages, or a stage error rate is high. Usually bad data (see the *-files-quarantined warnings); if no file was quarantined, it is a pipeline fault.',
      runbook: RUNBOOK.filesFailing,
      routing: 'warning',
    });
    this.capacity = factory.composite(this, 'Capacity', {
      what: 'capacity',
      children: lambdas.flatMap((l) => [l.throttles, l.duration]),
      summary: 'A stage function is throttled or its p95 duration is close to its timeout: files are delayed and may start timing out.',
      runbook: RUNBOOK.capacity,
      routing: 'warning',
    });

    for (const d of config.datasets) {
      this.datasets[d.name] = new DatasetMonitoring(this, `Dataset-${d.name}`, { factory, config, dataset: d, pipelineFailing: this.pipelineFailing });
    }

    this.dashboard = new PipelineDashboard(this, 'Dashboard', {
      config,
      // Pages and warnings first, then their children.
      alarms: [...factory.alarms.filter((a) => a.routing !== 'child'), ...factory.alarms.filter((a) => a.routing === 'child')].map((a) => a.alarm),
      functions: { ...stages, freshness: this.freshnessChecker.fn },
      stateMachine: orchestration.stateMachine,
      queues: {
        ingest: ingest.queue,
        'ingest DLQ': ingest.dlq,
        'target DLQ': ingest.targetDlq,
        failed: orchestration.failedQueue,
        'failed DLQ': orchestration.failedDlq,
      },
      workQueues: { ingest: ingest.queue, failed: orchestration.failedQueue },
    });
  }

  /** Every alarm with its name and routing (tests, docs). */
  get alarms(): readonly RegisteredAlarm[] {
    return this.factory.alarms;
  }
}

import { CfnOutput, Stack, Tags, type StackProps } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { Catalog } from './catalog';
import type { PipelineConfig } from './config';
import { Ingest } from './ingest';
import { Monitoring } from './monitoring';
import { Replay } from './replay';
import { applyNagSuppressions } from './nag';
import { Orchestration } from './orchestration';
import { Storage } from './storage';

export interface PipelineStackProps extends StackProps {
  config: PipelineConfig;
}

/** Output names are API: the `pipeline` CLI and the e2e tests find resources by them. */
export const OUTPUTS = {
  landingBucket: 'LandingBucketName',
  lakeBucket: 'LakeBucketName',
  stateMachine: 'StateMachineArn',
  ingestQueue: 'IngestQueueUrl',
  ingestDlq: 'IngestDlqUrl',
  targetDlq: 'RuleTargetDlqUrl',
  failedQueue: 'FailedQueueUrl',
  failedDlq: 'FailedDlqUrl',
  datasets: 'Datasets',
  alarmTopic: 'AlarmTopicArn',
  replayStateMachine: 'ReplayStateMachineArn',
  database: 'GlueDatabaseName',
  workGroup: 'AthenaWorkGroupName',
  readerPolicy: 'LakeReaderPolicyArn',
} as const;

export class PipelineStack extends Stack {
  readonly storage: Storage;
  readonly orchestration: Orchestration;
  readonly ingest: Ingest;
  readonly monitoring: Monitoring;
  readonly replay: Replay;
  readonly catalog: Catalog;

  constructor(scope: Construct, id: string, props: PipelineStackProps) {
    super(scope, id, props);
    const { config } = props;
    Tags.of(this).add('pipeline', config.name);
    Tags.of(this).add('environment', config.envName);

    this.storage = new Storage(this, 'Storage', { config });
    this.orchestration = new Orchestration(this, 'Orchestration', { config, landing: this.storage.landing, lake: this.storage.lake });
    this.ingest = new Ingest(this, 'Ingest', { config, landing: this.storage.landing, stateMachine: this.orchestration.stateMachine });
    this.monitoring = new Monitoring(this, 'Monitoring', { config, storage: this.storage, orchestration: this.orchestration, ingest: this.ingest });
    this.replay = new Replay(this, 'Replay', { config, landing: this.storage.landing, filePipeline: this.orchestration.stateMachine });
    this.catalog = new Catalog(this, 'Catalog', { config, lake: this.storage.lake });

    const out = (name: string, value: string) => new CfnOutput(this, name, { value, exportName: undefined });
    out(OUTPUTS.landingBucket, this.storage.landing.bucketName);
    out(OUTPUTS.lakeBucket, this.storage.lake.bucketName);
    out(OUTPUTS.stateMachine, this.orchestration.stateMachine.stateMachineArn);
    out(OUTPUTS.replayStateMachine, this.replay.stateMachine.stateMachineArn);
    out(OUTPUTS.ingestQueue, this.ingest.queue.queueUrl);
    out(OUTPUTS.ingestDlq, this.ingest.dlq.queueUrl);
    out(OUTPUTS.targetDlq, this.ingest.targetDlq.queueUrl);
    out(OUTPUTS.failedQueue, this.orchestration.failedQueue.queueUrl);
    out(OUTPUTS.failedDlq, this.orchestration.failedDlq.queueUrl);
    out(OUTPUTS.alarmTopic, this.monitoring.topic.topicArn);
    out(OUTPUTS.datasets, config.datasets.map((d) => d.name).join(','));
    out(OUTPUTS.database, this.catalog.databaseName);
    out(OUTPUTS.workGroup, this.catalog.workGroupName);
    out(OUTPUTS.readerPolicy, this.catalog.readerPolicy.managedPolicyArn);

    applyNagSuppressions(this);
  }
}

import { CfnOutput, Stack, Tags, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { Catalog } from './catalog';
import type { PipelineConfig } from './config';
import { propsFromConfig } from './construct-props';
import type { Ingest } from './ingest';
import { LandingToLake } from './landing-to-lake';
import { OUTPUTS } from './outputs';
import type { Monitoring } from './monitoring';
import type { Orchestration } from './orchestration';
import type { Replay } from './replay';
import type { Storage } from './storage';
export interface PipelineStackProps extends StackProps {
  config: PipelineConfig;
}

export { OUTPUTS } from './outputs';

/**
 * The reference app: the LandingToLake construct from config/pipeline.json,
 * and the outputs the CLI and the e2e tests find resources by. The construct's
 * id is `Default`, which CDK leaves out of logical IDs, so its resources keep
 * the logical IDs they had before the construct existed.
 */
export class PipelineStack extends Stack {
  readonly pipeline: LandingToLake;
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

    const p = (this.pipeline = new LandingToLake(this, 'Default', propsFromConfig(config)));
    ({
      storage: this.storage,
      orchestration: this.orchestration,
      ingest: this.ingest,
      monitoring: this.monitoring,
      replay: this.replay,
      catalog: this.catalog,
    } = p);

    const out = (name: string, value: string) => new CfnOutput(this, name, { value, exportName: undefined });
    out(OUTPUTS.landingBucket, p.landingBucket.bucketName);
    out(OUTPUTS.lakeBucket, p.lakeBucket.bucketName);
    out(OUTPUTS.stateMachine, p.stateMachine.stateMachineArn);
    out(OUTPUTS.replayStateMachine, p.replayStateMachine.stateMachineArn);
    out(OUTPUTS.ingestQueue, p.ingestQueue.queueUrl);
    out(OUTPUTS.ingestDlq, p.ingestDeadLetterQueue.queueUrl);
    out(OUTPUTS.targetDlq, p.ruleTargetDeadLetterQueue.queueUrl);
    out(OUTPUTS.failedQueue, p.failedQueue.queueUrl);
    out(OUTPUTS.failedDlq, p.failedDeadLetterQueue.queueUrl);
    out(OUTPUTS.alarmTopic, p.alarmTopic.topicArn);
    out(OUTPUTS.datasets, p.config.datasets.map((d) => d.name).join(','));
    out(OUTPUTS.database, p.databaseName);
    out(OUTPUTS.workGroup, p.workGroupName);
    out(OUTPUTS.readerPolicy, p.readerPolicy.managedPolicyArn);
  }
}

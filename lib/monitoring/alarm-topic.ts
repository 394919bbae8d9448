import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subs from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ConfigError, type PipelineConfig } from '../config';
import { removalPolicy } from '../stage-function';
import { alarmPrefix } from './alarm-factory';

export interface AlarmTopicProps {
  config: PipelineConfig;
  /** An existing topic: alarms notify it and the configured subscriptions are added; its owner lets CloudWatch publish. @default a new topic */
  topic?: sns.ITopic;
  /** The key a new topic is encrypted with; it must let CloudWatch use it. @default a new key with rotation */
  key?: kms.IKey;
}

/**
 * The SNS topic every alarm notifies. SSE with a customer-managed key
 * (CloudWatch cannot publish to a topic encrypted with the AWS-managed aws/sns
 * key: its policy cannot be changed to let cloudwatch.amazonaws.com use it),
 * TLS-only, and both the key and the topic let CloudWatch in only on behalf of
 * this pipeline's alarms in this account (confused-deputy conditions).
 */
export class AlarmTopic extends Construct {
  readonly topic: sns.ITopic;
  /** The new topic's key (none when the topic was brought). */
  readonly key?: kms.IKey;

  constructor(scope: Construct, id: string, props: AlarmTopicProps) {
    super(scope, id);
    const { config } = props;
    if (props.topic) {
      this.topic = props.topic;
    } else {
      this.key =
        props.key ??
        new kms.Key(this, 'Key', {
          description: `Encrypts the ${alarmPrefix(config)} alarm topic`,
          enableKeyRotation: true,
          removalPolicy: removalPolicy(config),
        });
      this.topic = this.createTopic(config, this.key);
    }
    this.subscribe(config);
  }

  private createTopic(config: PipelineConfig, key: kms.IKey): sns.ITopic {
    const stack = Stack.of(this);
    const prefix = alarmPrefix(config);
    // On a brought key this is a no-op (CDK cannot edit an imported key's policy): its owner allows CloudWatch.
    const cloudwatch = new iam.ServicePrincipal('cloudwatch.amazonaws.com');
    const onlyOurAlarms = {
      StringEquals: { 'aws:SourceAccount': stack.account },
      ArnLike: { 'aws:SourceArn': `arn:${stack.partition}:cloudwatch:${stack.region}:${stack.account}:alarm:${prefix}-*` },
    };
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudWatchAlarmsToUseTheKey',
        principals: [cloudwatch],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: onlyOurAlarms,
      }),
    );

    const topic = new sns.Topic(this, 'Topic', {
      displayName: `${prefix} alarms`,
      masterKey: key,
      enforceSSL: true,
    });
    topic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudWatchAlarmsToPublish',
        principals: [cloudwatch],
        actions: ['sns:Publish'],
        resources: [topic.topicArn],
        conditions: onlyOurAlarms,
      }),
    );
    return topic;
  }

  private subscribe(config: PipelineConfig): void {
    for (const email of config.alarmEmails) this.topic.addSubscription(new subs.EmailSubscription(email));
    for (const [i, s] of config.alarmSubscriptions.entries()) {
      if (s.protocol === 'https') {
        if (!/^https:\/\/\S+$/.test(s.endpoint))
          throw new ConfigError(`alarmSubscriptions[${i}]: an https endpoint must be an https:// URL, got ${s.endpoint}`);
        this.topic.addSubscription(new subs.UrlSubscription(s.endpoint, { protocol: sns.SubscriptionProtocol.HTTPS }));
      } else {
        if (!/^arn:[\w-]+:sqs:[\w-]+:\d{12}:[\w-]+(\.fifo)?$/.test(s.endpoint))
          throw new ConfigError(`alarmSubscriptions[${i}]: an sqs endpoint must be a queue ARN, got ${s.endpoint}`);
        // An existing queue: its owner must allow this topic to SendMessage (and, if it is
        // KMS-encrypted, sns.amazonaws.com to use its key). CDK cannot change an imported queue's policy.
        this.topic.addSubscription(new subs.SqsSubscription(sqs.Queue.fromQueueArn(this, `SubscriberQueue${i}`, s.endpoint)));
      }
    }
  }
}

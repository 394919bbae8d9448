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
}

/**
 * The SNS topic every alarm notifies. SSE with a customer-managed key
 * (CloudWatch cannot publish to a topic encrypted with the AWS-managed aws/sns
 * key: its policy cannot be changed to let cloudwatch.amazonaws.com use it),
 * TLS-only, and both the key and the topic let CloudWatch in only on behalf of
 * this pipeline's alarms in this account (confused-deputy conditions).
 */
export class AlarmTopic extends Construct {
  readonly topic: sns.Topic;
  readonly key: kms.Key;

  constructor(scope: Construct, id: string, props: AlarmTopicProps) {
    super(scope, id);
    const { config } = props;
    const stack = Stack.of(this);
    const prefix = alarmPrefix(config);

    this.key = new kms.Key(this, 'Key', {
      description: `Encrypts the ${prefix} alarm topic`,
      enableKeyRotation: true,
      removalPolicy: removalPolicy(config),
    });
    const cloudwatch = new iam.ServicePrincipal('cloudwatch.amazonaws.com');
    const onlyOurAlarms = {
      StringEquals: { 'aws:SourceAccount': stack.account },
      ArnLike: { 'aws:SourceArn': `arn:${stack.partition}:cloudwatch:${stack.region}:${stack.account}:alarm:${prefix}-*` },
    };
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudWatchAlarmsToUseTheKey',
        principals: [cloudwatch],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: onlyOurAlarms,
      }),
    );

    this.topic = new sns.Topic(this, 'Topic', {
      displayName: `${prefix} alarms`,
      masterKey: this.key,
      enforceSSL: true,
    });
    this.topic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudWatchAlarmsToPublish',
        principals: [cloudwatch],
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
        conditions: onlyOurAlarms,
      }),
    );

    for (const email of config.alarmEmails) this.topic.addSubscription(new subs.EmailSubscription(email));
    for (const [i, s] of config.alarmSubscriptions.entries()) {
      if (s.protocol === 'https') {
        if (!/^https:\/\/\S+$/.test(s.endpoint)) throw new ConfigError(`alarmSubscriptions[${i}]: an https endpoint must be an https:// URL, got ${s.endpoint}`);
        this.topic.addSubscription(new subs.UrlSubscription(s.endpoint, { protocol: sns.SubscriptionProtocol.HTTPS }));
      } else {
        if (!/^arn:[\w-]+:sqs:[\w-]+:\d{12}:[\w-]+(\.fifo)?$/.test(s.endpoint)) throw new ConfigError(`alarmSubscriptions[${i}]: an sqs endpoint must be a queue ARN, got ${s.endpoint}`);
        // An existing queue: its owner must allow this topic to SendMessage (and, if it is
        // KMS-encrypted, sns.amazonaws.com to use its key). CDK cannot change an imported queue's policy.
        this.topic.addSubscription(new subs.SqsSubscription(sqs.Queue.fromQueueArn(this, `SubscriberQueue${i}`, s.endpoint)));
      }
    }
  }
}

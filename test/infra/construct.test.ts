import { App, Aspects, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type * as cw from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import { AwsSolutionsChecks } from 'cdk-nag';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ConfigError, LandingToLake, type LandingToLakeProps } from '../../lib';

/** The construct as a team uses it (lib/index.ts), nested in their own stack next to their own resources. */
const orders = JSON.parse(readFileSync('config/contracts/orders.json', 'utf8'));

function build(extra: Partial<LandingToLakeProps> = {}, more: (stack: Stack, p: LandingToLake) => void = () => {}) {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'Team', { env: { account: '111111111111', region: 'eu-west-1' } });
  const p = new LandingToLake(stack, 'Pipeline', {
    datasets: [
      { contract: orders, freshnessSlaMinutes: 60 },
      { contract: 'config/contracts/sales.json', freshnessSlaMinutes: 120 },
    ],
    ...extra,
  });
  more(stack, p);
  Aspects.of(app).add(new AwsSolutionsChecks());
  const assembly = app.synth();
  const errors = assembly
    .getStackByName('Team')
    .messages.filter((m) => m.level === 'error')
    .map((m) => `${m.id} ${String(m.entry.data).slice(0, 120)}`);
  return { stack, p, template: Template.fromStack(stack), errors };
}

describe('LandingToLake in a team stack', () => {
  it('brings its own topic: no topic or key created, alarms notify the given one', () => {
    const own = build();
    expect(Object.keys(own.template.findResources('AWS::SNS::Topic'))).toHaveLength(1);
    expect(own.p.config.datasets.map((d) => d.name)).toEqual(['orders', 'sales']);
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new Stack(app, 'Byo', { env: { account: '111111111111', region: 'eu-west-1' } });
    const topic = sns.Topic.fromTopicArn(stack, 'Topic', 'arn:aws:sns:eu-west-1:111111111111:team-alarms');
    const p = new LandingToLake(stack, 'Pipeline', { datasets: [{ contract: orders, freshnessSlaMinutes: 60 }], alarmTopic: topic });
    const t = Template.fromStack(stack);
    expect(Object.keys(t.findResources('AWS::SNS::Topic'))).toHaveLength(0);
    expect(Object.keys(t.findResources('AWS::KMS::Key'))).toHaveLength(0);
    expect(JSON.stringify(t.findResources('AWS::CloudWatch::CompositeAlarm'))).toContain('arn:aws:sns:eu-west-1:111111111111:team-alarms');
    expect(p.alarmTopic.topicArn).toBe(topic.topicArn);
  });

  it('encrypts a new topic with a brought key', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new Stack(app, 'Key', { env: { account: '111111111111', region: 'eu-west-1' } });
    const key = kms.Key.fromKeyArn(stack, 'K', 'arn:aws:kms:eu-west-1:111111111111:key/abcd');
    new LandingToLake(stack, 'Pipeline', { datasets: [{ contract: orders, freshnessSlaMinutes: 60 }], alarmTopicKey: key });
    const t = Template.fromStack(stack);
    expect(Object.keys(t.findResources('AWS::KMS::Key'))).toHaveLength(0);
    t.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: 'arn:aws:kms:eu-west-1:111111111111:key/abcd' });
  });

  it('grants exactly one dataset or all, with the Glue catalog read', () => {
    const { template } = build({}, (stack, p) => {
      const role = new iam.Role(stack, 'Analyst', { assumedBy: new iam.AccountRootPrincipal() });
      p.grantReadGold(role, 'orders');
      p.grantPutLanding(role);
    });
    const policy = JSON.stringify(Object.entries(template.findResources('AWS::IAM::Policy')).filter(([id]) => id.startsWith('Analyst')));
    expect(policy).toContain('/gold/orders/');
    expect(policy).not.toContain('/gold/sales/');
    expect(policy).not.toContain('/silver/');
    expect(policy).toContain('glue:GetTable');
    expect(policy).toContain('table/landing_to_lake_dev/orders_');
    expect(policy).toContain('/landing/orders/*');
    expect(policy).toContain('/landing/sales/*');
    expect(policy).not.toMatch(/"s3:\w*\*"/);
  });

  it('refuses an unknown dataset, a contract twice, and no dataset', () => {
    expect(() => build({}, (_s, p) => p.grantReadSilver(new iam.AnyPrincipal(), 'nope'))).toThrow(/no dataset nope \(datasets: orders, sales\)/);
    expect(() =>
      build({
        datasets: [
          { contract: orders, freshnessSlaMinutes: 1 },
          { contract: orders, freshnessSlaMinutes: 2 },
        ],
      }),
    ).toThrow(ConfigError);
    expect(() => build({ datasets: [] })).toThrow(/at least one dataset/);
    expect(() => build({ settings: { stages: { memoryMb: 1 } } })).toThrow(/stages\.memoryMb/);
  });

  it('metrics: one dataset, or all of them (sum; freshness the maximum)', () => {
    const { p } = build();
    const one = p.metricFilesQuarantined('orders') as cw.Metric;
    expect(one.dimensions).toEqual({ service: 'landing-to-lake', dataset: 'orders', stage: 'quarantine' });
    const all = p.metricRowsOut() as cw.MathExpression;
    expect(all.expression).toBe('m0+m1');
    expect((p.metricFreshness() as cw.MathExpression).expression).toBe('MAX([m0,m1])');
    expect((p.metricGoldNullSums('orders') as cw.Metric).metricName).toBe('GoldNullSums');
    expect((p.metricGoldNullSums('orders') as cw.Metric).dimensions).toEqual({ service: 'landing-to-lake', dataset: 'orders', stage: 'publish' });
  });

  it('suppresses cdk-nag on its own resources only: a team function beside it keeps its findings', () => {
    const { errors } = build({}, (stack) => {
      new lambda.Function(stack, 'TeamFunction', {
        runtime: lambda.Runtime.NODEJS_24_X,
        handler: 'index.handler',
        code: lambda.Code.fromInline('exports.handler=async()=>1'),
      });
      new s3.Bucket(stack, 'TeamBucket');
    });
    expect(errors.filter((e) => e.includes('/Team/Pipeline/'))).toEqual([]);
    expect(errors.some((e) => e.includes('/Team/TeamFunction/'))).toBe(true);
    expect(errors.some((e) => e.includes('/Team/TeamBucket/'))).toBe(true);
  });
});

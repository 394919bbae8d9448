import { App, Stack, type CfnElement } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, type PipelineConfig } from '../../lib/config';
import { RUNBOOK, RUNBOOK_PATH } from '../../lib/monitoring';
import { PipelineStack } from '../../lib/pipeline-stack';

// biome-ignore lint/suspicious/noExplicitAny: synthesized CloudFormation is untyped JSON, read field by field
type Json = Record<string, any>;

/** Synthesized without esbuild bundling (assets are irrelevant to the template's shape). */
function synth(env = 'dev', tweak: (c: PipelineConfig) => PipelineConfig = (c) => c) {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const config = tweak(loadConfig('config/pipeline.json', env));
  const stack = new PipelineStack(app, 'T', { config });
  return { stack, config, template: Template.fromStack(stack) };
}

let stack: PipelineStack;
let config: PipelineConfig;
let t: Template;
let topicRef: Json;
let P: string;
beforeAll(() => {
  ({ stack, config, template: t } = synth());
  topicRef = stack.resolve(stack.monitoring.topic.topicArn);
  P = `${config.name}-${config.envName}`;
});

const alarms = () => Object.values<Json>(t.findResources('AWS::CloudWatch::Alarm')).map((r) => r.Properties);
const composites = () => Object.values<Json>(t.findResources('AWS::CloudWatch::CompositeAlarm')).map((r) => r.Properties);
const alarm = (what: string) => {
  const found = [...alarms(), ...composites()].filter((a) => a.AlarmName === `${P}-${what}`);
  expect(found, `alarm ${P}-${what}`).toHaveLength(1);
  return found[0];
};
const ref = (x: unknown) => stack.resolve(x);
/** The example datasets whose gold sums an integer or decimal column (events sums a double). */
const exactSums = () => ['orders', 'sales', 'weather'];
/** The alarm names inside a composite rule, from the ARNs it references. */
const ruleChildren = (rule: Json): string[] => {
  const parts = rule['Fn::Join'][1] as unknown[];
  const byLogicalId = new Map(
    Object.entries<Json>({ ...t.findResources('AWS::CloudWatch::Alarm'), ...t.findResources('AWS::CloudWatch::CompositeAlarm') }).map(([id, r]) => [
      id,
      r.Properties.AlarmName,
    ]),
  );
  return parts.filter((p): p is Json => typeof p === 'object').map((p) => byLogicalId.get(p['Fn::GetAtt'][0]) as string);
};

type Routing = 'direct' | 'composite-only';
interface Expect {
  threshold: number;
  evaluationPeriods: number;
  datapointsToAlarm?: number;
  missing: 'breaching' | 'notBreaching';
  routing: Routing;
  metric?: { namespace: string; name: string; statistic?: string; extended?: string; period: number; dimensions?: Json[] };
  expression?: { expression: string; ids: Record<string, { name: string; stat: string; period: number }> };
}

function expectAlarm(what: string, e: Expect) {
  const a = alarm(what);
  expect(a.Threshold, what).toBe(e.threshold);
  expect(a.ComparisonOperator, what).toBe('GreaterThanThreshold');
  expect(a.EvaluationPeriods, what).toBe(e.evaluationPeriods);
  expect(a.DatapointsToAlarm, what).toBe(e.datapointsToAlarm ?? e.evaluationPeriods);
  expect(a.TreatMissingData, what).toBe(e.missing);
  if (e.routing === 'direct') {
    expect(a.AlarmActions, what).toEqual([topicRef]);
    expect(a.OKActions, what).toEqual([topicRef]);
  } else {
    expect(a.AlarmActions, what).toBeUndefined();
    expect(a.OKActions, what).toBeUndefined();
  }
  if (e.metric) {
    expect(a, what).toMatchObject({ Namespace: e.metric.namespace, MetricName: e.metric.name, Period: e.metric.period });
    if (e.metric.statistic) expect(a.Statistic, what).toBe(e.metric.statistic);
    if (e.metric.extended) expect(a.ExtendedStatistic, what).toBe(e.metric.extended);
    if (e.metric.dimensions) expect(a.Dimensions, what).toEqual(e.metric.dimensions);
  }
  if (e.expression) {
    expect(a.MetricName, what).toBeUndefined();
    const expr = (a.Metrics as Json[]).find((m) => m.Expression);
    expect(expr, what).toMatchObject({ Expression: e.expression.expression, ReturnData: true });
    for (const [id, m] of Object.entries(e.expression.ids)) {
      expect(
        (a.Metrics as Json[]).find((x) => x.Id === id),
        `${what} ${id}`,
      ).toMatchObject({ ReturnData: false, MetricStat: { Metric: { MetricName: m.name }, Stat: m.stat, Period: m.period } });
    }
  }
  expect(a.AlarmDescription, what).toMatch(new RegExp(`Runbook: ${RUNBOOK_PATH}#[a-z0-9-]+$`));
  return a;
}

const pipelineDims = (dataset: string, stage: string) => [
  { Name: 'dataset', Value: dataset },
  { Name: 'service', Value: 'landing-to-lake' },
  { Name: 'stage', Value: stage },
];

describe('alarm topic', () => {
  it('is encrypted with a rotating customer-managed key that CloudWatch alarms (only ours) may use', () => {
    const keyId = stack.resolve(stack.monitoring.topic.masterKey!.keyArn);
    t.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: keyId });
    expect(keyId).not.toContain('alias/aws/sns');
    t.hasResourceProperties('AWS::KMS::Key', {
      EnableKeyRotation: true,
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Allow',
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
            Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } }, ArnLike: { 'aws:SourceArn': Match.anyValue() } },
          }),
        ]),
      },
    });
  });

  it("enforces TLS and lets CloudWatch publish, scoped to this pipeline's alarm names", () => {
    const policy = Object.values<Json>(t.findResources('AWS::SNS::TopicPolicy'))[0].Properties.PolicyDocument.Statement as Json[];
    expect(policy).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ Effect: 'Deny', Principal: '*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        expect.objectContaining({ Effect: 'Allow', Principal: { Service: 'cloudwatch.amazonaws.com' }, Action: 'sns:Publish' }),
      ]),
    );
    const arn = policy.find((s) => s.Effect === 'Allow')!.Condition.ArnLike['aws:SourceArn'];
    expect(JSON.stringify(arn)).toContain(`:alarm:${P}-*`);
  });

  it('subscribes config.alarmEmails (per environment) and the extra https/sqs subscribers', () => {
    t.resourcePropertiesCountIs('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'data-oncall@example.com', TopicArn: topicRef }, 1);
    expect(Object.keys(synth('test').template.findResources('AWS::SNS::Subscription'))).toHaveLength(0);
    const extra = synth('dev', (c) => ({
      ...c,
      alarmSubscriptions: [
        { protocol: 'https', endpoint: 'https://hooks.example.com/alarms' },
        { protocol: 'sqs', endpoint: 'arn:aws:sqs:eu-west-1:123456789012:oncall-inbox' },
      ],
    })).template;
    extra.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'https', Endpoint: 'https://hooks.example.com/alarms' });
    extra.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'sqs', Endpoint: 'arn:aws:sqs:eu-west-1:123456789012:oncall-inbox' });
    expect(() => synth('dev', (c) => ({ ...c, alarmSubscriptions: [{ protocol: 'https', endpoint: 'http://insecure' }] }))).toThrow(ConfigError);
    expect(() => synth('dev', (c) => ({ ...c, alarmSubscriptions: [{ protocol: 'sqs', endpoint: 'https://sqs.eu-west-1.amazonaws.com/1/q' }] }))).toThrow(
      ConfigError,
    );
  });

  it('is a stack output', () => {
    t.hasOutput('AlarmTopicArn', { Value: topicRef });
  });
});

describe('freshness checker', () => {
  it('runs on an EventBridge rate schedule (no Scheduler, no custom resource)', () => {
    const fn = ref(stack.monitoring.freshnessChecker.fn.functionArn);
    t.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(5 minutes)', Targets: [Match.objectLike({ Arn: fn })] });
    expect(Object.keys(t.findResources('AWS::Scheduler::Schedule'))).toHaveLength(0);
  });

  it('knows every dataset and its SLA, and may only touch _state/freshness/ of the lake', () => {
    const fn = Object.values<Json>(t.findResources('AWS::Lambda::Function')).find((f) => f.Properties.Environment.Variables.FRESHNESS_DATASETS)!;
    expect(JSON.parse(fn.Properties.Environment.Variables.FRESHNESS_DATASETS)).toEqual(
      config.datasets.map((d) => ({ name: d.name, freshnessSlaMinutes: d.freshnessSlaMinutes })),
    );
    expect(fn.Properties.Environment.Variables.LAKE_BUCKET).toEqual(ref(stack.storage.lake.bucketName));
    const policy = Object.entries<Json>(t.findResources('AWS::IAM::Policy')).find(([id]) => id.startsWith('MonitoringFreshnessChecker'))![1];
    const resources = JSON.stringify(policy.Properties.PolicyDocument.Statement.map((s: Json) => s.Resource));
    expect(resources).toContain('/_state/freshness/*');
    expect(resources).not.toMatch(/\/(landing|bronze|silver|gold|quarantine|manifests)\/\*/);
    expect(JSON.stringify(policy.Properties.PolicyDocument)).not.toContain('s3:Delete');
  });
});

describe('alarms', () => {
  const stages = ['dispatch', 'validate', 'transform', 'publish', 'quarantine'] as const;

  it('all are named <name>-<env>-<what>, say what broke and link to an existing runbook section', () => {
    const runbook = readFileSync(RUNBOOK_PATH, 'utf8');
    const anchors = new Set(
      [...runbook.matchAll(/^#{1,6} (.+)$/gm)].map((m) =>
        m[1]
          .trim()
          .toLowerCase()
          .replace(/[^a-z0-9 -]/g, '')
          .replace(/ /g, '-'),
      ),
    );
    for (const a of Object.values(RUNBOOK)) expect(anchors, `runbook section #${a}`).toContain(a);
    const all = [...alarms(), ...composites()];
    // 21 pipeline-wide alarms, 4 per dataset and gold-sums-null for those with exact sums, 6 composites.
    expect(all).toHaveLength(21 + 4 * config.datasets.length + exactSums().length + 6);
    for (const a of all) {
      expect(a.AlarmName.startsWith(`${P}-`), a.AlarmName).toBe(true);
      const anchor = /Runbook: docs\/runbook\.md#([a-z0-9-]+)$/.exec(a.AlarmDescription)?.[1];
      expect(anchors, `${a.AlarmName} -> #${anchor}`).toContain(anchor);
      expect(a.AlarmDescription.length).toBeLessThanOrEqual(1024);
    }
    expect(new Set(all.map((a) => a.AlarmName)).size).toBe(all.length);
  });

  it('per stage Lambda: error rate (errors / invocations), throttles, p95 duration vs 80% of the timeout', () => {
    for (const s of stages) {
      const fn = s === 'dispatch' ? stack.ingest.dispatcher : stack.orchestration.functions[s];
      const fnDims = [{ Name: 'FunctionName', Value: ref(fn.functionName) }];
      const rate = expectAlarm(`${s}-error-rate`, {
        threshold: 0.05,
        evaluationPeriods: 1,
        missing: 'notBreaching',
        routing: 'composite-only',
        expression: {
          expression: 'IF(invocations > 0, errors / invocations, 0)',
          ids: { errors: { name: 'Errors', stat: 'Sum', period: 300 }, invocations: { name: 'Invocations', stat: 'Sum', period: 300 } },
        },
      });
      for (const m of (rate.Metrics as Json[]).filter((x) => x.MetricStat))
        expect(m.MetricStat.Metric).toMatchObject({ Namespace: 'AWS/Lambda', Dimensions: fnDims });
      expectAlarm(`${s}-throttles`, {
        threshold: 0,
        evaluationPeriods: 1,
        missing: 'notBreaching',
        routing: 'composite-only',
        metric: { namespace: 'AWS/Lambda', name: 'Throttles', statistic: 'Sum', period: 300, dimensions: fnDims },
      });
      // The function's deployed timeout (dispatch has its own; stages use config.stages.timeoutSeconds).
      const timeoutMs = t.toJSON().Resources[stack.getLogicalId(fn.node.defaultChild as CfnElement)].Properties.Timeout * 1000;
      if (s !== 'dispatch') expect(timeoutMs).toBe(config.stages.timeoutSeconds * 1000);
      expectAlarm(`${s}-duration-p95`, {
        threshold: timeoutMs * 0.8,
        evaluationPeriods: 1,
        missing: 'notBreaching',
        routing: 'composite-only',
        metric: { namespace: 'AWS/Lambda', name: 'Duration', extended: 'p95', period: 900, dimensions: fnDims },
      });
    }
  });

  it('state machine: executions failed, timed out, aborted > 0', () => {
    const dims = [{ Name: 'StateMachineArn', Value: ref(stack.orchestration.stateMachine.stateMachineArn) }];
    for (const [what, name] of [
      ['executions-failed', 'ExecutionsFailed'],
      ['executions-timed-out', 'ExecutionsTimedOut'],
      ['executions-aborted', 'ExecutionsAborted'],
    ]) {
      expectAlarm(what, {
        threshold: 0,
        evaluationPeriods: 1,
        missing: 'notBreaching',
        routing: 'composite-only',
        metric: { namespace: 'AWS/States', name, statistic: 'Sum', period: 300, dimensions: dims },
      });
    }
  });

  it('queues: every DLQ and the failed queue non-empty, ingest backlog age, failed-queue age (warning)', () => {
    const q = (queue: { queueName: string }) => [{ Name: 'QueueName', Value: ref(queue.queueName) }];
    const visible = (queue: { queueName: string }) => ({
      namespace: 'AWS/SQS',
      name: 'ApproximateNumberOfMessagesVisible',
      statistic: 'Maximum',
      period: 300,
      dimensions: q(queue),
    });
    const base = { threshold: 0, evaluationPeriods: 1, missing: 'notBreaching', routing: 'composite-only' } as const;
    expectAlarm('ingest-dlq-visible', { ...base, metric: visible(stack.ingest.dlq) });
    expectAlarm('target-dlq-visible', { ...base, metric: visible(stack.ingest.targetDlq) });
    expectAlarm('failed-dlq-visible', { ...base, metric: visible(stack.orchestration.failedDlq) });
    expectAlarm('failed-queue-visible', { ...base, metric: visible(stack.orchestration.failedQueue) });
    expectAlarm('failed-queue-age', {
      ...base,
      routing: 'direct',
      threshold: 72 * 3600,
      metric: {
        namespace: 'AWS/SQS',
        name: 'ApproximateAgeOfOldestMessage',
        statistic: 'Maximum',
        period: 300,
        dimensions: q(stack.orchestration.failedQueue),
      },
    });
    expectAlarm('ingest-oldest-message-age', {
      ...base,
      threshold: 900,
      metric: { namespace: 'AWS/SQS', name: 'ApproximateAgeOfOldestMessage', statistic: 'Maximum', period: 300, dimensions: q(stack.ingest.queue) },
    });
  });

  it('per dataset: freshness vs SLA (missing = breaching), quarantine ratio (metric math), files quarantined and gold sums null (warnings, direct)', () => {
    for (const d of config.datasets) {
      expectAlarm(`${d.name}-freshness`, {
        threshold: d.freshnessSlaMinutes,
        evaluationPeriods: 2,
        missing: 'breaching',
        routing: 'composite-only',
        metric: {
          namespace: 'LandingToLake',
          name: 'MinutesSinceLastSuccess',
          statistic: 'Maximum',
          period: 300,
          dimensions: pipelineDims(d.name, 'freshness'),
        },
      });
      const ratio = expectAlarm(`${d.name}-quarantine-ratio`, {
        threshold: 0.1,
        evaluationPeriods: 1,
        missing: 'notBreaching',
        routing: 'composite-only',
        expression: {
          expression: 'IF(rowsIn > 0, rowsQuarantined / rowsIn, 0)',
          ids: { rowsIn: { name: 'RowsIn', stat: 'Sum', period: 900 }, rowsQuarantined: { name: 'RowsQuarantined', stat: 'Sum', period: 900 } },
        },
      });
      for (const m of (ratio.Metrics as Json[]).filter((x) => x.MetricStat))
        expect(m.MetricStat.Metric).toMatchObject({ Namespace: 'LandingToLake', Dimensions: pipelineDims(d.name, 'transform') });
      // Warnings on a count of this dataset's files: any one in 5 minutes notifies.
      const warnings = [
        ['files-quarantined', 'FilesQuarantined', 'quarantine'],
        ...(exactSums().includes(d.name) ? ([['gold-sums-null', 'GoldNullSums', 'publish']] as const) : []),
      ] as const;
      for (const [what, name, stage] of warnings) {
        const alarm = expectAlarm(`${d.name}-${what}`, {
          threshold: 0,
          evaluationPeriods: 1,
          missing: 'notBreaching',
          routing: 'direct',
          metric: { namespace: 'LandingToLake', name, statistic: 'Sum', period: 300, dimensions: pipelineDims(d.name, stage) },
        });
        expect(alarm.AlarmDescription).toMatch(/^\[WARNING\]/);
      }
    }
  });

  it('gold sums null: only for datasets whose gold sums an integer or decimal (no other measure goes NULL; a double sum goes to Infinity), alarm and dashboard line alike', () => {
    const mixed = synth('dev', (c) => ({
      ...c,
      datasets: c.datasets.map((d) =>
        d.name === 'sales'
          ? { ...d, contract: { ...d.contract, gold: d.contract.gold.map((g) => ({ ...g, measures: g.measures.filter((m) => m.fn !== 'sum') })) } }
          : d.name === 'orders'
            ? { ...d, contract: { ...d.contract, gold: [] } }
            : d,
      ),
    }));
    const names = Object.values<Json>(mixed.template.findResources('AWS::CloudWatch::Alarm')).map((r) => String(r.Properties.AlarmName));
    // sales: its sums removed; orders: no gold; events: sums a double; weather: sums a decimal.
    const sums = ['weather'];
    expect(names.filter((n) => n.endsWith('-gold-sums-null')).sort()).toEqual(sums.map((d) => `${P}-${d}-gold-sums-null`));
    const body = JSON.stringify(Object.values<Json>(mixed.template.findResources('AWS::CloudWatch::Dashboard'))[0].Properties.DashboardBody);
    expect(body.match(/gold sums null/g)).toHaveLength(sums.length);
  });

  it('only composites and the per-dataset warnings notify; every other alarm is a child of exactly the composites documented', () => {
    const direct = [...alarms(), ...composites()]
      .filter((a) => a.AlarmActions)
      .map((a) => a.AlarmName.slice(P.length + 1))
      .sort();
    expect(direct).toEqual(
      [
        'capacity',
        'failed-queue-age',
        'files-failing',
        'pipeline-failing',
        ...config.datasets.flatMap((d) => [`${d.name}-files-quarantined`, `${d.name}-unhealthy`]),
        ...exactSums().map((d) => `${d}-gold-sums-null`),
      ].sort(),
    );
    const childOf = new Map<string, string[]>();
    for (const c of composites()) for (const child of ruleChildren(c.AlarmRule)) childOf.set(child, [...(childOf.get(child) ?? []), c.AlarmName]);
    for (const a of alarms().filter((x) => !x.AlarmActions)) expect(childOf.get(a.AlarmName)?.length, `${a.AlarmName} reaches nobody`).toBeGreaterThan(0);
  });
});

describe('composite alarms', () => {
  const names = (c: Json) =>
    ruleChildren(c.AlarmRule)
      .map((n) => n.slice(P.length + 1))
      .sort();
  const pageOrWarn = (c: Json, label: string) => {
    expect(c.AlarmActions).toEqual([topicRef]);
    expect(c.OKActions).toEqual([topicRef]);
    expect(c.AlarmDescription).toMatch(new RegExp(`^\\[${label}\\]`));
    expect(c.AlarmRule['Fn::Join'][1].filter((p: unknown) => typeof p === 'string').join('')).toMatch(/^\(ALARM\(""\)( OR ALARM\(""\))+\)$/); // any-of, nothing else
  };

  it('per dataset "unhealthy" = freshness OR quarantine ratio OR pipeline-failing, quiet while pipeline-failing pages', () => {
    for (const d of config.datasets) {
      const c = alarm(`${d.name}-unhealthy`);
      pageOrWarn(c, 'PAGE');
      expect(names(c)).toEqual([`${d.name}-freshness`, `${d.name}-quarantine-ratio`, 'pipeline-failing'].sort());
      expect(c.ActionsSuppressor).toEqual(ref(stack.monitoring.pipelineFailing.alarmArn));
      expect(c).toMatchObject({ ActionsSuppressorWaitPeriod: 120, ActionsSuppressorExtensionPeriod: 600 });
    }
  });

  it('pipeline-failing pages on faults that stop every dataset', () => {
    const c = alarm('pipeline-failing');
    pageOrWarn(c, 'PAGE');
    expect(names(c)).toEqual([
      'dispatch-error-rate',
      'executions-aborted',
      'executions-timed-out',
      'failed-dlq-visible',
      'ingest-dlq-visible',
      'ingest-oldest-message-age',
      'quarantine-error-rate',
      'target-dlq-visible',
    ]);
  });

  it('files-failing (warning) groups the signals one bad file trips, so it is one message', () => {
    const c = alarm('files-failing');
    pageOrWarn(c, 'WARNING');
    expect(names(c)).toEqual(['executions-failed', 'failed-queue-visible', 'publish-error-rate', 'transform-error-rate', 'validate-error-rate']);
  });

  it('capacity (warning) groups throttles and p95 durations of every stage', () => {
    const c = alarm('capacity');
    pageOrWarn(c, 'WARNING');
    expect(names(c)).toHaveLength(10);
    expect(names(c).every((n) => /-(throttles|duration-p95)$/.test(n))).toBe(true);
  });
});

describe('dashboard', () => {
  it('spreads the alarm status over widgets of at most 100 alarms (CloudWatch refuses more), every alarm shown once', () => {
    const many = synth('dev', (c) => ({
      ...c,
      datasets: Array.from({ length: 20 }, (_, i) => ({ ...c.datasets[0], name: `d${i}`, contract: { ...c.datasets[0].contract, dataset: `d${i}` } })),
    }));
    const body = (Object.values<Json>(many.template.findResources('AWS::CloudWatch::Dashboard'))[0].Properties.DashboardBody['Fn::Join'][1] as unknown[])
      .map((x) => (typeof x === 'string' ? x : 'TOKEN'))
      .join('');
    const widgets = (JSON.parse(body).widgets as Json[]).filter((w) => w.type === 'alarm');
    expect(widgets.map((w) => w.properties.alarms.length)).toEqual([100, 27]);
    expect(widgets.map((w) => w.properties.title)).toEqual(['Alarms', 'Alarms (2)']);
  });

  it('exists, shows alarm status, per-dataset files/rows/freshness with the SLA line, stages, executions and queues', () => {
    const dashboards = Object.values<Json>(t.findResources('AWS::CloudWatch::Dashboard'));
    expect(dashboards).toHaveLength(1);
    expect(dashboards[0].Properties.DashboardName).toBe(P);
    const body = (dashboards[0].Properties.DashboardBody['Fn::Join'][1] as unknown[]).map((x) => (typeof x === 'string' ? x : 'TOKEN')).join('');
    const widgets = JSON.parse(body).widgets as Json[];
    const titles = widgets.map((w) => w.properties.title).filter(Boolean);
    const alarmWidget = widgets.find((w) => w.type === 'alarm')!;
    expect(alarmWidget.properties.alarms).toHaveLength(21 + 4 * config.datasets.length + exactSums().length + 6);
    for (const d of config.datasets) {
      expect(titles).toEqual(expect.arrayContaining([`${d.name}: files`, `${d.name}: rows`, `${d.name}: minutes since last successful load`]));
      const fresh = widgets.find((w) => w.properties.title === `${d.name}: minutes since last successful load`)!;
      expect(fresh.properties.annotations.horizontal).toEqual([
        expect.objectContaining({ value: d.freshnessSlaMinutes, label: `SLA ${d.freshnessSlaMinutes} min` }),
      ]);
    }
    expect(titles).toEqual(
      expect.arrayContaining(['Stage duration p95 (ms)', 'Stage errors', 'Executions', 'Queue depth (visible messages)', 'Age of oldest message (s)']),
    );
  });
});

describe('wiring', () => {
  it('Monitoring is a child of the stack and adds no custom resources', () => {
    expect(Stack.of(stack.monitoring)).toBe(stack);
    const types = Object.values<Json>(t.toJSON().Resources).map((r) => r.Type as string);
    expect(types.filter((x) => x.startsWith('Custom::') || x === 'AWS::CloudFormation::CustomResource')).toEqual([]);
  });
});

import { App, type Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../lib/config';
import { PipelineStack } from '../../lib/pipeline-stack';
import { synth } from './synth';

// biome-ignore lint/suspicious/noExplicitAny: synthesized CloudFormation is untyped JSON, read field by field
type Json = Record<string, any>;
interface Statement {
  Action: string | string[];
  Resource: unknown;
  Effect: string;
}

/** Actions AWS offers no resource-level permission for: the only ones allowed on "Resource": "*". */
const NO_RESOURCE_LEVEL = new Set([
  'xray:PutTraceSegments',
  'xray:PutTelemetryRecords',
  'xray:GetSamplingRules',
  'xray:GetSamplingTargets',
  'logs:CreateLogDelivery',
  'logs:GetLogDelivery',
  'logs:UpdateLogDelivery',
  'logs:DeleteLogDelivery',
  'logs:ListLogDeliveries',
  'logs:PutResourcePolicy',
  'logs:DescribeResourcePolicies',
  'logs:DescribeLogGroups',
]);

const list = <T>(x: T | T[]): T[] => (Array.isArray(x) ? x : [x]);

/** Every Allow statement of every policy in the template, with the policy's logical id. */
function statements(t: Template): { id: string; s: Statement }[] {
  const out: { id: string; s: Statement }[] = [];
  for (const [id, p] of Object.entries<Json>(t.findResources('AWS::IAM::Policy')))
    for (const s of p.Properties.PolicyDocument.Statement as Statement[]) out.push({ id, s });
  for (const [id, r] of Object.entries<Json>(t.findResources('AWS::IAM::Role')))
    for (const p of r.Properties.Policies ?? []) for (const s of p.PolicyDocument.Statement as Statement[]) out.push({ id, s });
  return out.filter((x) => x.s.Effect === 'Allow');
}

/** `policy: action` for every action granted on "Resource": "*" that has resource-level permissions. */
function resourceStarViolations(t: Template): string[] {
  return statements(t)
    .filter(({ s }) => list(s.Resource).includes('*'))
    .flatMap(({ id, s }) =>
      list(s.Action)
        .filter((a) => !NO_RESOURCE_LEVEL.has(a))
        .map((a) => `${id}: ${a}`),
    );
}

/** The object prefixes (after the bucket ARN) a policy grants an action on. */
function prefixes(t: Template, policyPrefix: string, action: string): string[] {
  return statements(t)
    .filter(({ id, s }) => id.startsWith(policyPrefix) && list(s.Action).includes(action))
    .flatMap(({ s }) => list(s.Resource))
    .map((r) => {
      if (typeof r === 'string') return r;
      const parts: unknown = (r as Json)['Fn::Join']?.[1];
      // Any other form (Fn::Sub, Fn::GetAtt) fails here rather than passing the prefix checks unseen.
      if (!Array.isArray(parts)) throw new Error(`unexpected resource form ${JSON.stringify(r)}`);
      return parts.filter((p) => typeof p === 'string').join('');
    })
    .filter((r) => r.startsWith('/'))
    .sort();
}

let t: Template;
let stack: Stack;
beforeAll(() => {
  ({ template: t, stack } = synth());
});

describe('IAM', () => {
  it('grants no action wildcard on S3 (s3:* or s3:DeleteObject*) to the pipeline stages', () => {
    for (const { id, s } of statements(t)) {
      if (id.includes('FreshnessChecker')) continue; // grantRead on _state/freshness/ only; see its suppression
      for (const a of list(s.Action).filter((x) => x.startsWith('s3:'))) expect(a, `${id}`).not.toMatch(/\*/);
    }
  });

  it('Transform deletes only what a re-upload replaces; Publish writes _state/ only under _state/freshness/', () => {
    expect(prefixes(t, 'OrchestrationTransformFunction', 's3:DeleteObject')).toEqual([
      '/_partials/gold/*',
      '/quarantine/events/rows/*',
      '/quarantine/orders/rows/*',
      '/quarantine/sales/rows/*',
      '/quarantine/weather/duplicates/*',
      '/quarantine/weather/rows/*',
      '/silver/*',
    ]);
    expect(prefixes(t, 'OrchestrationTransformFunction', 's3:PutObject')).not.toContain('/gold/*');
    expect(prefixes(t, 'OrchestrationPublishFunction', 's3:PutObject').filter((p) => p.startsWith('/_state/'))).toEqual(['/_state/freshness/*']);
    expect(prefixes(t, 'OrchestrationPublishFunction', 's3:DeleteObject')).toEqual([]);
    for (const stage of ['Validate', 'Quarantine']) expect(prefixes(t, `Orchestration${stage}Function`, 's3:DeleteObject'), stage).toEqual([]);
  });

  it('a multipart upload or copy (past 5 GiB) can be aborted only where each stage writes large files: bronze, silver, quarantine', () => {
    expect(prefixes(t, 'OrchestrationTransformFunction', 's3:AbortMultipartUpload')).toEqual(['/bronze/*', '/quarantine/*', '/silver/*']);
    expect(prefixes(t, 'OrchestrationQuarantineFunction', 's3:AbortMultipartUpload')).toEqual(['/quarantine/*']);
    for (const stage of ['Validate', 'Publish']) expect(prefixes(t, `Orchestration${stage}Function`, 's3:AbortMultipartUpload'), stage).toEqual([]);
  });

  it('the replay machine lists the landing bucket and reads no object', () => {
    const replay = statements(t).filter(({ id }) => id.startsWith('ReplayReplayMachine'));
    const actions = replay.flatMap(({ s }) => list(s.Action));
    expect([...new Set(actions.filter((a) => a.startsWith('s3:')))]).toEqual(['s3:ListBucket']);
  });

  it('"Resource": "*" only for actions without resource-level permissions (X-Ray, log delivery)', () => {
    expect(resourceStarViolations(t)).toEqual([]);
    expect(statements(t).some(({ s }) => list(s.Resource).includes('*'))).toBe(true); // the check has something to look at
  });

  it('that check fails when a grant on "*" is added (it can fail)', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const bad = new PipelineStack(app, 'Bad', { config: loadConfig('config/pipeline.json', 'dev') });
    bad.orchestration.functions.publish.addToRolePolicy(new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: ['*'] }));
    expect(resourceStarViolations(Template.fromStack(bad))).toEqual([expect.stringMatching(/^OrchestrationPublishFunction.*: s3:GetObject$/)]);
  });

  it('cdk-nag suppressions are attached to resources, none stack-wide, and none suppresses IAM5 without naming what it allows', () => {
    expect(t.toJSON().Metadata?.cdk_nag).toBeUndefined();
    const resources = Object.values(
      t.toJSON().Resources as Record<string, { Metadata?: { cdk_nag?: { rules_to_suppress: { id: string; applies_to?: unknown[] }[] } } }>,
    );
    const rules = resources.flatMap((r) => r.Metadata?.cdk_nag?.rules_to_suppress ?? []);
    expect(rules.length).toBeGreaterThan(0);
    for (const r of rules.filter((x) => x.id === 'AwsSolutions-IAM5' || x.id === 'AwsSolutions-IAM4'))
      expect(r.applies_to?.length, JSON.stringify(r)).toBeGreaterThan(0);
    expect(stack).toBeDefined();
  });
});

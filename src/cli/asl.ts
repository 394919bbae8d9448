import { App, CfnElement, Stack } from 'aws-cdk-lib';
import type { CfnStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import type { PipelineConfig } from '../../lib/config';
import { PipelineStack } from '../../lib/pipeline-stack';

/**
 * The state machine definition exactly as the CDK app synthesizes it (not a
 * hand-kept copy). CloudFormation references inside it (function ARNs, queue
 * URLs) become local placeholders; the local runner replaces those tasks with
 * in-process handlers by state name anyway.
 */
export function synthesizeDefinition(config: PipelineConfig): Record<string, unknown> {
  // Skip esbuild: the local run imports handlers directly, no bundles needed.
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new PipelineStack(app, `${config.name}-local`, { config, env: { account: '000000000000', region: 'local-1' } });
  const cfn = stack.orchestration.stateMachine.node.defaultChild as CfnStateMachine;
  const resolved = stack.resolve(cfn.definitionString) as unknown;
  return JSON.parse(flatten(resolved, stack));
}

function flatten(value: unknown, stack: Stack): string {
  if (typeof value === 'string') return value;
  const v = value as Record<string, unknown>;
  if (Array.isArray(v?.['Fn::Join'])) {
    const [sep, parts] = v['Fn::Join'] as [string, unknown[]];
    return parts.map((p) => flatten(p, stack)).join(sep);
  }
  if (Array.isArray(v?.['Fn::GetAtt'])) {
    const [logicalId] = v['Fn::GetAtt'] as [string];
    return `arn:aws:lambda:local-1:000000000000:function:${logicalId}`;
  }
  if (typeof v?.Ref === 'string') {
    const el = stack.node.findAll().find((c) => c instanceof CfnElement && stack.getLogicalId(c) === v.Ref);
    return `local://${el?.node.path ?? v.Ref}`;
  }
  return JSON.stringify(value).replace(/"/g, '');
}

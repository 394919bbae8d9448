import { App, Aspects } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { loadConfig, type PipelineConfig } from '../../lib/config';
import { PipelineStack } from '../../lib/pipeline-stack';

/** Synthesized without esbuild bundling (assets are irrelevant to the template's shape), with cdk-nag applied. */
export function synth(env = 'dev', edit: (c: PipelineConfig) => PipelineConfig = (c) => c) {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new PipelineStack(app, `T-${env}`, { config: edit(loadConfig('config/pipeline.json', env)) });
  Aspects.of(app).add(new AwsSolutionsChecks());
  app.synth();
  return { stack, template: Template.fromStack(stack) };
}

export interface Asl {
  TimeoutSeconds?: number;
  States: Record<string, Record<string, unknown> & { Retry?: Retrier[]; Catch?: { ErrorEquals: string[] }[] }>;
}
export interface Retrier {
  ErrorEquals: string[];
  IntervalSeconds?: number;
  MaxAttempts?: number;
  BackoffRate?: number;
  MaxDelaySeconds?: number;
}

/** A state machine's definition with every CloudFormation reference replaced by REF. */
// biome-ignore lint/suspicious/noExplicitAny: synthesized CloudFormation is untyped JSON, read field by field
export function definitionOf(machine: { [key: string]: any }): Asl {
  const def = machine.Properties.DefinitionString as string | { 'Fn::Join': [string, unknown[]] };
  if (typeof def === 'string') return JSON.parse(def);
  return JSON.parse(def['Fn::Join'][1].map((p) => (typeof p === 'string' ? p : 'REF')).join(''));
}

export function machines(t: Template): { file: Asl; replay: Asl; fileProps: Record<string, unknown> } {
  const all = Object.values(t.findResources('AWS::StepFunctions::StateMachine'));
  const replay = all.find((m) => JSON.stringify(m.Properties.DefinitionString).includes('DISTRIBUTED'))!;
  const file = all.find((m) => m !== replay)!;
  return { file: definitionOf(file), replay: definitionOf(replay), fileProps: file.Properties };
}

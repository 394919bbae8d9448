import { readFileSync } from 'node:fs';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../lib/config';
import { PipelineStack } from '../../lib/pipeline-stack';
import { BUNDLE_TARGET, LAMBDA_RUNTIME } from '../../lib/stage-function';

const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
const pinned: string = pkg.devDependencies.node;
const major = pinned.split('.')[0];

describe('one Node everywhere', () => {
  it('the tests run on the Node the project pins', () => {
    console.log(`[runtime] unit tier on node ${process.version} (pinned ${pinned})`);
    expect(pinned).toMatch(/^\d+\.\d+\.\d+$/);
    expect(process.version).toBe(`v${pinned}`);
    expect(pkg.engines.node).toBe(`>=${major}`);
  });

  it('the Lambdas run, and are bundled for, the same major', () => {
    expect(LAMBDA_RUNTIME.name).toBe(`nodejs${major}.x`);
    expect(BUNDLE_TARGET).toBe(`node${major}`);
  });

  it.each(['dev', 'test', 'prod'])('no function of the %s template runs another runtime', (env) => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new PipelineStack(app, `R-${env}`, { config: loadConfig('config/pipeline.json', env) });
    const fns = Object.values(Template.fromStack(stack).findResources('AWS::Lambda::Function'));
    expect(fns.length).toBeGreaterThanOrEqual(5);
    expect(new Set(fns.map((f) => f.Properties.Runtime))).toEqual(new Set([`nodejs${major}.x`]));
  });
});

#!/usr/bin/env node
import { App, Aspects } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ConfigError, DEFAULT_CONFIG, loadConfig } from '../lib/config';
import { PipelineStack } from '../lib/pipeline-stack';

/**
 * CDK app. `-c env=<dev|test|prod>` picks the environment block of the config;
 * `-c config=<file>` picks another config file. Stack name: <name>-<env>.
 */
const app = new App();
const envName = String(app.node.tryGetContext('env') ?? 'dev');
const configFile = String(app.node.tryGetContext('config') ?? DEFAULT_CONFIG);

try {
  const config = loadConfig(configFile, envName);
  new PipelineStack(app, `${config.name}-${envName}`, {
    config,
    description: `Event-driven data pipeline ${config.name} (${envName}): landing -> bronze/silver/gold with quarantine`,
    env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
  });
  if (app.node.tryGetContext('nag') !== 'off') Aspects.of(app).add(new AwsSolutionsChecks({ verbose: true }));
} catch (e) {
  if (e instanceof ConfigError) {
    console.error(e.message);
    process.exit(2);
  }
  throw e;
}

import { Duration, RemovalPolicy, Size } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat, SourceMapMode } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { join } from 'node:path';
import type { PipelineConfig } from './config';

/**
 * Defaults every pipeline function shares (the solutions-constructs
 * `*-defaults` idea): Node 24 on arm64, its own log group with retention, X-Ray,
 * Powertools environment, and a self-contained bundle (AWS SDK included, so the
 * code runs against the SDK it was tested with, and on emulators without one).
 */

export const ROOT = join(__dirname, '..');

export interface StageFunctionProps {
  config: PipelineConfig;
  /** Handler file under lambdas/handlers, without extension. */
  entry: string;
  description: string;
  environment?: Record<string, string>;
  /** @default config.stages.timeoutSeconds */
  timeout?: Duration;
  /** @default config.stages.memoryMb */
  memoryMb?: number;
  /** Ship the dataset contracts inside the bundle. @default false */
  withContracts?: boolean;
  /** Reserved concurrency: a cap on this function and a guarantee for it. 0 or undefined: none. */
  reservedConcurrency?: number;
}

export function removalPolicy(config: PipelineConfig): RemovalPolicy {
  return config.removal === 'retain' ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
}

export function retentionDays(days: number): logs.RetentionDays {
  const allowed = Object.values(logs.RetentionDays).filter((v): v is number => typeof v === 'number' && v > 0).sort((a, b) => a - b);
  return (allowed.find((v) => v >= days) ?? logs.RetentionDays.TEN_YEARS) as logs.RetentionDays;
}

/**
 * The Lambdas' runtime and the bundles' target: the same Node major as the one
 * the project pins for tests, the CLI and the emulators (package.json `node`).
 */
export const LAMBDA_RUNTIME = lambda.Runtime.NODEJS_24_X;
export const BUNDLE_TARGET = 'node24';

export class StageFunction extends NodejsFunction {
  constructor(scope: Construct, id: string, props: StageFunctionProps) {
    const { config } = props;
    const logGroup = new logs.LogGroup(scope, `${id}Logs`, {
      retention: retentionDays(config.logRetentionDays),
      removalPolicy: removalPolicy(config),
    });
    const contracts = props.withContracts ? config.datasets.map((d) => d.contract) : [];
    super(scope, id, {
      entry: join(ROOT, 'lambdas', 'handlers', `${props.entry}.ts`),
      handler: 'handler',
      projectRoot: ROOT,
      depsLockFilePath: join(ROOT, 'package-lock.json'),
      description: props.description,
      runtime: LAMBDA_RUNTIME,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memoryMb ?? config.stages.memoryMb,
      reservedConcurrentExecutions: props.reservedConcurrency || undefined,
      timeout: props.timeout ?? Duration.seconds(config.stages.timeoutSeconds),
      ephemeralStorageSize: Size.mebibytes(props.withContracts ? config.stages.ephemeralStorageMb : 512),
      tracing: lambda.Tracing.ACTIVE,
      logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      environment: {
        POWERTOOLS_SERVICE_NAME: config.name,
        POWERTOOLS_METRICS_NAMESPACE: config.metricsNamespace,
        POWERTOOLS_LOG_LEVEL: 'INFO',
        NODE_OPTIONS: '--enable-source-maps',
        ...(config.faultInjection ? { PIPELINE_FAULT_INJECTION: 'on' } : {}),
        ...props.environment,
      },
      bundling: {
        externalModules: [],
        minify: true,
        sourceMap: true,
        sourceMapMode: SourceMapMode.DEFAULT,
        sourcesContent: false,
        target: BUNDLE_TARGET,
        format: OutputFormat.CJS,
        forceDockerBundling: false,
        define: props.withContracts ? { __PIPELINE_CONTRACTS__: JSON.stringify(contracts) } : {},
      },
    });
  }
}

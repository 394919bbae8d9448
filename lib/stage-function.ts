import { Duration, RemovalPolicy, Size } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat, SourceMapMode } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PipelineConfig } from './config';
import { LAMBDA_NODE_OPTIONS } from './node-options';

/**
 * Defaults every pipeline function shares (the solutions-constructs
 * `*-defaults` idea): Node 24 on arm64, its own log group with retention, X-Ray,
 * Powertools environment, and a self-contained bundle (AWS SDK included, so the
 * code runs against the SDK it was tested with, and on emulators without one).
 *
 * Two ways to the code, same function: inside this repository the handler's
 * TypeScript is bundled by NodejsFunction (esbuild); from the installed package
 * the bundles built at pack time (dist/handlers/<name>/index.js, see
 * scripts/bundle-handlers.ts) are used as they are, so a consumer needs no
 * esbuild and none of this repository's sources or lockfile.
 */

export const ROOT = join(__dirname, '..');

/** Where the pack-time bundles are, relative to the compiled lib/ (dist/lib -> dist/handlers). */
export const PREBUILT_HANDLERS = join(__dirname, '..', 'handlers');

/** The Lambda handlers, by file under lambdas/handlers (and bundle under dist/handlers). */
export const HANDLERS = ['dispatch', 'validate', 'transform', 'publish', 'quarantine', 'freshness'] as const;
export type HandlerName = (typeof HANDLERS)[number];

export interface StageFunctionProps {
  config: PipelineConfig;
  /** Handler file under lambdas/handlers, without extension. */
  entry: HandlerName;
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
  const allowed = Object.values(logs.RetentionDays)
    .filter((v): v is number => typeof v === 'number' && v > 0)
    .sort((a, b) => a - b);
  return (allowed.find((v) => v >= days) ?? logs.RetentionDays.TEN_YEARS) as logs.RetentionDays;
}

/**
 * The Lambdas' runtime and the bundles' target: the same Node major as the one
 * the project pins for tests, the CLI and the emulators (package.json `node`).
 */
export const LAMBDA_RUNTIME = lambda.Runtime.NODEJS_24_X;
export const BUNDLE_TARGET = 'node24';

/** A pipeline function: the pack-time bundle when the package ships one, else bundled from source. */
export function stageFunction(scope: Construct, id: string, props: StageFunctionProps): lambda.Function {
  return prebuiltBundle(props.entry) ? new PrebuiltStageFunction(scope, id, props) : new StageFunction(scope, id, props);
}

function prebuiltBundle(entry: HandlerName): string | undefined {
  const file = join(PREBUILT_HANDLERS, entry, 'index.js');
  return existsSync(file) ? file : undefined;
}

function sharedOptions(scope: Construct, id: string, props: StageFunctionProps) {
  const { config } = props;
  const logGroup = new logs.LogGroup(scope, `${id}Logs`, {
    retention: retentionDays(config.logRetentionDays),
    removalPolicy: removalPolicy(config),
  });
  return {
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
      NODE_OPTIONS: LAMBDA_NODE_OPTIONS,
      ...(config.faultInjection ? { PIPELINE_FAULT_INJECTION: 'on' } : {}),
      ...props.environment,
    },
  };
}

const contractsOf = (props: StageFunctionProps) => (props.withContracts ? props.config.datasets.map((d) => d.contract) : []);

/** In this repository: the handler's TypeScript bundled by esbuild at synth, contracts compiled in. */
export class StageFunction extends NodejsFunction {
  constructor(scope: Construct, id: string, props: StageFunctionProps) {
    super(scope, id, {
      ...sharedOptions(scope, id, props),
      entry: join(ROOT, 'lambdas', 'handlers', `${props.entry}.ts`),
      handler: 'handler',
      projectRoot: ROOT,
      depsLockFilePath: join(ROOT, 'package-lock.json'),
      bundling: {
        externalModules: [],
        minify: true,
        sourceMap: true,
        sourceMapMode: SourceMapMode.DEFAULT,
        sourcesContent: false,
        target: BUNDLE_TARGET,
        format: OutputFormat.CJS,
        forceDockerBundling: false,
        define: props.withContracts ? { __PIPELINE_CONTRACTS__: JSON.stringify(contractsOf(props)) } : {},
      },
    });
  }
}

/**
 * From the installed package: the pack-time bundle, with the contracts next to
 * it as contracts.json (lambdas/shared/deps.ts reads it), staged in a directory
 * named by the hash of both so the asset changes exactly when either does.
 */
export class PrebuiltStageFunction extends lambda.Function {
  constructor(scope: Construct, id: string, props: StageFunctionProps) {
    const bundle = prebuiltBundle(props.entry);
    if (!bundle)
      throw new Error(
        `landing-to-lake: no pre-built bundle for handler ${props.entry} under ${PREBUILT_HANDLERS}; the package was packed without \`npm run bundle:handlers\``,
      );
    const code = readFileSync(bundle);
    const contracts = JSON.stringify(contractsOf(props));
    const hash = createHash('sha256').update(code).update('\0').update(contracts).digest('hex').slice(0, 16);
    const dir = join(tmpdir(), 'landing-to-lake-assets', `${props.entry}-${hash}`);
    if (!existsSync(join(dir, 'index.js'))) {
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'contracts.json'), contracts);
      if (existsSync(`${bundle}.map`)) writeFileSync(join(dir, 'index.js.map'), readFileSync(`${bundle}.map`));
      // index.js last: its presence means the directory is complete (another synth may race us).
      writeFileSync(join(dir, 'index.js'), code);
    }
    super(scope, id, { ...sharedOptions(scope, id, props), code: lambda.Code.fromAsset(dir), handler: 'index.handler' });
  }
}

import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as cw from 'aws-cdk-lib/aws-cloudwatch';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { registryOf } from '../../lambdas/core/contract/contract';
import { s3ObjectCreated } from '../s3-events';
import { makeDispatch } from '../../lambdas/handlers/dispatch';
import { datasetsFromEnv, makeFreshness } from '../../lambdas/handlers/freshness';
import { makePublish } from '../../lambdas/handlers/publish';
import { makeQuarantine } from '../../lambdas/handlers/quarantine';
import type { FileState } from '../../lambdas/handlers/state';
import { makeTransform } from '../../lambdas/handlers/transform';
import { makeValidate } from '../../lambdas/handlers/validate';
import type { StageDeps } from '../../lambdas/shared/deps';
import { DirectoryObjectStore } from '../../lambdas/shared/dir-store';
import { createTelemetry } from '../../lambdas/shared/telemetry';
import { loadConfig, type PipelineConfig } from '../../lib/config';
import { hasGoldSums } from '../../lib/monitoring/datasets';
import { pipelineMetric } from '../../lib/monitoring/metrics';
import { PipelineStack } from '../../lib/pipeline-stack';

/**
 * The contract between what the handlers print and what the alarms watch. An
 * alarm on a metric nobody emits never fires (or, for freshness, always does),
 * and nothing else would notice: CloudWatch accepts any namespace, name and
 * dimension set. So: run the real handlers with real Powertools telemetry,
 * capture the EMF documents they print, and require every custom metric an
 * alarm (or the dashboard) references to be among them, with the exact
 * namespace, metric name and dimension set (names and values).
 */

// biome-ignore lint/suspicious/noExplicitAny: synthesized CloudFormation is untyped JSON, read field by field
type Json = Record<string, any>;
interface MetricRef {
  namespace: string;
  metricName: string;
  dimensions: Record<string, string>;
  /** Where it was referenced (alarm name or dashboard widget), for the failure message. */
  where: string;
}
interface Emf {
  _aws: { Timestamp: number; CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string; Unit?: string }[] }[] };
  [k: string]: unknown;
}

const CONFIG = 'config/pipeline.json';
const LANDING = 'landing-bucket';
const LAKE = 'lake-bucket';

function synth(extend?: (stack: PipelineStack, config: PipelineConfig) => void): { template: Json; config: PipelineConfig } {
  const config = loadConfig(CONFIG, 'dev');
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new PipelineStack(app, 'T', { config });
  extend?.(stack, config);
  return { template: Template.fromStack(stack).toJSON(), config };
}

const dims = (list: { Name: string; Value: unknown }[] | undefined, where: string): Record<string, string> =>
  Object.fromEntries(
    (list ?? []).map((d) => {
      if (typeof d.Value !== 'string')
        throw new Error(`${where}: dimension ${d.Name} is not a literal (${JSON.stringify(d.Value)}); a custom metric's dimensions must be known at synth`);
      return [d.Name, d.Value];
    }),
  );

/** Every custom-namespace metric an alarm watches, directly or inside a metric-math expression. */
function alarmMetricRefs(template: Json, namespace: string): MetricRef[] {
  const refs: MetricRef[] = [];
  for (const r of Object.values<Json>(template.Resources)) {
    if (r.Type !== 'AWS::CloudWatch::Alarm') continue;
    const p = r.Properties;
    const where = `alarm ${p.AlarmName}`;
    if (p.MetricName && p.Namespace === namespace)
      refs.push({ namespace: p.Namespace, metricName: p.MetricName, dimensions: dims(p.Dimensions, where), where });
    for (const m of p.Metrics ?? []) {
      const metric = m.MetricStat?.Metric;
      if (metric?.Namespace === namespace)
        refs.push({
          namespace: metric.Namespace,
          metricName: metric.MetricName,
          dimensions: dims(metric.Dimensions, where),
          where: `${where} (expression metric ${m.Id})`,
        });
    }
  }
  return refs;
}

/** Custom-namespace metrics in the dashboard body ([namespace, name, dim, value, ..., options?] arrays). */
function dashboardMetricRefs(template: Json, namespace: string): MetricRef[] {
  const refs: MetricRef[] = [];
  for (const r of Object.values<Json>(template.Resources)) {
    if (r.Type !== 'AWS::CloudWatch::Dashboard') continue;
    const body = r.Properties.DashboardBody;
    // Tokens (ARNs, names) only occur inside JSON strings: render them as a placeholder.
    const text = typeof body === 'string' ? body : (body['Fn::Join'][1] as unknown[]).map((x) => (typeof x === 'string' ? x : 'TOKEN')).join('');
    for (const w of JSON.parse(text).widgets as Json[]) {
      for (const m of (w.properties?.metrics ?? []) as unknown[][]) {
        if (m[0] !== namespace) continue;
        const parts = m.filter((x) => typeof x === 'string') as string[];
        const d: Record<string, string> = {};
        for (let i = 2; i < parts.length; i += 2) d[parts[i]] = parts[i + 1];
        refs.push({ namespace, metricName: parts[1], dimensions: d, where: `dashboard widget "${w.properties.title}"` });
      }
    }
  }
  return refs;
}

/** True when some captured EMF document publishes exactly this metric: namespace, name, dimension names (as a set) and values. */
function emitted(docs: Emf[], ref: MetricRef): boolean {
  const names = Object.keys(ref.dimensions).sort();
  return docs.some((doc) =>
    doc._aws.CloudWatchMetrics.some(
      (d) =>
        d.Namespace === ref.namespace &&
        d.Metrics.some((m) => m.Name === ref.metricName) &&
        typeof doc[ref.metricName] === 'number' &&
        d.Dimensions.some((set) => JSON.stringify([...set].sort()) === JSON.stringify(names) && set.every((k) => doc[k] === ref.dimensions[k])),
    ),
  );
}

const unmatched = (docs: Emf[], refs: MetricRef[]) =>
  refs.filter((r) => !emitted(docs, r)).map((r) => `${r.where}: ${r.namespace}/${r.metricName} ${JSON.stringify(r.dimensions)}`);

// ---------------------------------------------------------------------------------------------

let template: Json;
let config: PipelineConfig;
let root: string;
const captured: { handler: string; doc: Emf }[] = [];
let current = 'none';
const docs = () => captured.map((c) => c.doc);

/** Lambda's view of a thrown error, as Step Functions hands it to the Catch (see src/cli/local-run.ts). */
const catchOf = (e: unknown) => ({ Error: (e as Error).name, Cause: JSON.stringify({ errorType: (e as Error).name, errorMessage: (e as Error).message }) });

beforeAll(async () => {
  ({ template, config } = synth());

  // The handlers' telemetry environment, exactly as the stack sets it on every function.
  const envs = Object.values<Json>(template.Resources)
    .filter((r) => r.Type === 'AWS::Lambda::Function')
    .map((r) => r.Properties.Environment.Variables as Record<string, unknown>);
  const service = new Set(envs.map((e) => e.POWERTOOLS_SERVICE_NAME));
  const namespace = new Set(envs.map((e) => e.POWERTOOLS_METRICS_NAMESPACE));
  expect([...service]).toEqual([config.name]);
  expect([...namespace]).toEqual([config.metricsNamespace]);
  process.env.POWERTOOLS_SERVICE_NAME = config.name;
  process.env.POWERTOOLS_METRICS_NAMESPACE = config.metricsNamespace;
  delete process.env.POWERTOOLS_METRICS_DISABLED;
  delete process.env.POWERTOOLS_DEV;

  // Powertools Metrics prints EMF with its own Console bound to process.stdout
  // (console.log only when POWERTOOLS_DEV is set), so capture at the stream.
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    for (const line of String(chunk).split('\n')) {
      if (!line.startsWith('{')) continue;
      const doc = JSON.parse(line) as Emf;
      if (doc._aws?.CloudWatchMetrics) captured.push({ handler: current, doc });
    }
    return true;
  });
  // Logger warnings/errors (quarantined files) go to stderr: not EMF, and noise in the test output.
  vi.spyOn(process.stderr, 'write').mockImplementation(() => true);

  root = await mkdtemp(join(tmpdir(), 'emf-contract-'));
  const store = new DirectoryObjectStore(root);
  const telemetry = createTelemetry(); // NOT silent: the real Lambda wiring
  const deps: StageDeps = {
    ...telemetry,
    store,
    contracts: registryOf(config.datasets.map((d) => d.contract)),
    lakeBucket: LAKE,
    workRoot: join(root, '.work'),
    now: () => new Date(),
    faultInjection: false,
  };
  const stages = { validate: makeValidate(deps), transform: makeTransform(deps), publish: makePublish(deps), quarantine: makeQuarantine(deps) };

  const land = async (dataset: string, name: string, from?: string): Promise<FileState> => {
    const key = `landing/${dataset}/${name}`;
    await mkdir(join(root, LANDING, 'landing', dataset), { recursive: true });
    if (from) await copyFile(from, store.path(LANDING, key));
    else await writeFile(store.path(LANDING, key), '');
    const head = (await store.head(LANDING, key))!;
    return { dataset, bucket: LANDING, key, etag: head.etag, size: head.size, landedAt: new Date().toISOString(), execution: `${dataset}-${name}` };
  };
  /** Validate -> Transform -> Publish, Catch -> Quarantine: what the state machine does. */
  const run = async (input: FileState) => {
    let state: FileState = input;
    try {
      for (const s of ['validate', 'transform', 'publish'] as const) {
        current = s;
        state = await stages[s](state);
      }
      return 'succeeded';
    } catch (e) {
      current = 'quarantine';
      await stages.quarantine({ ...state, error: catchOf(e) });
      return 'quarantined';
    }
  };

  const good: Record<string, string[]> = {
    orders: ['samples/orders/orders_v1.csv'],
    sales: ['samples/sales/sales_bad_rows.csv'],
    events: ['samples/events/events.jsonl'],
    weather: ['samples/weather/weather_1998.csv'],
  };
  for (const d of config.datasets) {
    for (const file of good[d.name] ?? []) expect(await run(await land(d.name, basename(file), file))).toBe('succeeded');
    // An empty file is bad data for every dataset: Validate throws file.empty -> Quarantine.
    expect(await run(await land(d.name, `empty${d.suffixes[0]}`))).toBe('quarantined');
  }

  current = 'dispatch';
  const datasets = new Set(config.datasets.map((d) => d.name));
  const suffixes = Object.fromEntries(config.datasets.map((d) => [d.name, d.suffixes]));
  const dispatch = makeDispatch({ ...telemetry, starter: { start: async () => 'started' }, datasets, suffixes });
  const event = (key: string) => s3ObjectCreated(LANDING, key);
  await dispatch({
    Records: config.datasets.map((d, i) => ({ messageId: `m${i}`, body: JSON.stringify(event(`landing/${d.name}/f${d.suffixes[0]}`)) }) as SQSRecord),
  } as SQSEvent);

  current = 'freshness';
  const fresh = Object.values<Json>(template.Resources).find(
    (r) => r.Type === 'AWS::Lambda::Function' && r.Properties.Environment.Variables.FRESHNESS_DATASETS,
  )!;
  await makeFreshness({
    ...telemetry,
    store,
    lakeBucket: LAKE,
    now: () => new Date(),
    datasets: datasetsFromEnv(fresh.Properties.Environment.Variables.FRESHNESS_DATASETS),
  })();
  current = 'done';
  vi.restoreAllMocks();
}, 120_000);

afterAll(async () => {
  if (root) await rm(root, { recursive: true, force: true });
});

describe('EMF contract: every alarm watches a metric the handlers actually emit', () => {
  it('captured EMF from every handler (the capture works, so an empty match is not possible)', () => {
    const by = new Set(captured.map((c) => c.handler));
    expect([...by].sort()).toEqual(['dispatch', 'freshness', 'publish', 'quarantine', 'transform', 'validate']);
    for (const { doc } of captured) {
      expect(doc._aws.CloudWatchMetrics[0].Namespace).toBe(config.metricsNamespace);
      expect(doc._aws.CloudWatchMetrics[0].Dimensions).toEqual([['service', 'dataset', 'stage']]);
      expect(doc.service).toBe(config.name);
    }
  });

  it('every custom metric in every alarm (including metric-math inputs) is emitted with the same namespace, name and dimensions', () => {
    const refs = alarmMetricRefs(template, config.metricsNamespace);
    // Per dataset: freshness (1), quarantine ratio (RowsIn + RowsQuarantined), files quarantined (1), and gold sums null (1)
    // for the datasets whose gold sums an integer or decimal (all but events, which sums a double).
    expect(refs).toHaveLength(config.datasets.length * 4 + config.datasets.filter((d) => hasGoldSums(d)).length);
    expect(config.datasets.filter((d) => hasGoldSums(d)).length).toBe(config.datasets.length - 1);
    expect(refs.filter((r) => r.where.includes('expression metric'))).toHaveLength(config.datasets.length * 2);
    expect(unmatched(docs(), refs)).toEqual([]);
  });

  it('every custom metric on the dashboard is emitted too', () => {
    const refs = dashboardMetricRefs(template, config.metricsNamespace);
    expect(refs.length).toBeGreaterThanOrEqual(config.datasets.length * 9);
    expect(unmatched(docs(), refs)).toEqual([]);
  });

  it('the matcher is not vacuous: a near-miss on any field is reported', () => {
    const good: MetricRef = {
      namespace: config.metricsNamespace,
      metricName: 'RowsQuarantined',
      dimensions: { service: config.name, dataset: 'sales', stage: 'transform' },
      where: 'probe',
    };
    expect(emitted(docs(), good)).toBe(true);
    const misses: MetricRef[] = [
      { ...good, namespace: 'Other' },
      { ...good, metricName: 'RowsQuarantine' },
      { ...good, dimensions: { ...good.dimensions, stage: 'publish' } },
      { ...good, dimensions: { ...good.dimensions, dataset: 'nope' } },
      { ...good, dimensions: { ...good.dimensions, service: 'other-service' } },
      { ...good, dimensions: { service: config.name, dataset: 'sales' } },
      { ...good, dimensions: { ...good.dimensions, extra: 'x' } },
    ];
    for (const m of misses) expect(emitted(docs(), m), JSON.stringify(m)).toBe(false);
  });

  it('an alarm added on a metric nobody emits fails the check (end to end through a synthesized template)', () => {
    const { template: bad } = synth((stack, cfg) => {
      new cw.Alarm(stack, 'Orphan', {
        alarmName: 'orphan',
        // Transform emits RowsIn; nobody emits it with stage=publish.
        metric: new cw.MathExpression({
          expression: 'a / b',
          usingMetrics: { a: pipelineMetric(cfg, 'RowsIn', 'orders', 'publish'), b: pipelineMetric(cfg, 'RowsOut', 'orders', 'transform') },
        }),
        threshold: 1,
        evaluationPeriods: 1,
      });
      new cw.Alarm(stack, 'Orphan2', {
        alarmName: 'orphan2',
        metric: pipelineMetric(cfg, 'FilesQuarantined', 'orders', 'transform'),
        threshold: 0,
        evaluationPeriods: 1,
      });
    });
    expect(unmatched(docs(), alarmMetricRefs(bad, config.metricsNamespace))).toEqual([
      `alarm orphan (expression metric a): ${config.metricsNamespace}/RowsIn {"dataset":"orders","service":"${config.name}","stage":"publish"}`,
      `alarm orphan2: ${config.metricsNamespace}/FilesQuarantined {"dataset":"orders","service":"${config.name}","stage":"transform"}`,
    ]);
  });
});

import { App, Aspects } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../lib/config';
import { glueType, lakeTables } from '../../lib/lake-tables';
import { OUTPUTS, PipelineStack } from '../../lib/pipeline-stack';

const COLUMNS = [
  { name: 'visit_id', type: 'string', nullable: false, description: 'One visit.' },
  { name: 'Pages', type: 'integer' },
  { name: 'score', type: 'double' },
  { name: 'bounced', type: 'boolean' },
  { name: 'visit_date', type: 'date' },
  { name: 'started_at', type: 'timestamp' },
  { name: 'spend', type: 'decimal( 10 , 3 )' },
  { name: 'big', type: 'decimal(38,0)' },
];

/** A config with one contract using every column type and every gold function, so each mapping is asserted. */
function writeConfig(extra: Record<string, unknown> = {}, contractPatch: Record<string, unknown> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'catalog-'));
  const contract = {
    dataset: 'web-visits',
    version: 4,
    description: 'Visits to the web shop.',
    format: { type: 'csv' },
    columns: COLUMNS,
    partitionBy: 'visit_date',
    gold: [
      {
        name: 'by_day',
        groupBy: ['bounced', 'visit_date'],
        measures: [
          { fn: 'count', as: 'visits' },
          { fn: 'sum', column: 'spend', as: 'spend_sum' },
          { fn: 'sum', column: 'score', as: 'score_sum' },
          { fn: 'sum', column: 'Pages', as: 'pages_sum' },
          { fn: 'avg', column: 'spend', as: 'spend_avg' },
          { fn: 'min', column: 'started_at', as: 'first_at' },
          { fn: 'max', column: 'spend', as: 'spend_max' },
          { fn: 'count_distinct', column: 'visit_id', as: 'distinct_visits' },
        ],
      },
    ],
    ...contractPatch,
  };
  writeFileSync(join(dir, 'web.json'), JSON.stringify(contract));
  writeFileSync(
    join(dir, 'pipeline.json'),
    JSON.stringify({
      name: 'shop-lake',
      datasets: [{ name: 'web-visits', freshnessSlaMinutes: 60, contract: 'web.json' }],
      environments: { qa: { removal: 'destroy' } },
      ...extra,
    }),
  );
  return join(dir, 'pipeline.json');
}

function synth(configFile: string, env = 'qa') {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new PipelineStack(app, `C-${env}`, { config: loadConfig(configFile, env) });
  Aspects.of(app).add(new AwsSolutionsChecks());
  app.synth();
  return { stack, t: Template.fromStack(stack) };
}

// biome-ignore lint/suspicious/noExplicitAny: synthesized CloudFormation is untyped JSON, read field by field
type Resource = { Properties: Record<string, any> };
let t: Template;
let tables: Record<string, Resource>;
const byName = (name: string) => Object.values(tables).find((r) => r.Properties.TableInput.Name === name)!;
const columns = (name: string) =>
  Object.fromEntries(byName(name).Properties.TableInput.StorageDescriptor.Columns.map((c: { Name: string; Type: string }) => [c.Name, c.Type]));

beforeAll(() => {
  const s = synth(writeConfig());
  t = s.t;
  tables = t.findResources('AWS::Glue::Table') as Record<string, Resource>;
  const errors = Annotations.fromStack(s.stack).findError('*', Match.stringLikeRegexp('AwsSolutions-.*'));
  const warnings = Annotations.fromStack(s.stack).findWarning('*', Match.stringLikeRegexp('AwsSolutions-.*'));
  expect([...errors, ...warnings].map((e) => `${e.id}: ${String(e.entry.data).slice(0, 200)}`)).toEqual([]);
});

describe('Glue catalog from the contracts', () => {
  it('one database named <name>_<env> with - as _, one table per silver and per gold aggregate', () => {
    t.resourceCountIs('AWS::Glue::Database', 1);
    t.hasResourceProperties('AWS::Glue::Database', { DatabaseInput: { Name: 'shop_lake_qa' } });
    expect(
      Object.values(tables)
        .map((r) => r.Properties.TableInput.Name)
        .sort(),
    ).toEqual(['web_visits', 'web_visits_by_day']);
    for (const r of Object.values(tables)) expect(r.Properties.DatabaseName).toBe('shop_lake_qa');
  });

  it('silver columns carry the exact Glue type of every contract type (names lower-cased as Athena folds them)', () => {
    expect(columns('web_visits')).toEqual({
      visit_id: 'string',
      pages: 'bigint',
      score: 'double',
      bounced: 'boolean',
      visit_date: 'date',
      started_at: 'timestamp',
      spend: 'decimal(10,3)',
      big: 'decimal(38,0)',
      // silver's audit columns (lambdas/core/contract/audit.ts)
      _source_key: 'string',
      _source_version: 'string',
      _ingested_at: 'timestamp',
      _source_line: 'bigint',
      _contract_version: 'bigint',
    });
  });

  it('gold columns: group keys keep their type, measures the type the gold writer gives them', () => {
    expect(columns('web_visits_by_day')).toEqual({
      bounced: 'boolean',
      visit_date: 'date',
      visits: 'bigint',
      spend_sum: 'decimal(38,3)',
      score_sum: 'double',
      pages_sum: 'bigint',
      spend_avg: 'double',
      first_at: 'timestamp',
      spend_max: 'decimal(10,3)',
      distinct_visits: 'bigint',
      _updated_at: 'timestamp',
    });
  });

  it('dt is a date partition key found by projection (no crawler, no MSCK), stored as Parquet', () => {
    for (const [name, prefix] of [
      ['web_visits', '/silver/web-visits/'],
      ['web_visits_by_day', '/gold/web-visits/by_day/'],
    ]) {
      const input = byName(name).Properties.TableInput;
      expect(input.TableType).toBe('EXTERNAL_TABLE');
      expect(input.PartitionKeys).toEqual([expect.objectContaining({ Name: 'dt', Type: 'date' })]);
      expect(input.Parameters).toMatchObject({
        'projection.enabled': 'true',
        'projection.dt.type': 'date',
        'projection.dt.format': 'yyyy-MM-dd',
        'projection.dt.range': '2000-01-01,NOW+1DAYS',
        'projection.dt.interval': '1',
        'projection.dt.interval.unit': 'DAYS',
        contract_version: '4',
      });
      const join = (v: { 'Fn::Join': [string, unknown[]] }) => v['Fn::Join'][1].map((p) => (typeof p === 'string' ? p : '<lake>')).join('');
      expect(join(input.Parameters['storage.location.template'])).toBe(`s3://<lake>${prefix}dt=\${dt}/`);
      expect(join(input.StorageDescriptor.Location)).toBe(`s3://<lake>${prefix}`);
      expect(input.StorageDescriptor).toMatchObject({
        InputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat',
        OutputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat',
        SerdeInfo: { SerializationLibrary: 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe' },
      });
    }
  });

  it('comments come from the contract: table description, column descriptions, measure definitions', () => {
    const silver = byName('web_visits').Properties.TableInput;
    expect(silver.Description).toMatch(/^Visits to the web shop\. .*contract v4.*visit_date/);
    expect(silver.StorageDescriptor.Columns[0]).toEqual({ Name: 'visit_id', Type: 'string', Comment: 'One visit.' });
    const gold = byName('web_visits_by_day').Properties.TableInput;
    expect(gold.StorageDescriptor.Columns.find((c: { Name: string }) => c.Name === 'spend_sum').Comment).toBe('sum(spend)');
    expect(gold.Description).toContain('by bounced, visit_date');
  });

  it('a contract change is an update of the same tables (same logical ids), with the new columns', () => {
    const after = synth(
      writeConfig({}, { version: 5, columns: [...COLUMNS, { name: 'referrer', type: 'string', description: 'Added in v5.' }] }),
    ).t.findResources('AWS::Glue::Table') as Record<string, Resource>;
    expect(Object.keys(after).sort()).toEqual(Object.keys(tables).sort());
    const silver = Object.values(after).find((r) => r.Properties.TableInput.Name === 'web_visits')!.Properties.TableInput;
    expect(silver.StorageDescriptor.Columns.find((c: { Name: string }) => c.Name === 'referrer')).toEqual({
      Name: 'referrer',
      Type: 'string',
      Comment: 'Added in v5.',
    });
    expect(silver.Parameters.contract_version).toBe('5');
  });

  it('no crawler and no custom resource', () => {
    const types = Object.values(t.toJSON().Resources as Record<string, { Type: string }>).map((r) => r.Type);
    expect(types.filter((x) => x === 'AWS::Glue::Crawler' || x.startsWith('Custom::') || x === 'AWS::CloudFormation::CustomResource')).toEqual([]);
  });
});

describe('Athena workgroup', () => {
  it('enforced configuration, engine v3, SSE results under the lake prefix, bytes cutoff, CloudWatch metrics', () => {
    t.resourceCountIs('AWS::Athena::WorkGroup', 1);
    const wg = Object.values(t.findResources('AWS::Athena::WorkGroup'))[0] as Resource;
    expect(wg.Properties.Name).toBe('shop-lake-qa');
    const c = wg.Properties.WorkGroupConfiguration;
    expect(c).toMatchObject({
      EnforceWorkGroupConfiguration: true,
      PublishCloudWatchMetricsEnabled: true,
      BytesScannedCutoffPerQuery: 10240 * 1024 * 1024,
      EngineVersion: { SelectedEngineVersion: 'Athena engine version 3' },
      ResultConfiguration: { EncryptionConfiguration: { EncryptionOption: 'SSE_S3' } },
    });
    expect(JSON.stringify(c.ResultConfiguration.OutputLocation)).toContain('/athena-results/');
  });

  it('results expire by a lifecycle rule on their prefix', () => {
    t.hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: { Rules: Match.arrayWith([Match.objectLike({ Id: 'expire-athena-results', Prefix: 'athena-results/', ExpirationInDays: 7 })]) },
    });
  });

  it('stack outputs name the database, the workgroup and the reader policy', () => {
    const outputs = t.toJSON().Outputs as Record<string, { Value: unknown }>;
    expect(outputs[OUTPUTS.database].Value).toBe('shop_lake_qa');
    expect(outputs[OUTPUTS.workGroup].Value).toBe('shop-lake-qa');
    expect(outputs[OUTPUTS.readerPolicy]).toBeDefined();
  });

  it('config sets the database name and the cutoff', () => {
    const { t: t2 } = synth(
      writeConfig({ catalog: { database: 'analytics', bytesScannedCutoffMb: 100, partitionsFrom: '2015-06-01', partitionsFutureDays: 3 } }),
    );
    t2.hasResourceProperties('AWS::Glue::Database', { DatabaseInput: { Name: 'analytics' } });
    t2.hasResourceProperties('AWS::Athena::WorkGroup', { WorkGroupConfiguration: Match.objectLike({ BytesScannedCutoffPerQuery: 100 * 1024 * 1024 }) });
    t2.hasResourceProperties('AWS::Glue::Table', {
      TableInput: Match.objectLike({ Parameters: Match.objectLike({ 'projection.dt.range': '2015-06-01,NOW+3DAYS' }) }),
    });
  });
});

describe('reader grant', () => {
  const statements = () => {
    const policies = Object.values(t.findResources('AWS::IAM::ManagedPolicy')) as Resource[];
    expect(policies).toHaveLength(1);
    return policies[0].Properties.PolicyDocument.Statement as { Sid: string; Action: string | string[]; Resource: unknown; Condition?: unknown }[];
  };

  it('explicit actions only: glue:Get* on the catalog, database and each table; s3:GetObject on silver/ and gold/ only', () => {
    const s = statements();
    const actions = s.flatMap((x) => [x.Action].flat());
    expect(actions.filter((a) => a.includes('*'))).toEqual([]);
    const glueStmt = s.find((x) => x.Sid === 'ReadCatalog')!;
    expect([glueStmt.Action].flat().sort()).toEqual(['glue:GetDatabase', 'glue:GetPartition', 'glue:GetPartitions', 'glue:GetTable', 'glue:GetTables']);
    const glueResources = JSON.stringify(glueStmt.Resource);
    for (const r of [':catalog', ':database/shop_lake_qa', ':table/shop_lake_qa/web_visits"', ':table/shop_lake_qa/web_visits_by_day"'])
      expect(glueResources).toContain(r);
    const data = s.find((x) => x.Sid === 'ReadTableData')!;
    expect(data.Action).toBe('s3:GetObject');
    const prefixes = JSON.stringify(data.Resource).match(/\/[a-z_-]+\/\*/g);
    expect(prefixes).toEqual(['/silver/*', '/gold/*']);
  });

  it('no pipeline role gets Glue or Athena permissions', () => {
    const roles = JSON.stringify(t.findResources('AWS::IAM::Policy'));
    expect(roles).not.toMatch(/"(glue|athena):/);
  });
});

describe('table naming', () => {
  it('lower-cases and maps - to _, and refuses names that collide', () => {
    expect(glueType('decimal(7, 2)')).toBe('decimal(7,2)');
    const cfg = loadConfig(writeConfig());
    const names = lakeTables(cfg).map((x) => x.name);
    expect(names).toEqual(['web_visits', 'web_visits_by_day']);
    const clash = {
      ...cfg,
      datasets: [
        ...cfg.datasets,
        {
          ...cfg.datasets[0],
          name: 'web_visits_by',
          contract: { ...cfg.datasets[0].contract, dataset: 'web_visits_by', gold: [{ ...cfg.datasets[0].contract.gold[0], name: 'day' }] },
        },
      ],
    };
    expect(() => lakeTables(clash)).toThrow(ConfigError);
    expect(() => lakeTables(clash)).toThrow(/web_visits_by_day is used twice/);
  });

  it('partition projection follows partitionGranularity; gold date-part groups are columns', () => {
    const formats = { hour: ["yyyy-MM-dd'T'HH", 'HOURS', '2000-01-01T00'], month: ['yyyy-MM', 'MONTHS', '2000-01'], year: ['yyyy', 'YEARS', '2000'] } as const;
    for (const [g, [format, unit, from]] of Object.entries(formats)) {
      const { t: tg } = synth(
        writeConfig(
          {},
          {
            partitionBy: 'started_at',
            partitionGranularity: g,
            gold: [{ name: 'by_month', groupBy: ['month(started_at)'], measures: [{ fn: 'count', as: 'n', where: 'bounced' }] }],
          },
        ),
      );
      const inputs = Object.values(tg.findResources('AWS::Glue::Table') as Record<string, Resource>).map((r) => r.Properties.TableInput);
      expect(inputs).toHaveLength(2);
      for (const input of inputs) {
        expect(input.PartitionKeys).toEqual([expect.objectContaining({ Name: 'dt', Type: 'string' })]);
        expect(input.Parameters).toMatchObject({
          'projection.dt.format': format,
          'projection.dt.interval.unit': unit,
          'projection.dt.range': `${from},NOW+1DAYS`,
        });
      }
      const gold = inputs.find((i) => i.Name === 'web_visits_by_month')!;
      expect(gold.StorageDescriptor.Columns.map((c: { Name: string; Type: string }) => [c.Name, c.Type])).toEqual([
        ['month_started_at', 'bigint'],
        ['n', 'bigint'],
        ['_updated_at', 'timestamp'],
      ]);
    }
  });

  it('refuses a column named like the partition key or two that differ only in case', () => {
    expect(() => lakeTables(loadConfig(writeConfig({}, { columns: [{ name: 'dt', type: 'string' }], partitionBy: undefined, gold: [] })))).toThrow(
      /column name dt is reserved/,
    );
    expect(() =>
      lakeTables(
        loadConfig(
          writeConfig(
            {},
            {
              columns: [
                { name: 'a', type: 'string' },
                { name: 'A', type: 'string' },
              ],
              partitionBy: undefined,
              gold: [],
            },
          ),
        ),
      ),
    ).toThrow(/differ only in case|case-insensitive|equal but for case/i);
  });
});

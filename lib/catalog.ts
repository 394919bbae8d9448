import { Duration, Stack } from 'aws-cdk-lib';
import * as athena from 'aws-cdk-lib/aws-athena';
import * as glue from 'aws-cdk-lib/aws-glue';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import type { PipelineConfig } from './config';
import { nagResource } from './nag';
import { databaseName, lakeTables, PARTITION_FORMATS, PARTITION_KEY, projectionRange, workGroupName, type LakeTable } from './lake-tables';

export interface CatalogProps {
  config: PipelineConfig;
  lake: s3.Bucket;
}

/** Athena writes query results here, in the lake bucket (SSE, TLS-only like the rest of it). */
export const RESULTS_PREFIX = 'athena-results/';

const PARQUET = {
  inputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat',
  outputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat',
  serdeInfo: { serializationLibrary: 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe', parameters: { 'serialization.format': '1' } },
};

/**
 * The queryable lake: a Glue database, one table per dataset's silver and per
 * gold aggregate (generated from the contracts at synth: no crawler, no custom
 * resource), an Athena workgroup, and a managed policy for readers.
 *
 * Partitions are found by partition projection on `dt` (a date range and a
 * location template), so a new dt= folder is queryable the moment Transform or
 * Publish writes it, with no MSCK REPAIR, crawler or AddPartition call. Parquet
 * columns are resolved by name, so files written under an older contract
 * version still read (a column they lack is null).
 */
export class Catalog extends Construct {
  readonly databaseName: string;
  readonly workGroupName: string;
  readonly tables: LakeTable[];
  readonly database: glue.CfnDatabase;
  readonly workGroup: athena.CfnWorkGroup;
  /** Attach to a consumer role: read the catalog and silver/gold, and run queries in the workgroup. */
  readonly readerPolicy: iam.ManagedPolicy;

  constructor(scope: Construct, id: string, props: CatalogProps) {
    super(scope, id);
    const { config, lake } = props;
    const stack = Stack.of(this);
    this.databaseName = databaseName(config);
    this.workGroupName = workGroupName(config);
    this.tables = lakeTables(config);

    this.database = new glue.CfnDatabase(this, 'Database', {
      catalogId: stack.account,
      databaseInput: {
        name: this.databaseName,
        description: `Silver and gold tables of ${config.name} (${config.envName}), generated from the data contracts.`,
        locationUri: lake.s3UrlForObject(),
      },
    });

    for (const t of this.tables) {
      const location = lake.s3UrlForObject(t.prefix);
      const table = new glue.CfnTable(this, `Table-${t.name}`, {
        catalogId: stack.account,
        databaseName: this.databaseName,
        tableInput: {
          name: t.name,
          description: t.description,
          tableType: 'EXTERNAL_TABLE',
          parameters: {
            EXTERNAL: 'TRUE',
            classification: 'parquet',
            'projection.enabled': 'true',
            [`projection.${PARTITION_KEY}.type`]: 'date',
            [`projection.${PARTITION_KEY}.format`]: PARTITION_FORMATS[t.granularity].format,
            [`projection.${PARTITION_KEY}.range`]: projectionRange(config, t.granularity),
            [`projection.${PARTITION_KEY}.interval`]: '1',
            [`projection.${PARTITION_KEY}.interval.unit`]: PARTITION_FORMATS[t.granularity].unit,
            'storage.location.template': `${location}${PARTITION_KEY}=\${${PARTITION_KEY}}/`,
            contract_version: String(t.contractVersion),
            pipeline_layer: t.kind,
          },
          // A month, year or hour partition is not a date: such dt keys are strings ('2026-11').
          partitionKeys: [
            {
              name: PARTITION_KEY,
              type: t.granularity === 'day' ? 'date' : 'string',
              comment:
                t.kind === 'silver' ? 'partition: the partitionBy column as a date, else the ingest date (UTC)' : 'partition: the silver partition aggregated',
            },
          ],
          storageDescriptor: {
            location,
            ...PARQUET,
            compressed: false,
            storedAsSubDirectories: false,
            columns: t.columns.map((c) => ({ name: c.name, type: c.type, comment: c.comment })),
          },
        },
      });
      table.node.addDependency(this.database);
    }

    // Results in the lake bucket (SSE-S3 like the rest, TLS-only by its policy), expired by a lifecycle rule.
    lake.addLifecycleRule({
      id: 'expire-athena-results',
      prefix: RESULTS_PREFIX,
      expiration: Duration.days(config.catalog.resultsDays),
      abortIncompleteMultipartUploadAfter: Duration.days(1),
    });
    this.workGroup = new athena.CfnWorkGroup(this, 'WorkGroup', {
      name: this.workGroupName,
      description: `Queries over the ${this.databaseName} tables; results under s3://<lake>/${RESULTS_PREFIX}.`,
      state: 'ENABLED',
      // A dev/test stack deletes the workgroup with its saved queries; prod keeps history.
      recursiveDeleteOption: config.removal === 'destroy',
      workGroupConfiguration: {
        enforceWorkGroupConfiguration: true,
        publishCloudWatchMetricsEnabled: true,
        bytesScannedCutoffPerQuery: config.catalog.bytesScannedCutoffMb * 1024 * 1024,
        engineVersion: { selectedEngineVersion: 'Athena engine version 3' },
        requesterPaysEnabled: false,
        resultConfiguration: {
          outputLocation: lake.s3UrlForObject(RESULTS_PREFIX),
          encryptionConfiguration: { encryptionOption: 'SSE_S3' },
          expectedBucketOwner: stack.account,
        },
      },
    });

    this.readerPolicy = new iam.ManagedPolicy(this, 'ReaderPolicy', {
      description: `Read the ${this.databaseName} lake tables (Glue, silver/gold objects) and query them in Athena workgroup ${this.workGroupName}.`,
      statements: this.readerStatements(lake),
    });
    NagSuppressions.addResourceSuppressions(this.readerPolicy, [
      {
        id: 'AwsSolutions-IAM5',
        reason: `Readers get the objects of silver/ and gold/ (the tables' data) and read/write their own query results under ${RESULTS_PREFIX}; object keys are per file and per query, so only a prefix can name them.`,
        appliesTo: [...this.tablePrefixes().map((p) => `${p}/*`), `${RESULTS_PREFIX}*`].map((p) => nagResource(this, lake.arnForObjects(p))),
      },
    ]);
  }

  /** The lake's top-level folders the tables live in (silver, gold). */
  private tablePrefixes(): string[] {
    return [...new Set(this.tables.map((t) => t.prefix.split('/')[0]))];
  }

  /**
   * Read some of the tables, as a reader of the catalog and the objects (no
   * Athena): the Glue catalog, database and those tables, GetObject on their
   * prefixes and a listing limited to them. The reader policy and the
   * construct's grantRead* methods are both made of these.
   */
  tableReadStatements(
    tables: readonly LakeTable[],
    lake: s3.IBucket,
    opts: { folders?: string[]; alsoList?: string[]; sids?: boolean } = {},
  ): iam.PolicyStatement[] {
    // Sids must be unique in a policy: a role granted several subsets gets its statements unnamed.
    const sid = (name: string) => (opts.sids === false ? undefined : name);
    const stack = Stack.of(this);
    const glueArn = (resource: string, resourceName?: string) => stack.formatArn({ service: 'glue', resource, resourceName });
    const prefixes = opts.folders ?? [...new Set(tables.map((t) => t.prefix))];
    return [
      new iam.PolicyStatement({
        sid: sid('ReadCatalog'),
        actions: ['glue:GetDatabase', 'glue:GetTable', 'glue:GetTables', 'glue:GetPartition', 'glue:GetPartitions'],
        resources: [glueArn('catalog'), glueArn('database', this.databaseName), ...tables.map((t) => glueArn('table', `${this.databaseName}/${t.name}`))],
      }),
      new iam.PolicyStatement({ sid: sid('ReadTableData'), actions: ['s3:GetObject'], resources: prefixes.map((p) => lake.arnForObjects(`${p}*`)) }),
      new iam.PolicyStatement({
        sid: sid('ListTableData'),
        actions: ['s3:ListBucket'],
        resources: [lake.bucketArn],
        conditions: { StringLike: { 's3:prefix': [...prefixes.map((p) => `${p}*`), ...(opts.alsoList ?? [])] } },
      }),
    ];
  }

  private readerStatements(lake: s3.Bucket): iam.PolicyStatement[] {
    const stack = Stack.of(this);
    return [
      // The whole silver/ and gold/ folders, so a table added later is readable under the same policy.
      ...this.tableReadStatements(this.tables, lake, { folders: this.tablePrefixes().map((f) => `${f}/`), alsoList: [`${RESULTS_PREFIX}*`] }),
      new iam.PolicyStatement({ sid: 'LocateBucket', actions: ['s3:GetBucketLocation'], resources: [lake.bucketArn] }),
      new iam.PolicyStatement({
        sid: 'QueryResults',
        actions: ['s3:GetObject', 's3:PutObject', 's3:AbortMultipartUpload'],
        resources: [lake.arnForObjects(`${RESULTS_PREFIX}*`)],
      }),
      new iam.PolicyStatement({
        sid: 'RunQueries',
        actions: ['athena:StartQueryExecution', 'athena:StopQueryExecution', 'athena:GetQueryExecution', 'athena:GetQueryResults', 'athena:GetWorkGroup'],
        resources: [stack.formatArn({ service: 'athena', resource: 'workgroup', resourceName: this.workGroupName })],
      }),
    ];
  }
}

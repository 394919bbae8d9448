import * as iam from 'aws-cdk-lib/aws-iam';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { NagSuppressions } from 'cdk-nag';
import type { Construct } from 'constructs';
import type { PipelineConfig } from './config';
import { nagResource } from './nag';
import type * as lambda from 'aws-cdk-lib/aws-lambda';

type Stage = 'validate' | 'transform' | 'publish' | 'quarantine';

/**
 * Least privilege for the stage functions, written out action by action (no
 * `s3:GetObject*`-style wildcards) on exactly the prefixes each stage touches.
 * Every role gets s3:ListBucket on the buckets it reads: without it S3 answers
 * a read of a missing key with 403 instead of 404, and "missing" is a normal
 * answer here (first upload of a key, a new gold partition). Each role's
 * cdk-nag suppression names the prefixes it was granted, nothing wider.
 */
export function grantStageAccess(scope: Construct, config: PipelineConfig, fns: Record<Stage, lambda.Function>, landing: s3.IBucket, lake: s3.IBucket): void {
  const datasets = config.datasets.map((d) => d.name);
  const grants: Record<Stage, { bucket: s3.IBucket; actions: string[]; prefixes: string[] }[]> = {
    validate: [{ bucket: landing, actions: ['s3:GetObject', 's3:GetObjectVersion'], prefixes: ['landing/'] }],
    transform: [
      { bucket: landing, actions: ['s3:GetObject', 's3:GetObjectVersion'], prefixes: ['landing/'] },
      { bucket: lake, actions: ['s3:PutObject'], prefixes: ['bronze/', 'silver/', 'quarantine/', '_partials/gold/', '_partials/outputs/'] },
      // Only what a re-upload replaces: the key's silver files and partials, its rejected rows and (keepDuplicates) dropped duplicates.
      {
        bucket: lake,
        actions: ['s3:DeleteObject'],
        prefixes: [
          'silver/',
          '_partials/gold/',
          ...datasets.map((d) => `quarantine/${d}/rows/`),
          ...config.datasets.filter((d) => d.contract.keepDuplicates).map((d) => `quarantine/${d.name}/duplicates/`),
        ],
      },
      { bucket: lake, actions: ['s3:GetObject'], prefixes: ['manifests/', '_partials/outputs/'] },
      // Past 5 GiB a source is copied to bronze, and a silver or row file uploaded, in parts
      // (S3ObjectStore.copy, putFile); a failed upload is aborted.
      { bucket: lake, actions: ['s3:AbortMultipartUpload'], prefixes: ['bronze/', 'silver/', 'quarantine/'] },
    ],
    publish: [
      { bucket: lake, actions: ['s3:GetObject'], prefixes: ['_partials/', 'manifests/', 'gold/'] },
      { bucket: lake, actions: ['s3:PutObject'], prefixes: ['gold/', 'manifests/', '_partials/outputs/', '_state/freshness/'] },
    ],
    quarantine: [
      { bucket: landing, actions: ['s3:GetObject', 's3:GetObjectVersion'], prefixes: ['landing/'] },
      { bucket: lake, actions: ['s3:PutObject'], prefixes: ['quarantine/', 'manifests/', 'gold/', '_partials/outputs/'] },
      // Bringing gold up to date when this run's Transform already replaced silver.
      { bucket: lake, actions: ['s3:GetObject'], prefixes: ['_partials/', 'manifests/', 'gold/'] },
      { bucket: lake, actions: ['s3:AbortMultipartUpload'], prefixes: ['quarantine/'] },
    ],
  };
  if (config.faultInjection)
    for (const s of ['validate', 'transform', 'publish'] as const)
      grants[s].push({ bucket: lake, actions: ['s3:GetObject', 's3:PutObject'], prefixes: ['_faults/'] });

  for (const [stage, list] of Object.entries(grants) as [Stage, (typeof grants)[Stage]][]) {
    const fn = fns[stage];
    const buckets = new Set(list.map((g) => g.bucket));
    fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['s3:ListBucket'], resources: [...buckets].map((b) => b.bucketArn) }));
    for (const g of list)
      fn.addToRolePolicy(new iam.PolicyStatement({ actions: g.actions, resources: g.prefixes.map((p) => g.bucket.arnForObjects(`${p}*`)) }));
    const resources = [...new Set(list.flatMap((g) => g.prefixes.map((p) => nagResource(scope, g.bucket.arnForObjects(`${p}*`)))))];
    NagSuppressions.addResourceSuppressions(
      fn.role!,
      [
        {
          id: 'AwsSolutions-IAM5',
          reason: `The ${stage} stage reads and writes objects whose keys are per file under these prefixes only; keys cannot be enumerated in a policy.`,
          appliesTo: resources,
        },
      ],
      true,
    );
  }
}

import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import type { PipelineConfig } from './config';
import { removalPolicy } from './stage-function';

export interface StorageProps {
  config: PipelineConfig;
  /** An existing landing bucket; its owner routes its events to EventBridge. @default a new bucket */
  landing?: s3.IBucket;
}

/**
 * Buckets: landing (where producers drop files, versioned, emits EventBridge
 * events), lake (bronze/ silver/ gold/ quarantine/ manifests/) and their
 * access logs. All SSE, TLS-only, public access blocked.
 */
export class Storage extends Construct {
  readonly landing: s3.IBucket;
  readonly lake: s3.Bucket;
  readonly accessLogs: s3.Bucket;

  constructor(scope: Construct, id: string, props: StorageProps) {
    super(scope, id);
    const { config } = props;
    const removal = removalPolicy(config);
    const secure = {
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      // No autoDeleteObjects: it deploys a custom-resource Lambda. A dev stack
      // deletes cleanly once its buckets are emptied.
      removalPolicy: removal,
    };

    this.accessLogs = new s3.Bucket(this, 'AccessLogs', {
      ...secure,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
      lifecycleRules: [{ id: 'expire-access-logs', expiration: Duration.days(365) }],
    });

    this.landing = props.landing ?? this.createLanding(config, secure);
    // A bucket brought from the same app gets EventBridge delivery here too; an imported
    // one (fromBucketName) must have it turned on by its owner (README: Use it as a construct).
    const cfn = props.landing?.node.defaultChild;
    if (cfn instanceof s3.CfnBucket) enableEventBridge(cfn);

    this.lake = new s3.Bucket(this, 'Lake', {
      ...secure,
      versioned: config.removal === 'retain',
      serverAccessLogsBucket: this.accessLogs,
      serverAccessLogsPrefix: 'lake/',
      lifecycleRules: [
        {
          id: 'bronze-to-infrequent-access',
          prefix: 'bronze/',
          transitions: [{ storageClass: s3.StorageClass.INFREQUENT_ACCESS, transitionAfter: Duration.days(30) }],
        },
        { id: 'expire-quarantine', prefix: 'quarantine/', expiration: Duration.days(config.retention.quarantineDays) },
        { id: 'expire-fault-markers', prefix: '_faults/', expiration: Duration.days(1) },
        { id: 'abort-incomplete-uploads', abortIncompleteMultipartUploadAfter: Duration.days(7) },
        ...(config.removal === 'retain' ? [{ id: 'expire-old-versions', noncurrentVersionExpiration: Duration.days(30) }] : []),
      ],
    });
    if (removal === RemovalPolicy.RETAIN) {
      this.accessLogs.applyRemovalPolicy(RemovalPolicy.RETAIN);
    }
  }

  private createLanding(config: PipelineConfig, secure: Omit<s3.BucketProps, 'versioned'>): s3.Bucket {
    const landing = new s3.Bucket(this, 'Landing', {
      ...secure,
      versioned: true,
      serverAccessLogsBucket: this.accessLogs,
      serverAccessLogsPrefix: 'landing/',
      lifecycleRules: [
        // Bronze keeps the byte-identical copy, so landing is a short-lived inbox.
        { id: 'expire-landed-files', prefix: 'landing/', expiration: Duration.days(config.retention.landingDays) },
        { id: 'expire-old-versions', noncurrentVersionExpiration: Duration.days(30) },
        { id: 'abort-incomplete-uploads', abortIncompleteMultipartUploadAfter: Duration.days(7) },
      ],
    });
    enableEventBridge(landing.node.defaultChild as s3.CfnBucket);
    return landing;
  }
}

// EventBridge delivery as a plain CloudFormation property: eventBridgeEnabled
// would deploy a custom-resource Lambda to do the same thing.
function enableEventBridge(bucket: s3.CfnBucket): void {
  bucket.notificationConfiguration = { ...(bucket.notificationConfiguration as object | undefined), eventBridgeConfiguration: { eventBridgeEnabled: true } };
}

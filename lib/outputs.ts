// CDK-free on purpose: the CLI reads these names without loading aws-cdk-lib.

/** Output names are API: the `pipeline` CLI and the e2e tests find resources by them. */
export const OUTPUTS = {
  landingBucket: 'LandingBucketName',
  lakeBucket: 'LakeBucketName',
  stateMachine: 'StateMachineArn',
  ingestQueue: 'IngestQueueUrl',
  ingestDlq: 'IngestDlqUrl',
  targetDlq: 'RuleTargetDlqUrl',
  failedQueue: 'FailedQueueUrl',
  failedDlq: 'FailedDlqUrl',
  datasets: 'Datasets',
  alarmTopic: 'AlarmTopicArn',
  replayStateMachine: 'ReplayStateMachineArn',
  database: 'GlueDatabaseName',
  workGroup: 'AthenaWorkGroupName',
  readerPolicy: 'LakeReaderPolicyArn',
} as const;

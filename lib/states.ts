// CDK-free on purpose: `pipeline run` wires its handlers by these names without loading aws-cdk-lib.

/** State names are API: the local runner wires handlers to them. */
export const STATES = {
  validate: 'Validate',
  transform: 'Transform',
  publish: 'Publish',
  quarantine: 'Quarantine',
  notifyFailed: 'NotifyFailed',
  failed: 'Failed',
  done: 'Done',
} as const;

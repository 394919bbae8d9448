/**
 * An S3 Object Created event with every field S3 puts in it when it sends one through
 * EventBridge (AWS docs' example): the dispatcher reads events with Powertools' schema
 * and fails, never skips, an Object Created event it cannot read. One builder for the
 * unit tests and for the e2e tests that redeliver or park an event by hand.
 */
export function objectCreatedEvent(
  bucket: string,
  object: { key: string; size?: number; etag?: string; 'version-id'?: string; sequencer?: string },
  id: string,
  time = new Date().toISOString(),
  detailType = 'Object Created',
) {
  return {
    version: '0',
    id,
    'detail-type': detailType,
    source: 'aws.s3',
    account: '000000000000',
    time,
    region: 'us-east-1',
    resources: [`arn:aws:s3:::${bucket}`],
    detail: {
      version: '0',
      bucket: { name: bucket },
      object,
      'request-id': id,
      requester: '000000000000',
      'source-ip-address': '1.2.3.4',
      reason: 'PutObject',
    },
  };
}

/** The unit tests' event: a fixed id, time and object version. */
export function s3ObjectCreated(bucket: string, key: string, version = 'v1', detailType = 'Object Created') {
  return objectCreatedEvent(
    bucket,
    { key, size: 10, etag: 'e1', 'version-id': version, sequencer: '00617F08299329D189' },
    '17793124-05d4-b198-2fde-7ededc63b103',
    '2026-11-22T10:00:00Z',
    detailType,
  );
}

/** An S3 Object Created event exactly as S3 sends it through EventBridge (AWS docs' example, with our bucket and key). */
export function s3ObjectCreated(bucket: string, key: string, version = 'v1', detailType = 'Object Created') {
  return {
    version: '0',
    id: '17793124-05d4-b198-2fde-7ededc63b103',
    'detail-type': detailType,
    source: 'aws.s3',
    account: '111122223333',
    time: '2026-11-22T10:00:00Z',
    region: 'eu-west-1',
    resources: [`arn:aws:s3:::${bucket}`],
    detail: {
      version: '0',
      bucket: { name: bucket },
      object: { key, size: 10, etag: 'e1', 'version-id': version, sequencer: '00617F08299329D189' },
      'request-id': 'N4N7GDK58NMKJ12R',
      requester: '123456789012',
      'source-ip-address': '1.2.3.4',
      reason: 'PutObject',
    },
  };
}

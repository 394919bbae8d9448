import { Stack } from 'aws-cdk-lib';
import { NagSuppressions } from 'cdk-nag';

/**
 * Every cdk-nag finding we accept, each with the reason it is acceptable here.
 * Suppressions are scoped to the resources they concern wherever cdk-nag allows.
 */
export function applyNagSuppressions(stack: Stack): void {
  NagSuppressions.addStackSuppressions(stack, [
    {
      id: 'AwsSolutions-IAM4',
      reason: 'AWSLambdaBasicExecutionRole is the AWS-maintained minimum for a function to write its own log group; CDK attaches it to every function role.',
      appliesTo: ['Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole'],
    },
    {
      id: 'AwsSolutions-IAM5',
      reason: 'S3 grants are scoped to one prefix of one bucket (landing/*, bronze/*, silver/*, ...); object keys are per file and cannot be enumerated in a policy.',
      appliesTo: [
        'Action::s3:GetObject*',
        'Action::s3:GetBucket*',
        'Action::s3:List*',
        'Action::s3:Abort*',
        'Action::s3:DeleteObject*',
        { regex: '/^Resource::<Storage(Landing|Lake)[A-Z0-9]+\\.Arn>\\/(landing|bronze|silver|gold|quarantine|manifests|_state|_faults|_partials)\\/\\*$/g' },
      ],
    },
    {
      id: 'AwsSolutions-IAM5',
      reason: 'X-Ray PutTraceSegments/PutTelemetryRecords and the Step Functions log-delivery actions do not support resource-level permissions.',
      appliesTo: ['Resource::*'],
    },
    {
      id: 'AwsSolutions-IAM5',
      reason: 'Step Functions invokes each stage function by qualified ARN (function:version) which CDK grants as <arn>:*; the function itself is fixed.',
      appliesTo: [{ regex: '/^Resource::<Orchestration[A-Za-z0-9]+Function[A-Z0-9]+\\.Arn>:\\*$/g' }],
    },
    {
      id: 'AwsSolutions-L1',
      reason: 'Node.js 22 is the runtime this project targets and tests against (Lambda supports it until 2027); newer runtimes are adopted deliberately, not by the linter.',
    },
  ]);
}

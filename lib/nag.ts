import type { Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { NagSuppressions } from 'cdk-nag';

/**
 * The cdk-nag findings accepted for every function and state machine, each
 * attached to the resources it concerns and naming exactly what it allows
 * (no stack-wide suppressions). S3 prefix grants are suppressed next to the
 * grants themselves (lib/stage-access.ts, lib/replay.ts, the freshness checker), and the
 * file pipeline's Lambda invoke grants next to the state machine.
 */
export function applyNagSuppressions(stack: Stack): void {
  const all = stack.node.findAll();
  for (const fn of all.filter((c): c is lambda.Function => c instanceof lambda.Function)) {
    NagSuppressions.addResourceSuppressions(
      fn,
      [
        {
          id: 'AwsSolutions-IAM4',
          reason: 'AWSLambdaBasicExecutionRole is the AWS-maintained minimum for a function to write its own log group; CDK attaches it to every function role.',
          appliesTo: ['Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole'],
        },
        { id: 'AwsSolutions-IAM5', reason: 'X-Ray PutTraceSegments/PutTelemetryRecords (active tracing) do not support resource-level permissions.', appliesTo: ['Resource::*'] },
        {
          id: 'AwsSolutions-L1',
          reason: 'Node.js 22 is the runtime this project targets and tests against (Lambda supports it until 2027); newer runtimes are adopted deliberately, not by the linter.',
        },
      ],
      true,
    );
  }
  for (const machine of all.filter((c): c is sfn.StateMachine => c instanceof sfn.StateMachine)) {
    NagSuppressions.addResourceSuppressions(
      machine,
      [{ id: 'AwsSolutions-IAM5', reason: 'X-Ray PutTraceSegments/PutTelemetryRecords and the Step Functions log-delivery actions do not support resource-level permissions.', appliesTo: ['Resource::*'] }],
      true,
    );
  }
}

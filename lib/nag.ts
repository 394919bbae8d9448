import { Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { NagSuppressions } from 'cdk-nag';
import type { Construct } from 'constructs';

/**
 * The cdk-nag findings accepted for every function and state machine of the
 * pipeline, each attached to the resources it concerns and naming exactly what
 * it allows. Scoped to the construct given (the pipeline's own resources, found
 * by walking its tree), never to the whole stack: a consumer's own functions
 * next to it keep every finding. S3 prefix grants are suppressed next to the
 * grants themselves (lib/stage-access.ts, lib/replay.ts, the freshness checker),
 * and the file pipeline's Lambda invoke grants next to the state machine.
 */
export function applyNagSuppressions(scope: Construct): void {
  const all = scope.node.findAll();
  for (const fn of all.filter((c): c is lambda.Function => c instanceof lambda.Function)) {
    NagSuppressions.addResourceSuppressions(
      fn,
      [
        {
          id: 'AwsSolutions-IAM4',
          reason:
            'AWSLambdaBasicExecutionRole is the AWS-maintained minimum for a function to write its own log group; CDK attaches it to every function role.',
          appliesTo: ['Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole'],
        },
        {
          id: 'AwsSolutions-IAM5',
          reason: 'X-Ray PutTraceSegments/PutTelemetryRecords (active tracing) do not support resource-level permissions.',
          appliesTo: ['Resource::*'],
        },
        {
          id: 'AwsSolutions-L1',
          reason:
            'Node.js 22 is the runtime this project targets and tests against (Lambda supports it until 2027); newer runtimes are adopted deliberately, not by the linter.',
        },
      ],
      true,
    );
  }
  for (const machine of all.filter((c): c is sfn.StateMachine => c instanceof sfn.StateMachine)) {
    NagSuppressions.addResourceSuppressions(
      machine,
      [
        {
          id: 'AwsSolutions-IAM5',
          reason: 'X-Ray PutTraceSegments/PutTelemetryRecords and the Step Functions log-delivery actions do not support resource-level permissions.',
          appliesTo: ['Resource::*'],
        },
      ],
      true,
    );
  }
}

/**
 * A policy resource as cdk-nag names it in an `appliesTo` (`Resource::<Lake1A2B.Arn>/silver/*`),
 * computed from the token itself, so a suppression stays exact wherever the
 * construct is nested and whether a bucket is created here or imported.
 */
export function nagResource(scope: Construct, arn: string): string {
  return `Resource::${flatten(Stack.of(scope).resolve(arn))}`;
}

// The rendering cdk-nag applies to a resolved reference (Fn::Join, Fn::GetAtt, Ref).
function flatten(node: unknown): string {
  if (node === undefined) return '';
  if (typeof node === 'string') return node.replace(/\$\{/g, '<').replace(/\}/g, '>');
  const n = node as Record<string, unknown>;
  if (Array.isArray(n['Fn::Join'])) {
    const [sep, items] = n['Fn::Join'] as [string, unknown[]];
    return items.map(flatten).join(sep);
  }
  if (n['Fn::Sub'] !== undefined) return flatten(n['Fn::Sub']);
  if (Array.isArray(n['Fn::GetAtt'])) {
    const [resource, attribute] = n['Fn::GetAtt'] as [unknown, unknown];
    return `<${flatten(resource)}.${flatten(attribute)}>`;
  }
  if (n['Fn::ImportValue'] !== undefined) return flatten(n['Fn::ImportValue']);
  if (n.Ref !== undefined) return `<${flatten(n.Ref)}>`;
  return JSON.stringify(node);
}

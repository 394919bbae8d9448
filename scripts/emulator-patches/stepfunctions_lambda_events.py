"""Reviewed patch for MiniStack 1.5.33's Step Functions history (applied by
scripts/emulator.sh; idempotent; fails loudly if the code moved).

Gap: a Task whose Resource is a Lambda function ARN (what CDK's LambdaInvoke
with payloadResponseOnly renders) was recorded as TaskScheduled / TaskSucceeded
/ TaskFailed. AWS records LambdaFunctionScheduled, LambdaFunctionStarted, then
LambdaFunctionSucceeded, LambdaFunctionFailed or LambdaFunctionTimedOut, with
lambdaFunction*EventDetails (LocalStack does too). Service integrations
(arn:aws:states:::...) keep the Task* events, as on AWS.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _patchlib import patch  # noqa: E402

MARK = "# landing-to-lake patch: LambdaFunction* events"
FILE = "services/stepfunctions.py"

patch(
    FILE,
    '''def _execute_task(state_def, raw_input, execution, ctx):''',
    f'''def _ltl_lambda_arn(resource):  {MARK}
    return resource.startswith("arn:aws:lambda:") and ":function:" in resource


def _execute_task(state_def, raw_input, execution, ctx):''',
)
patch(
    FILE,
    '''            _add_event(execution, "TaskScheduled", {
                "taskScheduledEventDetails": {
                    "resourceType": "lambda" if "lambda" in resource else "states",
                    "resource": resource,
                },
            })''',
    f'''            if _ltl_lambda_arn(resource):  {MARK}
                _add_event(execution, "LambdaFunctionScheduled", {{
                    "lambdaFunctionScheduledEventDetails": {{"resource": resource, "input": json.dumps(effective)}},
                }})
                _add_event(execution, "LambdaFunctionStarted")
            else:
                _add_event(execution, "TaskScheduled", {{
                    "taskScheduledEventDetails": {{
                        "resourceType": "lambda" if "lambda" in resource else "states",
                        "resource": resource,
                    }},
                }})''',
)
patch(
    FILE,
    '''            _add_event(execution, "TaskSucceeded", {
                "taskSucceededEventDetails": {
                    "output": json.dumps(task_result),
                    "resource": resource,
                },
            })''',
    f'''            if _ltl_lambda_arn(resource):  {MARK}
                _add_event(execution, "LambdaFunctionSucceeded", {{
                    "lambdaFunctionSucceededEventDetails": {{"output": json.dumps(task_result)}},
                }})
            else:
                _add_event(execution, "TaskSucceeded", {{
                    "taskSucceededEventDetails": {{
                        "output": json.dumps(task_result),
                        "resource": resource,
                    }},
                }})''',
)
patch(
    FILE,
    '''            _add_event(execution, "TaskFailed", {
                "taskFailedEventDetails": {
                    "error": err.error, "cause": err.cause,
                    "resource": resource,
                },
            })''',
    f'''            if _ltl_lambda_arn(resource) and err.error == "States.Timeout":  {MARK}
                _add_event(execution, "LambdaFunctionTimedOut", {{
                    "lambdaFunctionTimedOutEventDetails": {{"error": err.error, "cause": err.cause}},
                }})
            elif _ltl_lambda_arn(resource):
                _add_event(execution, "LambdaFunctionFailed", {{
                    "lambdaFunctionFailedEventDetails": {{"error": err.error, "cause": err.cause}},
                }})
            else:
                _add_event(execution, "TaskFailed", {{
                    "taskFailedEventDetails": {{
                        "error": err.error, "cause": err.cause,
                        "resource": resource,
                    }},
                }})''',
)

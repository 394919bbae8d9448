"""Reviewed patch for LocalStack 4.14.0's Lambda execution environment
(applied by scripts/localstack.sh; idempotent; fails loudly if the code moved).

Gap: a function's logs always went to /aws/lambda/<name>, ignoring its
LoggingConfig.LogGroup. On AWS (advanced logging controls) they go to the
configured group, and AWS_LAMBDA_LOG_GROUP_NAME names it; our stack gives each
function its own log group, where the EMF metrics and alarms read them.
"""
import os
import sys

sys.path.append(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from _patchlib import patch  # noqa: E402

patch(
    "services/lambda_/invocation/execution_environment.py",
    '''    def get_log_group_name(self) -> str:
        return f"/aws/lambda/{self.function_version.id.function_name}"''',
    '''    def get_log_group_name(self) -> str:  # landing-to-lake patch: LoggingConfig.LogGroup
        configured = (self.function_version.config.logging_config or {}).get("LogGroup")
        return configured or f"/aws/lambda/{self.function_version.id.function_name}"''',
    package="localstack",
)

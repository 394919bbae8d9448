"""Fails loudly when the LocalStack code that ltl_host_lambda plugs into has
moved (run by scripts/localstack.sh after every install, like the patches).

The host executor relies on: the plugin namespace and the lookup by name; the
exact set of abstract methods of RuntimeExecutor and their parameters; the
keys of the invoke payload ExecutionEnvironment builds; the code object's
unzip/location methods; StatusErrorException(message, payload), which the
invoke path turns into the invocation's error. Anything else is a re-review.
"""
import inspect
import sys

from localstack.services.lambda_.invocation import execution_environment, executor_endpoint, lambda_models
from localstack.services.lambda_.invocation.plugins import RuntimeExecutorPlugin
from localstack.services.lambda_.invocation.runtime_executor import EXECUTOR_PLUGIN_MANAGER, RuntimeExecutor

from ltl_host_lambda.executor import PAYLOAD_KEYS

EXPECTED_ABSTRACT = {
    "start": ["self", "env_vars"],
    "stop": ["self"],
    "get_address": ["self"],
    "get_endpoint_from_executor": ["self"],
    "get_runtime_endpoint": ["self"],
    "invoke": ["self", "payload"],
    "get_logs": ["self"],
    "prepare_version": ["function_version"],
    "cleanup_version": ["function_version"],
}

problems = []
if RuntimeExecutorPlugin.namespace != "localstack.lambda.runtime_executor":
    problems.append(f"plugin namespace is {RuntimeExecutorPlugin.namespace!r}")
if set(RuntimeExecutor.__abstractmethods__) != set(EXPECTED_ABSTRACT):
    problems.append(f"RuntimeExecutor abstract methods are {sorted(RuntimeExecutor.__abstractmethods__)}")
for name, params in EXPECTED_ABSTRACT.items():
    fn = getattr(RuntimeExecutor, name, None)
    got = list(inspect.signature(fn).parameters) if fn else None
    if got != params:
        problems.append(f"RuntimeExecutor.{name} parameters are {got}, expected {params}")
if list(inspect.signature(RuntimeExecutor.__init__).parameters) != ["self", "id", "function_version"]:
    problems.append("RuntimeExecutor.__init__ parameters changed")
invoke_src = inspect.getsource(execution_environment.ExecutionEnvironment.invoke)
problems += [f"ExecutionEnvironment.invoke no longer sends {k!r}" for k in PAYLOAD_KEYS if f'"{k}"' not in invoke_src]
if list(inspect.signature(executor_endpoint.StatusErrorException.__init__).parameters) != ["self", "message", "payload"]:
    problems.append("StatusErrorException(message, payload) changed")
fields = {f.name for f in lambda_models.InvocationResult.__dataclass_fields__.values()}
if not {"request_id", "payload", "is_error", "logs"} <= fields:
    problems.append(f"InvocationResult fields are {sorted(fields)}")
for attr in ("prepare_for_execution", "get_unzipped_code_location"):
    if not hasattr(lambda_models.ArchiveCode, attr):
        problems.append(f"ArchiveCode.{attr} is gone")
if not EXECUTOR_PLUGIN_MANAGER.exists("host-node"):
    problems.append("plugin 'host-node' is not registered (is ltl-host-lambda installed in this venv?)")

if problems:
    sys.exit("LocalStack host Lambda executor: the LocalStack code it plugs into has moved; re-review "
             "scripts/emulator-patches/localstack/ltl_host_lambda for this version:\n  - " + "\n  - ".join(problems))
print("host Lambda executor: LocalStack interface checked")

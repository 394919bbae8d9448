"""The plux entry point LocalStack looks up by LAMBDA_RUNTIME_EXECUTOR=host-node."""
from localstack.services.lambda_.invocation.plugins import RuntimeExecutorPlugin


class HostNodeRuntimeExecutorPlugin(RuntimeExecutorPlugin):
    name = "host-node"

    def load(self, *args, **kwargs):
        from ltl_host_lambda.executor import HostNodeRuntimeExecutor

        return HostNodeRuntimeExecutor

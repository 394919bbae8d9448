"""LocalStack runtime executor that runs Node.js functions as processes on the
host, on the project's pinned Node (no Docker). Registered as the plux plugin
`host-node` in LocalStack's `localstack.lambda.runtime_executor` namespace and
selected with LAMBDA_RUNTIME_EXECUTOR=host-node.

One executor = one execution environment = one `node worker.cjs` process, in
LocalStack's process group (so stopping the emulator's group stops every
worker). Requests go over the worker's stdin, results come back on a pipe
(fd 3): the worker opens no socket. The function's timeout is enforced here:
past it the worker is killed and the invocation fails with Sandbox.Timedout,
and the next invocation starts a fresh environment, as on AWS.
"""
from __future__ import annotations

import json
import logging
import os
import queue
import shutil
import subprocess
import tempfile
import threading
import time
from pathlib import Path

from localstack import config
from localstack.services.lambda_.invocation.executor_endpoint import StatusErrorException
from localstack.services.lambda_.invocation.lambda_models import FunctionVersion, InvocationResult
from localstack.services.lambda_.invocation.runtime_executor import (
    LambdaRuntimeException,
    RuntimeExecutor,
)

LOG = logging.getLogger(__name__)
WORKER = Path(__file__).with_name("worker.cjs")
# Set by scripts/localstack.sh: the project's pinned node (node_modules/.bin/node).
NODE_ENV_VAR = "LTL_HOST_LAMBDA_NODE"
# Keys of the invoke payload LocalStack's ExecutionEnvironment.invoke builds.
PAYLOAD_KEYS = ("invoke-id", "invoked-function-arn", "payload", "trace-id")
# Variables of LocalStack's own process that a worker may see: the rest of the
# environment comes from the function's configuration, as in a real sandbox.
PASSED_THROUGH = ("LANG", "LC_ALL")


def _node() -> str:
    node = os.environ.get(NODE_ENV_VAR, "")
    if not node or not os.access(node, os.X_OK):
        raise LambdaRuntimeException(
            f"host Lambda executor: {NODE_ENV_VAR} must name the project's node binary (got {node!r}); "
            "start LocalStack with scripts/localstack.sh"
        )
    return node


class HostNodeRuntimeExecutor(RuntimeExecutor):
    def __init__(self, id: str, function_version: FunctionVersion) -> None:
        super().__init__(id=id, function_version=function_version)
        self._proc: subprocess.Popen | None = None
        self._results: queue.Queue = queue.Queue()
        self._env: dict[str, str] = {}
        self._tmp: str | None = None
        self._lock = threading.Lock()
        self._init_logs = ""

    # -- lifecycle -------------------------------------------------------
    def start(self, env_vars: dict[str, str]) -> None:
        runtime = str(self.function_version.config.runtime or "")
        if not runtime.startswith("nodejs"):
            raise LambdaRuntimeException(
                f"host Lambda executor runs Node.js functions only; {self.function_version.id.function_name} has runtime {runtime!r}"
            )
        code = self.function_version.config.code.get_unzipped_code_location()
        self._tmp = tempfile.mkdtemp(prefix=f"lambda-{self.id}-", dir=config.dirs.tmp)
        env = {k: os.environ[k] for k in PASSED_THROUGH if k in os.environ}
        env.update({k: str(v) for k, v in env_vars.items()})
        node = _node()
        env.update(
            {
                # The sandbox's paths, mapped onto the host.
                "LAMBDA_TASK_ROOT": str(code),
                "TMPDIR": self._tmp,
                "HOME": self._tmp,
                "PATH": f"{os.path.dirname(node)}:/usr/bin:/bin",
                "AWS_EXECUTION_ENV": f"AWS_Lambda_{runtime}",
            }
        )
        self._env = env
        self._spawn()

    def _spawn(self) -> None:
        read_fd, write_fd = os.pipe()
        try:
            self._proc = subprocess.Popen(
                [_node(), str(WORKER)],
                stdin=subprocess.PIPE,
                # Output that bypasses the worker's capture (a crash in Node
                # itself) lands in LocalStack's log, to be seen.
                stdout=None,
                stderr=None,
                pass_fds=(write_fd,),
                env={**self._env, "LTL_RESULTS_FD": str(write_fd)},
                cwd=self._env["LAMBDA_TASK_ROOT"],
                text=True,
            )
        finally:
            os.close(write_fd)
        results: queue.Queue = queue.Queue()
        self._results = results
        proc = self._proc

        def pump() -> None:
            with os.fdopen(read_fd, "r", encoding="utf-8") as f:
                for line in f:
                    results.put(json.loads(line))
            results.put({"type": "exit", "code": proc.wait()})

        threading.Thread(target=pump, name=f"host-lambda-{self.id}", daemon=True).start()
        first = self._next(config.LAMBDA_RUNTIME_ENVIRONMENT_TIMEOUT)
        if first is None or first.get("type") != "ready":
            self._kill()
            error = (first or {}).get("error") or json.dumps(
                {"errorType": "Runtime.ExitError", "errorMessage": f"worker did not start: {first}"}
            )
            self._init_logs = (first or {}).get("logs", "")
            # LocalStack's invoke path turns this into the invocation's error (as
            # Runtime.ImportModuleError and the like reach the caller on AWS).
            raise StatusErrorException(f"environment {self.id} failed to initialise", payload=error.encode())

    def _next(self, timeout: float | None) -> dict | None:
        try:
            return self._results.get(timeout=timeout)
        except queue.Empty:
            return None

    def _kill(self) -> None:
        proc, self._proc = self._proc, None
        if proc and proc.poll() is None:
            proc.kill()
            proc.wait()

    def stop(self) -> None:
        # Not under the invoke lock: stopping during an invocation (delete,
        # update, shutdown) ends it now; the invoke sees the worker exit.
        self._kill()
        if self._tmp:
            shutil.rmtree(self._tmp, ignore_errors=True)

    # -- invocations -----------------------------------------------------
    def invoke(self, payload: dict[str, str]) -> InvocationResult:
        missing = [k for k in PAYLOAD_KEYS if k not in payload]
        if missing:
            raise LambdaRuntimeException(f"host Lambda executor: invoke payload lacks {missing}; re-review it for this LocalStack version")
        request_id = payload["invoke-id"]
        timeout = float(self.function_version.config.timeout)
        with self._lock:
            if self._proc is None or self._proc.poll() is not None:
                self._spawn()  # the previous environment timed out or crashed
            request = {
                "id": request_id,
                "arn": payload["invoked-function-arn"],
                "payload": payload["payload"],
                "traceId": payload["trace-id"],
                "deadlineMs": int(time.time() * 1000 + timeout * 1000),
            }
            self._proc.stdin.write(json.dumps(request) + "\n")
            self._proc.stdin.flush()
            started = time.monotonic()
            while True:
                msg = self._next(max(0.0, timeout - (time.monotonic() - started)))
                if msg is None:
                    self._kill()
                    return self._error(request_id, "Sandbox.Timedout", f"RequestId: {request_id} Error: Task timed out after {timeout:.2f} seconds")
                if msg.get("type") == "exit":
                    self._proc = None
                    return self._error(request_id, "Runtime.ExitError", f"RequestId: {request_id} Error: Runtime exited with error: exit status {msg.get('code')}")
                if msg.get("type") == "result" and msg.get("id") == request_id:
                    logs = self._init_logs + msg.get("logs", "")
                    self._init_logs = ""
                    return InvocationResult(request_id, msg["payload"].encode(), is_error=not msg["ok"], logs=logs)

    def _error(self, request_id: str, error_type: str, message: str) -> InvocationResult:
        body = json.dumps({"errorType": error_type, "errorMessage": message})
        return InvocationResult(request_id, body.encode(), is_error=True, logs=f"{message}\n")

    # -- addresses: the worker is a host process talking to the gateway ---
    def get_address(self) -> str:
        return "127.0.0.1"

    def get_endpoint_from_executor(self) -> str:
        return "127.0.0.1"

    def get_runtime_endpoint(self) -> str:
        # Unused: results come back over the worker's pipe, not LocalStack's runtime API.
        return f"http://127.0.0.1:{config.GATEWAY_LISTEN[0].port}/_localstack_lambda/{self.id}"

    def get_logs(self) -> str:
        return self._init_logs

    # -- versions --------------------------------------------------------
    @classmethod
    def prepare_version(cls, function_version: FunctionVersion) -> None:
        if function_version.config.code:
            function_version.config.code.prepare_for_execution()

    @classmethod
    def cleanup_version(cls, function_version: FunctionVersion) -> None:
        pass

    @classmethod
    def validate_environment(cls) -> bool:
        try:
            _node()
        except LambdaRuntimeException as e:
            LOG.error("%s", e)
            return False
        return True

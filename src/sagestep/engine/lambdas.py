"""Python callables standing in for Lambda functions, registered by function name.

    from sagestep.local import register_lambda
    register_lambda("score", my_handler)                   # this process only
    register_lambda("score", "mypkg.handlers:score")       # persisted for every process

A handler is called as ``handler(event, context)``; its return value (JSON-serialisable) is
the function's result. An exception becomes a Lambda function error shaped as AWS reports
it: error = the exception class name, cause = ``{errorMessage, errorType, requestId,
stackTrace}`` as JSON.
"""

from __future__ import annotations

import importlib
import json
import threading
import traceback
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sagestep.engine import schema
from sagestep.errors import SagestepError
from sagestep.stores.sqlite import connect, migrate, transaction
from sagestep.workspace import Workspace

Handler = Callable[[Any, Any], Any]


class LambdaError(Exception):
    """A Lambda invocation failed; ``error``/``cause`` as Step Functions reports them."""

    def __init__(self, error: str, cause: str) -> None:
        super().__init__(f"{error}: {cause}")
        self.error = error
        self.cause = cause


@dataclass(frozen=True)
class LambdaContext:
    """The subset of the Lambda context object handlers commonly read."""

    function_name: str
    aws_request_id: str
    invoked_function_arn: str
    memory_limit_in_mb: int = 128

    def get_remaining_time_in_millis(self) -> int:
        return 900_000


def function_name(name_or_arn: str) -> str:
    """``arn:aws:lambda:r:a:function:NAME[:qualifier]`` or ``NAME[:qualifier]`` -> ``NAME``."""
    parts = name_or_arn.split(":")
    if len(parts) >= 7 and parts[0] == "arn":
        return parts[6]
    if len(parts) == 3 and parts[1] == "function":  # partial ARN: ACCOUNT:function:NAME
        return parts[2]
    return parts[0]


class LambdaRegistry:
    """Function name -> handler for one workspace."""

    def __init__(self, workspace: Workspace, region: str = "us-east-1",
                 account: str = "123456789012") -> None:
        self._db_path = workspace.db_path
        self._local: dict[str, Handler] = {}
        self._lock = threading.Lock()
        self._region = region
        self._account = account
        conn = connect(self._db_path)
        try:
            migrate(conn, schema.COMPONENT, schema.SCRIPTS)
        finally:
            conn.close()

    def register(self, name: str, handler: Handler | str) -> None:
        """Make ``handler`` (callable, or ``"module:function"`` persisted) answer ``name``."""
        name = function_name(name)
        if isinstance(handler, str):
            _import(handler)  # fail now, with a clear message, not at the first invoke
            conn = connect(self._db_path)
            try:
                with transaction(conn):
                    conn.execute("INSERT OR REPLACE INTO sfn_lambdas (name, target) VALUES (?, ?)",
                                 (name, handler))
            finally:
                conn.close()
            with self._lock:
                self._local.pop(name, None)
            return
        if not callable(handler):
            raise SagestepError(
                f"Lambda {name!r}: handler must be a callable or 'module:function', got {handler!r}")
        with self._lock:
            self._local[name] = handler

    def names(self) -> list[str]:
        conn = connect(self._db_path)
        try:
            stored = [r[0] for r in conn.execute("SELECT name FROM sfn_lambdas")]
        finally:
            conn.close()
        with self._lock:
            return sorted(set(stored) | set(self._local))

    def resolve(self, name_or_arn: str) -> Handler | None:
        name = function_name(name_or_arn)
        with self._lock:
            if name in self._local:
                return self._local[name]
        conn = connect(self._db_path)
        try:
            row = conn.execute("SELECT target FROM sfn_lambdas WHERE name = ?", (name,)).fetchone()
        finally:
            conn.close()
        return None if row is None else _import(row[0])

    def invoke(self, name_or_arn: str, event: Any) -> Any:
        """Call the function; its JSON result, or raise :class:`LambdaError` as AWS would."""
        name = function_name(name_or_arn)
        handler = self.resolve(name)
        arn = f"arn:aws:lambda:{self._region}:{self._account}:function:{name}"
        if handler is None:
            raise LambdaError(
                "Lambda.ResourceNotFoundException",
                f"Function not found: {arn} (register it with "
                "sagestep.local.register_lambda(name, handler))")
        request_id = str(uuid.uuid4())
        context = LambdaContext(name, request_id, arn)
        try:
            result = handler(event, context)
        except Exception as exc:  # the function's own error becomes the task's error
            raise LambdaError(type(exc).__name__, _cause(exc, request_id)) from exc
        try:
            return json.loads(json.dumps(result))
        except (TypeError, ValueError) as exc:
            raise LambdaError("Runtime.MarshalError",
                              f"Unable to marshal response: {exc}") from exc


def _cause(exc: BaseException, request_id: str) -> str:
    frames = traceback.format_list(traceback.extract_tb(exc.__traceback__)[1:])
    return json.dumps({
        "errorMessage": str(exc),
        "errorType": type(exc).__name__,
        "requestId": request_id,
        "stackTrace": frames,
    })


def _import(target: str) -> Handler:
    module_name, _, attr = target.partition(":")
    if not module_name or not attr:
        raise SagestepError(f"Lambda handler {target!r} must look like 'package.module:function'")
    try:
        module = importlib.import_module(module_name)
        handler = getattr(module, attr)
    except (ImportError, AttributeError) as exc:
        raise SagestepError(
            f"Lambda handler {target!r} cannot be imported ({exc}); check the module is on "
            "PYTHONPATH and defines the function") from exc
    if not callable(handler):
        raise SagestepError(f"Lambda handler {target!r} is not callable")
    return handler  # type: ignore[no-any-return]

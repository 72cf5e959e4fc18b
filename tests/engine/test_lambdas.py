"""Lambda registry: callables and persisted import strings; AWS-shaped errors; names."""

from __future__ import annotations

import json

import pytest

from sagestep.engine.lambdas import LambdaError, LambdaRegistry, function_name
from sagestep.engine.names import name_problem
from sagestep.errors import SagestepError
from sagestep.workspace import Workspace


class CustomError(Exception):
    pass


def fail(event, context):
    raise CustomError("bad input")


def test_registry_in_process_and_persisted(tmp_path) -> None:
    ws = Workspace.resolve(tmp_path)
    reg = LambdaRegistry(ws)
    reg.register("echo", lambda event, context: {"e": event, "fn": context.function_name})
    assert reg.invoke("arn:aws:lambda:us-east-1:1:function:echo", 5) == {"e": 5, "fn": "echo"}
    reg.register("fail", "tests.engine.test_lambdas:fail")
    other = LambdaRegistry(ws)  # another process would see the persisted one only
    assert other.names() == ["fail"]
    with pytest.raises(LambdaError) as exc:
        other.invoke("fail", {})
    assert exc.value.error == "CustomError"
    cause = json.loads(exc.value.cause)
    assert cause["errorMessage"] == "bad input" and cause["errorType"] == "CustomError"
    assert isinstance(cause["stackTrace"], list)
    with pytest.raises(LambdaError) as exc:
        other.invoke("missing", {})
    assert exc.value.error == "Lambda.ResourceNotFoundException"
    with pytest.raises(SagestepError, match="module:function"):
        reg.register("x", "no_colon")


def test_names() -> None:
    assert function_name("arn:aws:lambda:us-east-1:1:function:f:prod") == "f"
    assert function_name("f") == "f"
    assert name_problem("ok-name_1") is None
    assert "character" in (name_problem("a b") or "")
    assert "80" in (name_problem("x" * 81) or "")

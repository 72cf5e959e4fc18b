"""JSONPath and intrinsic-function syntax, and integration ARNs."""

from __future__ import annotations

import pytest

from sagestep.asl.arns import Pattern, integration_arn, parse_integration_arn
from sagestep.asl.intrinsic import Call, IntrinsicSyntaxError, Literal, PathArg, parse_intrinsic
from sagestep.asl.jsonpath import (
    DeepScan,
    Field,
    FilterStep,
    Index,
    PathSyntaxError,
    Slice,
    Union,
    Wildcard,
    parse_path,
)


def test_paths_parse_to_steps() -> None:
    assert parse_path("$.a['b c'][0]").steps == (Field("a"), Field("b c"), Index(0))
    assert parse_path("$.a[1:5:2]").steps == (Field("a"), Slice(1, 5, 2))
    assert parse_path("$..x").steps == (DeepScan(Field("x")),)
    assert parse_path("$.a[*]").steps == (Field("a"), Wildcard())
    assert parse_path("$[0,2]").steps == (Union((0, 2)),)
    assert isinstance(parse_path("$.u[?(@.s == 0 && @.y > 1)]").steps[1], FilterStep)


def test_roots_and_definiteness() -> None:
    assert parse_path("$$.Execution.Id").root == "$$"
    variable = parse_path("$answer.x")
    assert (variable.root, variable.variable, variable.steps) == ("$answer", "answer", (Field("x"),))
    assert parse_path("$.a[0]").definite and not parse_path("$.a[*]").definite


@pytest.mark.parametrize("text", ["a.b", "$.a[", "$.a[1:x]", "$.", "$...a", "$.a[?(@.x ==)]"])
def test_malformed_paths(text: str) -> None:
    with pytest.raises((PathSyntaxError, ValueError)):
        parse_path(text)


def test_intrinsics_parse_nested_calls_and_escapes() -> None:
    call = parse_intrinsic("States.Format('a\\{\\} \\'{}\\'', States.ArrayGetItem($.a[0], -1))")
    assert call.name == "States.Format"
    template, inner = call.args
    assert template == Literal("a{} '{}'", "a\\{\\} '{}'")
    assert isinstance(inner, Call) and inner.args == (PathArg("$.a[0]"), Literal(-1))
    assert parse_intrinsic("States.UUID()").args == ()


@pytest.mark.parametrize(
    "text", ["States.Nope(1)", "States.Format('x'", "States.Format('x', )", "States.Array(1) x", "States.Format(foo)"]
)
def test_malformed_intrinsics(text: str) -> None:
    with pytest.raises(IntrinsicSyntaxError):
        parse_intrinsic(text)


def test_integration_arns() -> None:
    arn = integration_arn("sagemaker", "createTrainingJob", Pattern.RUN_JOB)
    assert arn == "arn:aws:states:::sagemaker:createTrainingJob.sync"
    assert parse_integration_arn(arn).pattern is Pattern.RUN_JOB
    token = parse_integration_arn("arn:aws:states:::lambda:invoke.waitForTaskToken")
    assert (token.service, token.action, token.pattern) == ("lambda", "invoke", Pattern.WAIT_FOR_TASK_TOKEN)
    assert parse_integration_arn("arn:aws:states:::states:startExecution.sync:2").pattern is Pattern.RUN_JOB_V2
    assert parse_integration_arn(token.arn) == token
    with pytest.raises(ValueError, match="not a Step Functions integration ARN"):
        parse_integration_arn("arn:aws:lambda:us-east-1:1:function:f")

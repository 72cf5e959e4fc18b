"""Intrinsic functions: results and States.IntrinsicFailure checks."""

from __future__ import annotations

from typing import Any

import pytest

from sagestep.asl.intrinsic import parse_intrinsic
from sagestep.engine.intrinsics import evaluate
from sagestep.engine.paths import select
from sagestep.engine.states_error import StatesError

DATA: dict[str, Any] = {"obj": {"Arg1": 1, "Arg2": []}, "n": 1.5, "s": "a,b,,c", "arr": [1, 2, 2, 3]}


def run(text: str) -> Any:
    return evaluate(parse_intrinsic(text), lambda p: select(p, DATA))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("States.Format('x={} y={}', $.obj, $.n)", "x={Arg1=1, Arg2=[]} y=1.5"),
        ("States.Format('\\{\\} {}', null)", "{} null"),
        ("States.StringToJson('{\"a\": [1]}')", {"a": [1]}),
        ("States.StringToJson(' ')", None),
        ("States.JsonToString($.obj)", '{"Arg1":1,"Arg2":[]}'),
        ("States.Array(1, 'a', $.n)", [1, "a", 1.5]),
        ("States.ArrayPartition($.arr, 3)", [[1, 2, 2], [3]]),
        ("States.ArrayContains($.arr, 3)", True),
        ("States.ArrayRange(1, 9, 2)", [1, 3, 5, 7, 9]),
        ("States.ArrayRange(5, 1, -2)", [5, 3, 1]),
        ("States.ArrayGetItem($.arr, 3)", 3),
        ("States.ArrayLength($.arr)", 4),
        ("States.ArrayUnique($.arr)", [1, 2, 3]),
        ("States.Base64Encode('Data to encode')", "RGF0YSB0byBlbmNvZGU="),
        ("States.Base64Decode('RGF0YSB0byBlbmNvZGU=')", "Data to encode"),
        ("States.Hash('input data', 'MD5')", "812f45842bc6d66ee14572ce20db8e86"),
        ("States.JsonMerge($.obj, States.StringToJson('{\"Arg2\": 0}'), false)", {"Arg1": 1, "Arg2": 0}),
        ("States.MathAdd($.n, -0.5)", 2),
        ("States.StringSplit($.s, ',')", ["a", "b", "c"]),
        ("States.ArrayLength(States.StringSplit('a-b', '-'))", 2),
    ],
)
def test_functions(text: str, expected: Any) -> None:
    assert run(text) == expected


def test_random_and_uuid() -> None:
    assert run("States.MathRandom(1, 3, 7)") == run("States.MathRandom(1, 3, 7)")
    assert 1 <= run("States.MathRandom(1, 3)") <= 3
    assert len(run("States.UUID()")) == 36


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("States.ArrayGetItem($.arr, 9)", "index 9 is out of bounds"),
        ("States.ArrayPartition($.arr, 0)", "chunk size must be greater than 0"),
        ("States.JsonMerge($.obj, $.obj, true)", "only shallow merge is supported"),
        ("States.Hash('x', 'SHA-3')", "unsupported algorithm"),
        ("States.Format('{} {}', 1)", "more {} than arguments"),
        ("States.ArrayLength($.obj)", "must be an array"),
        ("States.StringToJson('{')", "not valid JSON"),
        ("States.MathAdd('a', 1)", "must be numbers"),
        ("States.UUID(1)", "takes 0 argument(s), got 1"),
    ],
)
def test_failures_are_intrinsic_failures(text: str, message: str) -> None:
    with pytest.raises(StatesError) as info:
        run(text)
    assert info.value.error == "States.IntrinsicFailure"
    assert message in info.value.cause

"""No input makes data-flow evaluation raise anything but StatesError (the engine must not crash)."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from sagestep.asl import parse_definition
from sagestep.asl.intrinsic import FUNCTIONS
from sagestep.engine.dataflow import state_input, state_output
from sagestep.engine.states_error import StatesError

JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 5) | st.floats(-5, 5, allow_nan=False) | st.text("ab,-{}", max_size=4),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from("abc"), inner, max_size=3),
    max_leaves=8,
)
PATHS = st.sampled_from(["$", "$.a", "$.a.b", "$.a[0]", "$.a[*]", "$..b", "$.a[1:]", "$.a[?(@.b > 1)]", "$$.Execution.Input.a", "$v", "$v.a"])
ARGS = st.lists(PATHS | st.sampled_from(["1", "-1", "2.5", "'a,b'", "'x{}'", "true", "null", "'SHA-1'"]), max_size=3)
CTX: dict[str, Any] = {"Execution": {"Input": {"a": [1]}}}


def _machine(state: dict[str, Any]) -> Any:
    return parse_definition({"StartAt": "S", "States": {"S": {**state, "End": True}}}).states["S"]


def _run(state: Any, data: Any, variables: dict[str, Any]) -> None:
    try:
        effective = state_input(state, data, CTX, variables)
        state_output(state, data, effective, CTX, variables)
    except StatesError:
        pass


@settings(max_examples=150, deadline=None)
@given(data=JSON, path=PATHS, result_path=st.sampled_from(["$.a", "$.a.b", "$.a[0]", "$.c"]), v=JSON)
def test_paths_never_crash(data: Any, path: str, result_path: str, v: Any) -> None:
    state = _machine({"Type": "Pass", "InputPath": path, "ResultPath": result_path, "OutputPath": path})
    _run(state, data, {"v": v})


@settings(max_examples=200, deadline=None)
@given(data=JSON, name=st.sampled_from(sorted(FUNCTIONS)), args=ARGS, v=JSON)
def test_intrinsics_never_crash(data: Any, name: str, args: list[str], v: Any) -> None:
    state = _machine({"Type": "Pass", "Parameters": {"r.$": f"{name}({', '.join(args)})"}})
    _run(state, data, {"v": v})


@settings(max_examples=100, deadline=None)
@given(
    data=JSON,
    expression=st.sampled_from(
        ["$states.input.a", "$states.input.a + 1", "$v.b & 'x'", "$partition($states.input, 0)", "$range(0, $v, 1)",
         "$hash($v, 'MD5')", "$parse($v)", "$count($states.input)", "$states.input.a[0].b", "function($x){$x}"]
    ),
    v=JSON,
)
def test_jsonata_never_crashes(data: Any, expression: str, v: Any) -> None:
    state = parse_definition(
        {"QueryLanguage": "JSONata", "StartAt": "S", "States": {"S": {"Type": "Pass", "Output": {"r": "{% " + expression + " %}"}, "End": True}}}
    ).states["S"]
    _run(state, data, {"v": v})

"""Every corpus case that needs no integration, through the pure data-flow API.

The full conformance run (through the durable engine and the public client) lives with the
engine runtime; this one pins the data-flow semantics case by case, in well under a second.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from sagestep.asl import parse_definition
from tests.engine.conformance import corpus_dir
from tests.engine.dataflow_driver import execute

CORPUS = corpus_dir()


def _cases() -> list[dict[str, Any]]:
    """Cases with no integration (Task states run in the engine's conformance test)."""
    rows = json.loads((CORPUS / "index.json").read_text())
    return [r for r in rows if not r["needs"] and not any(
        s.get("Type") == "Task"
        for s in _all_states(json.loads((CORPUS / r["file"]).read_text())["definition"]))]


def _blank(value: Any, paths: list[str]) -> Any:
    """Replace the values at ``ignore_paths`` (``$.output.a[0].b``) with a marker."""
    for path in paths:
        steps = [k or int(n) for k, n in re.findall(r"\.([^.\[]+)|\[(\d+)\]", path[1:])]
        node = value
        for i, key in enumerate(steps):
            try:
                if i == len(steps) - 1:
                    node[key] = "<ignored>"
                else:
                    node = node[key]
            except (KeyError, IndexError, TypeError):
                break
    return value


def _normal(outcome: dict[str, Any], case: dict[str, Any]) -> dict[str, Any]:
    outcome = _blank(json.loads(json.dumps(outcome)), case["ignore_paths"])
    cause = outcome.get("cause")
    if isinstance(cause, str) and case["expected"].get("cause_is_json"):
        outcome["cause"] = json.loads(cause)
    elif isinstance(cause, str):
        # History event ids belong to the interpreter, not to data flow.
        outcome["cause"] = re.sub(r"event id #\d+", "event id #N", cause)
    outcome.pop("cause_is_json", None)
    return outcome


def _all_states(machine: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for state in machine.get("States", {}).values():
        out.append(state)
        for branch in state.get("Branches", []):
            out += _all_states(branch)
        for key in ("ItemProcessor", "Iterator"):
            if key in state:
                out += _all_states(state[key])
    return out


CASES = _cases()


@pytest.mark.parametrize("row", CASES, ids=[r["name"] for r in CASES])
def test_case(row: dict[str, Any]) -> None:
    case = json.loads((CORPUS / row["file"]).read_text())
    express = case.get("state_machine_type") == "EXPRESS"
    got = execute(parse_definition(case["definition"]), case["input"], express)
    assert _normal(got, case) == _normal(dict(case["expected"]), case)



"""Transition checks: StartAt exists, Next targets exist, every state is reachable."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any


def check_graph(raw: Mapping[str, Any], where: str) -> list[str]:
    """Transition problems of one machine's ``States`` (not of nested branches)."""
    states: Mapping[str, Any] = raw["States"]
    problems: list[str] = []
    start = raw.get("StartAt")
    if isinstance(start, str) and start not in states:
        problems.append(
            f"MISSING_TRANSITION_TARGET: Missing 'Next' target: {start} at {where}/StartAt"
        )
    for name, state in states.items():
        for field, target in _targets(state):
            if target not in states:
                problems.append(
                    f"MISSING_TRANSITION_TARGET: Missing 'Next' target: {target}"
                    f" at {where}/States/{name}/{field}"
                )
    if isinstance(start, str) and start in states:
        seen = _reachable(start, states)
        for name in states:
            if name not in seen:
                problems.append(
                    f'MISSING_TRANSITION_TARGET: State "{name}" is not reachable.'
                    f" at {where}/States/{name}"
                )
    return problems


def _targets(state: Any) -> Iterator[tuple[str, str]]:
    if not isinstance(state, Mapping):
        return
    if isinstance(state.get("Next"), str):
        yield "Next", state["Next"]
    if isinstance(state.get("Default"), str):
        yield "Default", state["Default"]
    for key in ("Choices", "Catch"):
        rules = state.get(key)
        if isinstance(rules, list):
            for i, rule in enumerate(rules):
                if isinstance(rule, Mapping) and isinstance(rule.get("Next"), str):
                    yield f"{key}[{i}]/Next", rule["Next"]


def _reachable(start: str, states: Mapping[str, Any]) -> set[str]:
    seen = {start}
    todo = [start]
    while todo:
        for _, target in _targets(states[todo.pop()]):
            if target in states and target not in seen:
                seen.add(target)
                todo.append(target)
    return seen

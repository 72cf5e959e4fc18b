"""JSONPath evaluation with Jayway's semantics (what AWS Step Functions runs).

- A *definite* path (names and indexes only) selects one value; a missing step raises
  :class:`PathMissing` with Jayway's wording ("No results for path: $['x']" for a missing
  leaf, "Missing property in path $['a']" for a missing intermediate property).
- An *indefinite* path (wildcards, slices, unions, filters, ``..``) selects a list, empty when
  nothing matches.
- :func:`put` writes a value at a reference path (ResultPath), creating objects on the way.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping
from typing import Any

from sagestep.asl.filters import Compare, Filter, Logic
from sagestep.asl.jsonpath import (
    DeepScan,
    Field,
    FilterStep,
    Index,
    Path,
    Slice,
    Step,
    Union,
    Wildcard,
    parse_path,
)
from sagestep.engine.jsoncompare import compare_values


class PathMissing(Exception):
    """A definite path does not exist in the data; ``detail`` is Jayway's message."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


def render(steps: tuple[Step, ...]) -> str:
    """Jayway's normalized form of a definite path prefix: ``$['a'][0]``."""
    out = "$"
    for step in steps:
        out += f"['{step.name}']" if isinstance(step, Field) else f"[{getattr(step, 'index', '*')}]"
    return out


def select(path: str | Path, data: Any) -> Any:
    """The value ``path`` selects in ``data`` (a list for indefinite paths)."""
    parsed = parse_path(path) if isinstance(path, str) else path
    if parsed.definite:
        return _definite(parsed, data)
    return list(_find(parsed.steps, data, data))


def _definite(path: Path, data: Any) -> Any:
    current = data
    for i, step in enumerate(path.steps):
        last = i == len(path.steps) - 1
        if isinstance(step, Field):
            if isinstance(current, Mapping) and step.name in current:
                current = current[step.name]
                continue
            if last or not isinstance(current, Mapping):
                raise PathMissing(f"No results for path: {render(path.steps)}")
            raise PathMissing(f"Missing property in path {render(path.steps[: i + 1])}")
        assert isinstance(step, Index)
        if isinstance(current, list) and -len(current) <= step.index < len(current):
            current = current[step.index]
            continue
        raise PathMissing(f"No results for path: {render(path.steps)}")
    return current


def _find(steps: tuple[Step, ...], node: Any, root: Any) -> Iterator[Any]:
    if not steps:
        yield node
        return
    step, rest = steps[0], steps[1:]
    for child in _apply(step, node, root):
        yield from _find(rest, child, root)


def _apply(step: Step, node: Any, root: Any) -> Iterator[Any]:
    if isinstance(step, Field):
        if isinstance(node, Mapping) and step.name in node:
            yield node[step.name]
    elif isinstance(step, Index):
        if isinstance(node, list) and -len(node) <= step.index < len(node):
            yield node[step.index]
    elif isinstance(step, Wildcard):
        yield from _children(node)
    elif isinstance(step, Slice):
        if isinstance(node, list):
            yield from node[step.start : step.end : step.step]
    elif isinstance(step, Union):
        yield from _union(step, node)
    elif isinstance(step, FilterStep):
        yield from (c for c in _children(node) if _holds(step.filter, c, root))
    elif isinstance(step, DeepScan):
        yield from _deep(step, node, root)


def _children(node: Any) -> Iterator[Any]:
    if isinstance(node, Mapping):
        yield from node.values()
    elif isinstance(node, list):
        yield from node


def _union(step: Union, node: Any) -> Iterator[Any]:
    for key in step.keys:
        if isinstance(key, int):
            if isinstance(node, list) and -len(node) <= key < len(node):
                yield node[key]
        elif isinstance(node, Mapping) and key in node:
            yield node[key]


def _deep(step: DeepScan, node: Any, root: Any) -> Iterator[Any]:
    yield from _apply(step.step, node, root)
    for child in _children(node):
        if isinstance(child, Mapping | list):
            yield from _deep(step, child, root)


def _holds(tree: Filter, item: Any, root: Any) -> bool:
    if isinstance(tree, Logic):
        if tree.op == "!":
            return not _holds(tree.args[0], item, root)
        results = (_holds(a, item, root) for a in tree.args)
        return all(results) if tree.op == "&&" else any(results)
    return _compare(tree, item, root)


_ABSENT = object()


def _operand(path: str | None, value: Any, item: Any, root: Any) -> Any:
    if path is None:
        return value
    base = item if path.startswith("@") else root
    try:
        return select("$" + path[1:], base)
    except PathMissing:
        return _ABSENT


def _compare(tree: Compare, item: Any, root: Any) -> bool:
    left = _operand(tree.left.path, tree.left.value, item, root)
    if tree.op is None or tree.right is None:
        return left is not _ABSENT and left is not False and left is not None
    right = _operand(tree.right.path, tree.right.value, item, root)
    if left is _ABSENT or right is _ABSENT:
        return tree.op == "!=" and not (left is _ABSENT and right is _ABSENT)
    return compare_values(tree.op, left, right)


def put(data: Any, path: str | Path, value: Any) -> Any:
    """A copy of ``data`` with ``value`` at reference path ``path`` (``$`` replaces all).

    Raises ValueError when an existing step is not an object (the caller reports
    States.ResultPathMatchFailure).
    """
    parsed = parse_path(path) if isinstance(path, str) else path
    if not parsed.steps:
        return value
    result = copy.deepcopy(data)
    if not isinstance(result, dict):
        raise ValueError("the input is not an object")
    current: Any = result
    for step in parsed.steps[:-1]:
        current = _descend(current, step)
    _store(current, parsed.steps[-1], value)
    return result


def _descend(current: Any, step: Step) -> Any:
    if isinstance(step, Field) and isinstance(current, dict):
        child = current.get(step.name)
        if not isinstance(child, dict | list):
            child = current[step.name] = {}
        return child
    if (
        isinstance(step, Index)
        and isinstance(current, list)
        and -len(current) <= step.index < len(current)
    ):
        return current[step.index]
    raise ValueError("a step of the path is not an object")


def _store(current: Any, step: Step, value: Any) -> None:
    if isinstance(step, Field) and isinstance(current, dict):
        current[step.name] = value
    elif (
        isinstance(step, Index)
        and isinstance(current, list)
        and -len(current) <= step.index < len(current)
    ):
        current[step.index] = value
    else:
        raise ValueError("the last step of the path is not an object field")

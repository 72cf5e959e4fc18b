"""Array intrinsic functions: States.Array, ArrayPartition, ArrayContains, ArrayRange,
ArrayGetItem, ArrayLength, ArrayUnique."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sagestep.engine.intrinsic_args import array, count, fail, integer, number


def _partition(name: str, args: list[Any]) -> list[Any]:
    count(name, args, 2)
    items = array(name, args[0])
    size = integer(name, args[1], "chunk size")
    if size <= 0:
        raise fail(f"Function {name}: the chunk size must be greater than 0, got {size}")
    return [items[i : i + size] for i in range(0, len(items), size)]


def _contains(name: str, args: list[Any]) -> bool:
    count(name, args, 2)
    target = args[1]
    return any(_same(item, target) for item in array(name, args[0]))


def _same(left: Any, right: Any) -> bool:
    return (
        type(left) is type(right)
        and bool(left == right)
        or (number(left) and number(right) and bool(left == right))
    )


def _range(name: str, args: list[Any]) -> list[int]:
    count(name, args, 3)
    start, end, step = (
        integer(name, a, w) for a, w in zip(args, ("start", "end", "step"), strict=True)
    )
    if step == 0:
        raise fail(f"Function {name}: the step must not be 0")
    values = range(start, end + (1 if step > 0 else -1), step)
    # AWS caps the result at 1000 elements; check before building the list.
    if len(values) > 1000:
        raise fail(f"Function {name}: the range has more than 1000 elements")
    return list(values)


def _get_item(name: str, args: list[Any]) -> Any:
    count(name, args, 2)
    items = array(name, args[0])
    index = integer(name, args[1], "index")
    if not 0 <= index < len(items):
        raise fail(
            f"Function {name}: index {index} is out of bounds for an array of length {len(items)}"
        )
    return items[index]


def _length(name: str, args: list[Any]) -> int:
    count(name, args, 1)
    return len(array(name, args[0]))


def _unique(name: str, args: list[Any]) -> list[Any]:
    count(name, args, 1)
    out: list[Any] = []
    for item in array(name, args[0]):
        if not any(_same(item, seen) for seen in out):
            out.append(item)
    return out


def _array_of(name: str, args: list[Any]) -> list[Any]:
    return list(args)


ARRAY_FUNCTIONS: dict[str, Callable[[str, list[Any]], Any]] = {
    "States.Array": _array_of,
    "States.ArrayPartition": _partition,
    "States.ArrayContains": _contains,
    "States.ArrayRange": _range,
    "States.ArrayGetItem": _get_item,
    "States.ArrayLength": _length,
    "States.ArrayUnique": _unique,
}

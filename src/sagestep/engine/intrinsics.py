"""Intrinsic functions (``States.Format``, ``States.Array``, ...) as AWS evaluates them.

https://docs.aws.amazon.com/step-functions/latest/dg/intrinsic-functions.html
Every failure raises ``States.IntrinsicFailure``. Numbers, strings and JSON follow AWS's Java
runtime where it shows (``States.Format`` prints objects as ``{a=1, b=[]}``; ``States.MathAdd``
rounds each operand half-up).
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import random
import uuid
from collections.abc import Callable, Sequence
from typing import Any

from sagestep.asl.intrinsic import Call, Literal, PathArg
from sagestep.engine.states_error import INTRINSIC_FAILURE, StatesError

Resolve = Callable[[str], Any]
_MAX_TEXT = 10000


def fail(message: str) -> StatesError:
    """A ``States.IntrinsicFailure`` with ``message``."""
    return StatesError(INTRINSIC_FAILURE, message)


def evaluate(call: Call, resolve: Resolve) -> Any:
    """Value of ``call``; ``resolve`` turns a path argument into its value."""
    args = [_arg(a, resolve) for a in call.args]
    if call.name == "States.Format":
        template = call.args[0] if call.args else None
        if isinstance(template, Literal) and template.raw is not None:
            args[0] = _Raw(template.raw)
    return FUNCTIONS[call.name](call.name, args)


class _Raw(str):
    """A string literal whose ``\\{``/``\\}`` escapes are kept (States.Format templates)."""


def _arg(arg: Literal | PathArg | Call, resolve: Resolve) -> Any:
    if isinstance(arg, Literal):
        return arg.value
    if isinstance(arg, PathArg):
        return resolve(arg.path)
    return evaluate(arg, resolve)


def _count(name: str, args: Sequence[Any], low: int, high: int | None = None) -> None:
    high = low if high is None else high
    if not low <= len(args) <= high:
        want = str(low) if low == high else f"{low} to {high}"
        raise fail(f"Function {name} takes {want} argument(s), got {len(args)}")


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _integer(name: str, value: Any, what: str) -> int:
    if _number(value) and float(value).is_integer():
        return int(value)
    raise fail(f"Function {name}: the {what} must be an integer, got {json.dumps(value)}")


def _truncate(name: str, value: Any, what: str) -> int:
    if not _number(value):
        raise fail(f"Function {name}: the {what} must be a number, got {json.dumps(value)}")
    return int(value)


def _array(name: str, value: Any) -> list[Any]:
    if not isinstance(value, list):
        raise fail(f"Function {name}: the first argument must be an array, got {json.dumps(value)}")
    return value


def _text(name: str, value: Any, what: str = "argument") -> str:
    if not isinstance(value, str):
        raise fail(f"Function {name}: the {what} must be a string, got {json.dumps(value)}")
    if len(value) > _MAX_TEXT:
        raise fail(f"Function {name}: the {what} is longer than {_MAX_TEXT} characters")
    return value


def java_string(value: Any) -> str:
    """How AWS's runtime prints a JSON value inside a formatted string."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}={java_string(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(java_string(v) for v in value) + "]"
    return json.dumps(value)


def _format(name: str, args: list[Any]) -> str:
    if not args:
        raise fail(f"Function {name} takes at least 1 argument(s), got 0")
    template = str(args[0])
    values = iter(args[1:])
    out: list[str] = []
    i = 0
    while i < len(template):
        if template[i] == "\\" and template[i + 1 : i + 2] in ("{", "}"):
            out.append(template[i + 1])
            i += 2
        elif template.startswith("{}", i):
            try:
                out.append(java_string(next(values)))
            except StopIteration:
                raise fail(f"Function {name}: the template has more {{}} than arguments") from None
            i += 2
        else:
            out.append(template[i])
            i += 1
    if next(values, _END) is not _END:
        raise fail(f"Function {name}: more arguments than {{}} in the template")
    return "".join(out)


_END = object()


def _string_to_json(name: str, args: list[Any]) -> Any:
    _count(name, args, 1)
    text = _text(name, args[0])
    if not text.strip():
        return None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise fail(f"Function {name}: the argument is not valid JSON: {text}") from exc


def _json_to_string(name: str, args: list[Any]) -> str:
    _count(name, args, 1)
    return json.dumps(args[0], separators=(",", ":"), ensure_ascii=False)


def _partition(name: str, args: list[Any]) -> list[Any]:
    _count(name, args, 2)
    items = _array(name, args[0])
    size = _integer(name, args[1], "chunk size")
    if size <= 0:
        raise fail(f"Function {name}: the chunk size must be greater than 0, got {size}")
    return [items[i : i + size] for i in range(0, len(items), size)]


def _contains(name: str, args: list[Any]) -> bool:
    _count(name, args, 2)
    target = args[1]
    return any(_same(item, target) for item in _array(name, args[0]))


def _same(left: Any, right: Any) -> bool:
    return (
        type(left) is type(right)
        and bool(left == right)
        or (_number(left) and _number(right) and bool(left == right))
    )


def _range(name: str, args: list[Any]) -> list[int]:
    _count(name, args, 3)
    start, end, step = (
        _integer(name, a, w) for a, w in zip(args, ("start", "end", "step"), strict=True)
    )
    if step == 0:
        raise fail(f"Function {name}: the step must not be 0")
    values = list(range(start, end + (1 if step > 0 else -1), step))
    if len(values) > 1000:
        raise fail(f"Function {name}: the range has more than 1000 elements")
    return values


def _get_item(name: str, args: list[Any]) -> Any:
    _count(name, args, 2)
    items = _array(name, args[0])
    index = _integer(name, args[1], "index")
    if not 0 <= index < len(items):
        raise fail(
            f"Function {name}: index {index} is out of bounds for an array of length {len(items)}"
        )
    return items[index]


def _length(name: str, args: list[Any]) -> int:
    _count(name, args, 1)
    return len(_array(name, args[0]))


def _unique(name: str, args: list[Any]) -> list[Any]:
    _count(name, args, 1)
    out: list[Any] = []
    for item in _array(name, args[0]):
        if not any(_same(item, seen) for seen in out):
            out.append(item)
    return out


def _b64encode(name: str, args: list[Any]) -> str:
    _count(name, args, 1)
    return base64.b64encode(_text(name, args[0]).encode()).decode()


def _b64decode(name: str, args: list[Any]) -> str:
    _count(name, args, 1)
    try:
        return base64.b64decode(_text(name, args[0]), validate=True).decode()
    except (ValueError, UnicodeDecodeError) as exc:
        raise fail(f"Function {name}: the argument is not valid base64") from exc


_HASHES = {
    "MD5": "md5",
    "SHA-1": "sha1",
    "SHA-256": "sha256",
    "SHA-384": "sha384",
    "SHA-512": "sha512",
}


def _hash(name: str, args: list[Any]) -> str:
    _count(name, args, 2)
    data = args[0] if isinstance(args[0], str) else json.dumps(args[0], separators=(",", ":"))
    algorithm = args[1]
    if algorithm not in _HASHES:
        raise fail(
            f"Function {name}: unsupported algorithm {algorithm!r}; use one of {', '.join(_HASHES)}"
        )
    return hashlib.new(_HASHES[algorithm], _text(name, data, "data").encode()).hexdigest()


def _merge(name: str, args: list[Any]) -> dict[str, Any]:
    _count(name, args, 3)
    left, right, deep = args
    if not isinstance(left, dict) or not isinstance(right, dict):
        raise fail(f"Function {name}: the first two arguments must be JSON objects")
    if deep is not False:
        # AWS supports only shallow merges (the third argument must be false).
        raise fail(
            f"Function {name}: only shallow merge is supported; the third argument must be false"
        )
    return {**left, **right}


def _random(name: str, args: list[Any]) -> int:
    _count(name, args, 2, 3)
    # AWS accepts fractional bounds (recorded: 12.5, 44.51) and truncates them.
    start, end = _truncate(name, args[0], "start"), _truncate(name, args[1], "end")
    rng = random.Random(_truncate(name, args[2], "seed")) if len(args) == 3 else random
    if start > end:
        raise fail(f"Function {name}: the start must not exceed the end")
    return rng.randint(start, end)


def _round_half_up(value: Any, name: str) -> int:
    if not _number(value):
        raise fail(f"Function {name}: the arguments must be numbers, got {json.dumps(value)}")
    return math.floor(float(value) + 0.5)


def _add(name: str, args: list[Any]) -> int:
    _count(name, args, 2)
    return _round_half_up(args[0], name) + _round_half_up(args[1], name)


def _split(name: str, args: list[Any]) -> list[str]:
    _count(name, args, 2)
    text, delimiters = _text(name, args[0]), _text(name, args[1], "delimiter")
    parts = [text]
    for delimiter in delimiters:
        parts = [piece for part in parts for piece in part.split(delimiter)]
    return [p for p in parts if p]


def _uuid(name: str, args: list[Any]) -> str:
    _count(name, args, 0)
    return str(uuid.uuid4())


def _array_of(name: str, args: list[Any]) -> list[Any]:
    return list(args)


FUNCTIONS: dict[str, Callable[[str, list[Any]], Any]] = {
    "States.Format": _format,
    "States.StringToJson": _string_to_json,
    "States.JsonToString": _json_to_string,
    "States.Array": _array_of,
    "States.ArrayPartition": _partition,
    "States.ArrayContains": _contains,
    "States.ArrayRange": _range,
    "States.ArrayGetItem": _get_item,
    "States.ArrayLength": _length,
    "States.ArrayUnique": _unique,
    "States.Base64Encode": _b64encode,
    "States.Base64Decode": _b64decode,
    "States.Hash": _hash,
    "States.JsonMerge": _merge,
    "States.MathRandom": _random,
    "States.MathAdd": _add,
    "States.StringSplit": _split,
    "States.UUID": _uuid,
}

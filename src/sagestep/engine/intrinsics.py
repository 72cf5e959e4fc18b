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
from collections.abc import Callable
from typing import Any

from sagestep.asl.intrinsic import Call, Literal, PathArg
from sagestep.engine.intrinsic_args import count, fail, number, string_arg, truncate
from sagestep.engine.intrinsic_arrays import ARRAY_FUNCTIONS
from sagestep.engine.states_error import StatesError

Resolve = Callable[[str], Any]


def evaluate(call: Call, resolve: Resolve) -> Any:
    """Value of ``call``; ``resolve`` turns a path argument into its value."""
    args = [_arg(a, resolve) for a in call.args]
    if call.name == "States.Format":
        template = call.args[0] if call.args else None
        if isinstance(template, Literal) and template.raw is not None:
            args[0] = _Raw(template.raw)
    try:
        return FUNCTIONS[call.name](call.name, args)
    except StatesError:
        raise
    except (TypeError, ValueError, OverflowError, RecursionError) as exc:
        # A value no argument check foresaw must fail the state, never the engine.
        raise fail(f"Function {call.name} failed on its arguments: {exc}") from exc


class _Raw(str):
    """A string literal whose ``\\{``/``\\}`` escapes are kept (States.Format templates)."""


def _arg(arg: Literal | PathArg | Call, resolve: Resolve) -> Any:
    if isinstance(arg, Literal):
        return arg.value
    if isinstance(arg, PathArg):
        return resolve(arg.path)
    return evaluate(arg, resolve)


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
    count(name, args, 1)
    text = string_arg(name, args[0])
    if not text.strip():
        return None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise fail(f"Function {name}: the argument is not valid JSON: {text}") from exc


def _json_to_string(name: str, args: list[Any]) -> str:
    count(name, args, 1)
    return json.dumps(args[0], separators=(",", ":"), ensure_ascii=False)


def _b64encode(name: str, args: list[Any]) -> str:
    count(name, args, 1)
    return base64.b64encode(string_arg(name, args[0]).encode()).decode()


def _b64decode(name: str, args: list[Any]) -> str:
    count(name, args, 1)
    try:
        return base64.b64decode(string_arg(name, args[0]), validate=True).decode()
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
    count(name, args, 2)
    data = args[0] if isinstance(args[0], str) else json.dumps(args[0], separators=(",", ":"))
    algorithm = args[1]
    if not isinstance(algorithm, str) or algorithm not in _HASHES:
        raise fail(
            f"Function {name}: unsupported algorithm {algorithm!r}; use one of {', '.join(_HASHES)}"
        )
    return hashlib.new(_HASHES[algorithm], string_arg(name, data, "data").encode()).hexdigest()


def _merge(name: str, args: list[Any]) -> dict[str, Any]:
    count(name, args, 3)
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
    count(name, args, 2, 3)
    # AWS accepts fractional bounds (recorded: 12.5, 44.51) and truncates them.
    start, end = truncate(name, args[0], "start"), truncate(name, args[1], "end")
    rng = random.Random(truncate(name, args[2], "seed")) if len(args) == 3 else random
    if start > end:
        raise fail(f"Function {name}: the start must not exceed the end")
    return rng.randint(start, end)


def _round_half_up(value: Any, name: str) -> int:
    if not number(value):
        raise fail(f"Function {name}: the arguments must be numbers, got {json.dumps(value)}")
    return math.floor(float(value) + 0.5)


def _add(name: str, args: list[Any]) -> int:
    count(name, args, 2)
    return _round_half_up(args[0], name) + _round_half_up(args[1], name)


def _split(name: str, args: list[Any]) -> list[str]:
    count(name, args, 2)
    text, delimiters = string_arg(name, args[0]), string_arg(name, args[1], "delimiter")
    parts = [text]
    for delimiter in delimiters:
        parts = [piece for part in parts for piece in part.split(delimiter)]
    return [p for p in parts if p]


def _uuid(name: str, args: list[Any]) -> str:
    count(name, args, 0)
    return str(uuid.uuid4())


FUNCTIONS: dict[str, Callable[[str, list[Any]], Any]] = {
    **ARRAY_FUNCTIONS,
    "States.Format": _format,
    "States.StringToJson": _string_to_json,
    "States.JsonToString": _json_to_string,
    "States.Base64Encode": _b64encode,
    "States.Base64Decode": _b64decode,
    "States.Hash": _hash,
    "States.JsonMerge": _merge,
    "States.MathRandom": _random,
    "States.MathAdd": _add,
    "States.StringSplit": _split,
    "States.UUID": _uuid,
}

"""Intrinsic-function syntax: ``States.Format('x={}', $.x)`` parsed to a call tree.

Arguments are string literals (``'...'`` with ``\\'``, ``\\{``, ``\\}``, ``\\\\`` escapes),
numbers, ``true``/``false``/``null``, JSONPaths (``$.x``, ``$$.x``, ``$var``) and nested calls.
Evaluation lives in ``sagestep.engine.intrinsics``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

FUNCTIONS: frozenset[str] = frozenset(
    {
        "States.Format",
        "States.StringToJson",
        "States.JsonToString",
        "States.Array",
        "States.ArrayPartition",
        "States.ArrayContains",
        "States.ArrayRange",
        "States.ArrayGetItem",
        "States.ArrayLength",
        "States.ArrayUnique",
        "States.Base64Encode",
        "States.Base64Decode",
        "States.Hash",
        "States.JsonMerge",
        "States.MathRandom",
        "States.MathAdd",
        "States.StringSplit",
        "States.UUID",
    }
)


class IntrinsicSyntaxError(ValueError):
    """An intrinsic-function expression is malformed."""


@dataclass(frozen=True)
class Literal:
    """A literal argument; ``raw`` keeps ``\\{``/``\\}`` escapes for States.Format."""

    value: Any
    raw: str | None = None


@dataclass(frozen=True)
class PathArg:
    """A JSONPath argument (``$.x``, ``$$.x`` or ``$var.x``)."""

    path: str


@dataclass(frozen=True)
class Call:
    """``States.Name(args...)``; ``text`` is the source of the whole call."""

    name: str
    args: tuple[Literal | PathArg | Call, ...]
    text: str


Arg = Literal | PathArg | Call

_NAME = re.compile(r"States\.[A-Za-z0-9]+")
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?")
_WORD = re.compile(r"true|false|null")


def is_intrinsic(text: str) -> bool:
    """True when ``text`` looks like an intrinsic call (``States.X(``)."""
    return bool(_NAME.match(text.lstrip())) and "(" in text


@lru_cache(maxsize=2048)
def parse_intrinsic(text: str) -> Call:
    """Parse a whole intrinsic expression; raise :class:`IntrinsicSyntaxError` if malformed."""
    src = text.strip()
    call, pos = _call(src, 0)
    if src[pos:].strip():
        raise IntrinsicSyntaxError(f"unexpected text after the call in {text!r}")
    return call


def _call(src: str, pos: int) -> tuple[Call, int]:
    match = _NAME.match(src, pos)
    if not match:
        raise IntrinsicSyntaxError(f"expected a function name at position {pos} in {src!r}")
    name = match.group()
    if name not in FUNCTIONS:
        raise IntrinsicSyntaxError(f"unknown intrinsic function {name} in {src!r}")
    pos = _skip(src, match.end())
    if pos >= len(src) or src[pos] != "(":
        raise IntrinsicSyntaxError(f"expected '(' after {name} in {src!r}")
    args: list[Arg] = []
    pos = _skip(src, pos + 1)
    if pos < len(src) and src[pos] == ")":
        return Call(name, (), src[match.start() : pos + 1]), pos + 1
    while True:
        arg, pos = _arg(src, _skip(src, pos))
        args.append(arg)
        pos = _skip(src, pos)
        if pos < len(src) and src[pos] == ",":
            pos += 1
            continue
        if pos < len(src) and src[pos] == ")":
            return Call(name, tuple(args), src[match.start() : pos + 1]), pos + 1
        raise IntrinsicSyntaxError(f"expected ',' or ')' at position {pos} in {src!r}")


def _skip(src: str, pos: int) -> int:
    while pos < len(src) and src[pos].isspace():
        pos += 1
    return pos


def _arg(src: str, pos: int) -> tuple[Arg, int]:
    if pos >= len(src):
        raise IntrinsicSyntaxError(f"an argument is missing at the end of {src!r}")
    ch = src[pos]
    if ch == "'":
        return _string(src, pos + 1)
    if ch == "$":
        return _path(src, pos)
    if src.startswith("States.", pos):
        return _call(src, pos)
    for pattern in (_NUMBER, _WORD):
        match = pattern.match(src, pos)
        if match:
            return Literal(json.loads(match.group())), match.end()
    raise IntrinsicSyntaxError(f"cannot read the argument at position {pos} in {src!r}")


def _string(src: str, pos: int) -> tuple[Literal, int]:
    value: list[str] = []
    raw: list[str] = []
    while pos < len(src):
        ch = src[pos]
        if ch == "\\" and pos + 1 < len(src) and src[pos + 1] in "'{}\\":
            nxt = src[pos + 1]
            value.append(nxt)
            raw.append(ch + nxt if nxt in "{}" else nxt)
            pos += 2
            continue
        if ch == "'":
            return Literal("".join(value), "".join(raw)), pos + 1
        value.append(ch)
        raw.append(ch)
        pos += 1
    raise IntrinsicSyntaxError(f"a string literal is not closed in {src!r}")


def _path(src: str, pos: int) -> tuple[PathArg, int]:
    start = pos
    depth = 0
    quote: str | None = None
    while pos < len(src):
        ch = src[pos]
        if quote:
            quote = None if ch == quote else quote
        elif ch in "'\"" and depth:
            quote = ch
        elif ch == "[":
            depth += 1
        elif ch == "]":
            depth -= 1
        elif depth == 0 and (ch in ",)" or ch.isspace()):
            break
        pos += 1
    return PathArg(src[start:pos]), pos

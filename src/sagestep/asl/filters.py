"""JSONPath filter expressions, ``[?(@.price < 10 && @.tag == 'a')]``, parsed to a tree."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Operand:
    """A literal, or a path relative to the current item (``@``) or the root (``$``)."""

    path: str | None = None
    value: Any = None


@dataclass(frozen=True)
class Compare:
    """``left op right``, or an existence test when ``op`` is None."""

    left: Operand
    op: str | None = None
    right: Operand | None = None


@dataclass(frozen=True)
class Logic:
    """``&&`` / ``||`` over two or more filters, or ``!`` over one."""

    op: str
    args: tuple[Filter, ...]


Filter = Compare | Logic

_TOKEN = re.compile(
    r"\s*(?:(?P<op>==|!=|<=|>=|<|>|=~|&&|\|\||!|\(|\))"
    r"|(?P<str>'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\")"
    r"|(?P<num>-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)"
    r"|(?P<word>true|false|null)"
    r"|(?P<path>[@$](?:\[[^\]]*\]|[^\s=!<>&|()\[])*))"
)
_COMPARE = frozenset({"==", "!=", "<=", ">=", "<", ">", "=~"})


def parse_filter(text: str) -> Filter:
    """Parse the inside of ``?( ... )``; raise ValueError if malformed."""
    tokens = _tokens(text)
    tree, pos = _or(tokens, 0)
    if pos != len(tokens):
        raise ValueError(f"unexpected {tokens[pos][1]!r} in filter {text!r}")
    return tree


def _tokens(text: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        match = _TOKEN.match(text, pos)
        if not match or match.end() == pos:
            raise ValueError(f"cannot read filter {text!r} at position {pos}")
        kind = match.lastgroup or ""
        out.append((kind, match.group(kind)))
        pos = match.end()
    return out


def _or(tokens: list[tuple[str, str]], pos: int) -> tuple[Filter, int]:
    return _chain(tokens, pos, "||", _and)


def _and(tokens: list[tuple[str, str]], pos: int) -> tuple[Filter, int]:
    return _chain(tokens, pos, "&&", _unary)


def _chain(tokens: list[tuple[str, str]], pos: int, op: str, sub: Any) -> tuple[Filter, int]:
    first, pos = sub(tokens, pos)
    args = [first]
    while pos < len(tokens) and tokens[pos] == ("op", op):
        nxt, pos = sub(tokens, pos + 1)
        args.append(nxt)
    return (first if len(args) == 1 else Logic(op, tuple(args))), pos


def _unary(tokens: list[tuple[str, str]], pos: int) -> tuple[Filter, int]:
    if pos >= len(tokens):
        raise ValueError("a filter expression ends too early")
    if tokens[pos] == ("op", "!"):
        inner, pos = _unary(tokens, pos + 1)
        return Logic("!", (inner,)), pos
    if tokens[pos] == ("op", "("):
        inner, pos = _or(tokens, pos + 1)
        if pos >= len(tokens) or tokens[pos] != ("op", ")"):
            raise ValueError("a '(' in a filter is not closed")
        return inner, pos + 1
    left, pos = _operand(tokens, pos)
    if pos < len(tokens) and tokens[pos][0] == "op" and tokens[pos][1] in _COMPARE:
        op = tokens[pos][1]
        right, pos = _operand(tokens, pos + 1)
        return Compare(left, op, right), pos
    return Compare(left), pos


def _operand(tokens: list[tuple[str, str]], pos: int) -> tuple[Operand, int]:
    if pos >= len(tokens):
        raise ValueError("a filter comparison lacks its right side")
    kind, text = tokens[pos]
    if kind == "path":
        return Operand(path=text), pos + 1
    if kind == "str":
        body = text[1:-1].replace("\\" + text[0], text[0])
        return Operand(value=body), pos + 1
    if kind in ("num", "word"):
        return Operand(value=json.loads(text)), pos + 1
    raise ValueError(f"unexpected {text!r} in a filter")

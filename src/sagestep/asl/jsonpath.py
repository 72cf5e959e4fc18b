"""JSONPath syntax as Step Functions accepts it (a subset of Jayway JsonPath, which AWS uses).

``parse_path("$.a[0].b")`` returns a :class:`Path` of steps; evaluation lives in
``sagestep.engine.paths``. A path is *definite* when it has no wildcard, slice, union,
filter or deep scan: AWS then returns one value (or fails), otherwise a list (maybe empty).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from sagestep.asl.filters import Filter, parse_filter


class PathSyntaxError(ValueError):
    """A JSONPath string is malformed."""


@dataclass(frozen=True)
class Field:
    """``.name`` or ``['name']``."""

    name: str


@dataclass(frozen=True)
class Index:
    """``[3]`` or ``[-1]``."""

    index: int


@dataclass(frozen=True)
class Slice:
    """``[start:end:step]``."""

    start: int | None
    end: int | None
    step: int | None


@dataclass(frozen=True)
class Wildcard:
    """``.*`` or ``[*]``."""


@dataclass(frozen=True)
class Union:
    """``[0,2]`` or ``['a','b']``."""

    keys: tuple[str | int, ...]


@dataclass(frozen=True)
class DeepScan:
    """``..name`` / ``..*`` / ``..[0]``: the step applied at every depth."""

    step: Field | Index | Wildcard | Slice | Union | FilterStep


@dataclass(frozen=True)
class FilterStep:
    """``[?(@.x == 1)]``."""

    filter: Filter


Step = Field | Index | Slice | Wildcard | Union | DeepScan | FilterStep


@dataclass(frozen=True)
class Path:
    """A parsed JSONPath: ``root`` is ``$`` (input), ``$$`` (context) or ``$name`` (variable)."""

    text: str
    root: str
    steps: tuple[Step, ...]

    @property
    def definite(self) -> bool:
        """True when the path selects at most one value (no wildcard/slice/filter/scan)."""
        return all(isinstance(s, Field | Index) for s in self.steps)

    @property
    def variable(self) -> str | None:
        """The variable name for ``$name...`` paths, else None."""
        return self.root[1:] if self.root not in ("$", "$$") else None

    @property
    def is_reference(self) -> bool:
        """True for reference paths (only names and indexes), as ResultPath requires."""
        return self.definite


_NAME = re.compile(r"[^.\[\]\s()]+")
_INT = re.compile(r"-?\d+")
_VARIABLE = re.compile(r"\$[A-Za-z_][A-Za-z0-9_]*")


@lru_cache(maxsize=4096)
def parse_path(text: str) -> Path:
    """Parse ``text`` (``$...`` or ``$$...``); raise :class:`PathSyntaxError` if malformed."""
    if not text.startswith("$"):
        raise PathSyntaxError(f"a path must start with '$': {text!r}")
    root = _root(text)
    steps: list[Step] = []
    pos = len(root)
    while pos < len(text):
        step, pos = _step(text, pos)
        steps.append(step)
    return Path(text, root, tuple(steps))


def _root(text: str) -> str:
    if text.startswith("$$"):
        return "$$"
    match = _VARIABLE.match(text)
    return match.group() if match else "$"


def _step(text: str, pos: int) -> tuple[Step, int]:
    if text.startswith("..", pos):
        inner, end = _after_dot(text, pos + 2)
        if isinstance(inner, DeepScan):
            raise PathSyntaxError(f"'...' in {text!r}")
        return DeepScan(inner), end
    if text[pos] == ".":
        return _after_dot(text, pos + 1)
    if text[pos] == "[":
        return _bracket(text, pos + 1)
    raise PathSyntaxError(f"unexpected {text[pos]!r} at position {pos} in {text!r}")


def _after_dot(text: str, pos: int) -> tuple[Step, int]:
    if pos < len(text) and text[pos] == "*":
        return Wildcard(), pos + 1
    if pos < len(text) and text[pos] == "[":
        return _bracket(text, pos + 1)
    match = _NAME.match(text, pos)
    if not match:
        raise PathSyntaxError(f"a property name is missing at position {pos} in {text!r}")
    return Field(match.group()), match.end()


def _bracket(text: str, pos: int) -> tuple[Step, int]:
    close = _closing(text, pos)
    body = text[pos:close].strip()
    if body == "*":
        return Wildcard(), close + 1
    if body.startswith("?"):
        inner = body[1:].strip()
        if not (inner.startswith("(") and inner.endswith(")")):
            raise PathSyntaxError(f"a filter must be written [?(...)] in {text!r}")
        return FilterStep(parse_filter(inner[1:-1])), close + 1
    if ":" in body and not body.startswith(("'", '"')):
        return _slice(body, text), close + 1
    keys = _union_keys(body, text)
    if len(keys) == 1:
        key = keys[0]
        return (Index(key) if isinstance(key, int) else Field(key)), close + 1
    return Union(tuple(keys)), close + 1


def _closing(text: str, pos: int) -> int:
    """Index of the ``]`` closing a bracket opened before ``pos`` (quotes and parens aware)."""
    quote: str | None = None
    depth = 0
    i = pos
    while i < len(text):
        ch = text[i]
        if quote:
            if ch == "\\" and i + 1 < len(text) and text[i + 1] == quote:
                i += 1
            elif ch == quote:
                quote = None
        elif ch in "'\"":
            quote = ch
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "]" and depth == 0:
            return i
        i += 1
    raise PathSyntaxError(f"'[' is not closed in {text!r}")


def _slice(body: str, text: str) -> Slice:
    parts = [p.strip() for p in body.split(":")]
    if len(parts) > 3 or any(p and not _INT.fullmatch(p) for p in parts):
        raise PathSyntaxError(f"bad slice [{body}] in {text!r}")
    nums = [int(p) if p else None for p in parts] + [None] * (3 - len(parts))
    return Slice(nums[0], nums[1], nums[2])


def _union_keys(body: str, text: str) -> list[str | int]:
    keys: list[str | int] = []
    for part in _split_commas(body):
        part = part.strip()
        if _INT.fullmatch(part):
            keys.append(int(part))
        elif len(part) >= 2 and part[0] == part[-1] and part[0] in "'\"":
            keys.append(part[1:-1].replace("\\" + part[0], part[0]))
        else:
            raise PathSyntaxError(f"bad subscript [{body}] in {text!r}")
    return keys


def _split_commas(body: str) -> list[str]:
    parts: list[str] = []
    quote: str | None = None
    start = 0
    for i, ch in enumerate(body):
        if quote:
            if ch == quote and body[i - 1] != "\\":
                quote = None
        elif ch in "'\"":
            quote = ch
        elif ch == ",":
            parts.append(body[start:i])
            start = i + 1
    parts.append(body[start:])
    return parts

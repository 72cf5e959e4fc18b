"""A config file read into plain data, remembering the line of every key.

Validation errors must say ``file:line`` and the key path; PyYAML's composed node tree
carries marks, so the data is built from it and each key path's line is recorded.

Hostile documents are refused before anything walks them: a file over MAX_BYTES, more
than MAX_NODES nodes once aliases are expanded ("billion laughs": a few hundred bytes of
nested aliases that expand to gigabytes), an alias that contains itself, nesting deeper
than MAX_DEPTH, and bytes that are not UTF-8.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from sagestep.errors import SpecError

Loc = tuple[str | int, ...]
MAX_BYTES = 4 * 1024 * 1024
MAX_NODES = 200_000
MAX_DEPTH = 64


@dataclass(frozen=True)
class Document:
    """Parsed data plus the 1-based line of each key path."""

    path: str
    data: Any
    lines: Mapping[Loc, int] = field(default_factory=dict)

    def line(self, loc: Loc) -> int | None:
        """The line of ``loc``, or of its nearest ancestor that has one."""
        for end in range(len(loc), -1, -1):
            found = self.lines.get(tuple(loc[:end]))
            if found is not None:
                return found
        return None

    def where(self, loc: Loc) -> str:
        """``file:line`` of ``loc`` (``file`` alone when the line is unknown)."""
        line = self.line(loc)
        return f"{self.path}:{line}" if line else self.path


def key_path(loc: Loc) -> str:
    """``stages.training.inputs[0]`` from a location tuple."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def load_document(path: str | Path) -> Document:
    """Read and parse a YAML or JSON config file."""
    p = Path(path)
    try:
        with p.open("rb") as fh:
            raw = fh.read(MAX_BYTES + 1)
    except OSError as exc:
        raise SpecError(f"{p}: cannot read the config file: {exc.strerror or exc}") from exc
    return parse_document(decode(raw, str(p)), str(p))


def decode(raw: bytes, path: str) -> str:
    """UTF-8 text of a config file, or SpecError naming the size limit or the bad byte."""
    if len(raw) > MAX_BYTES:
        raise SpecError(f"{path}: the config file is larger than {MAX_BYTES // (1024 * 1024)} MB; "
                        "a pipeline config is a few KB (is this the right file?)")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise SpecError(f"{path}:{line}: not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset "
                        f"{exc.start}); save the config as UTF-8") from exc


def parse_document(text: str, path: str = "<config>") -> Document:
    """Parse YAML (JSON is YAML too) into a :class:`Document`."""
    if len(text) > MAX_BYTES:
        raise SpecError(f"{path}: the config is larger than {MAX_BYTES // (1024 * 1024)} MB")
    try:
        loader = _Loader(text)
    except yaml.reader.ReaderError as exc:  # a control character: PyYAML checks them all first
        row = text.count("\n", 0, exc.position) + 1
        raise SpecError(f"{path}:{row}: character U+{exc.character:04X} is not allowed in YAML "
                        "(a control character); remove it") from exc
    try:
        node = loader.get_single_node()
        if node is not None:
            _check_size(node, path)
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = f":{mark.line + 1}" if mark else ""
        raise SpecError(
            f"{path}{line}: not valid YAML/JSON: {exc.problem or exc}; fix the syntax there"
        ) from exc
    except yaml.YAMLError as exc:  # pragma: no cover - unmarked errors are rare
        raise SpecError(f"{path}: not valid YAML/JSON: {exc}") from exc
    except _TooDeep as exc:
        raise SpecError(f"{path}:{exc.line}: the config nests deeper than {MAX_DEPTH} levels; "
                        "flatten it") from exc
    finally:
        loader.dispose()
    lines: dict[Loc, int] = {}
    if node is not None:
        _walk(node, (), lines)
    if path.endswith(".json") and data is not None:
        _check_json(text, path)
    return Document(path=path, data=data, lines=lines)


class _TooDeep(Exception):
    def __init__(self, line: int) -> None:
        super().__init__(line)
        self.line = line


class _Loader(yaml.SafeLoader):
    """SafeLoader that stops scanning past MAX_DEPTH levels of nesting.

    PyYAML's scanner costs O(depth) per token inside flow collections and its composer
    recurses once per level: without a cap, ``[[[[...`` takes seconds or overflows the stack.
    """

    def fetch_flow_collection_start(self, TokenClass: Any) -> None:  # noqa: N803 - PyYAML's name
        if self.flow_level >= MAX_DEPTH:
            raise _TooDeep(self.line + 1)
        super().fetch_flow_collection_start(TokenClass)

    def add_indent(self, column: int) -> bool:
        if len(self.indents) >= MAX_DEPTH:
            raise _TooDeep(self.line + 1)
        return bool(super().add_indent(column))


def _check_size(root: yaml.Node, path: str) -> None:
    """SpecError unless the node graph, aliases expanded, is acyclic, shallow and small.

    Sizes are memoised per node, so the check is linear in the distinct nodes however
    many times an alias repeats them.
    """
    sizes: dict[int, int] = {}
    open_nodes: set[int] = set()

    def size(node: yaml.Node, depth: int) -> int:
        key = id(node)
        if key in sizes:
            return sizes[key]
        where = f"{path}:{node.start_mark.line + 1}"
        if key in open_nodes:
            raise SpecError(f"{where}: a recursive alias (an anchor used inside itself); "
                            "configs must be trees")
        if depth > MAX_DEPTH:
            raise SpecError(f"{where}: the config nests deeper than {MAX_DEPTH} levels")
        open_nodes.add(key)
        total = 1
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                total += size(key_node, depth + 1) + size(value_node, depth + 1)
        elif isinstance(node, yaml.SequenceNode):
            for item in node.value:
                total += size(item, depth + 1)
        open_nodes.discard(key)
        if total > MAX_NODES:
            raise SpecError(f"{where}: the config expands to more than {MAX_NODES} values "
                            "(YAML aliases repeating aliases?); write the values out instead")
        sizes[key] = total
        return total

    size(root, 0)


def _walk(node: yaml.Node, loc: Loc, lines: dict[Loc, int]) -> None:
    lines.setdefault(loc, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = _key(key_node)
            lines[(*loc, key)] = key_node.start_mark.line + 1
            _walk(value_node, (*loc, key), lines)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _walk(item, (*loc, index), lines)


def _key(node: yaml.Node) -> str | int:
    if isinstance(node, yaml.ScalarNode) and node.tag.endswith(":int"):
        try:
            return int(node.value)
        except ValueError:
            return str(node.value)
    return str(node.value)


def _check_json(text: str, path: str) -> None:
    # YAML accepts things JSON does not (comments, single quotes); a .json file must be JSON.
    try:
        json.loads(text)
    except ValueError as exc:
        line = getattr(exc, "lineno", None)
        raise SpecError(f"{path}{f':{line}' if line else ''}: not valid JSON: {exc}") from exc

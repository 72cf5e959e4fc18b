"""A config file read into plain data, remembering the line of every key.

Validation errors must say ``file:line`` and the key path; PyYAML's composed node tree
carries marks, so the data is built from it and each key path's line is recorded.
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
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise SpecError(f"{p}: cannot read the config file: {exc.strerror or exc}") from exc
    return parse_document(text, str(p))


def parse_document(text: str, path: str = "<config>") -> Document:
    """Parse YAML (JSON is YAML too) into a :class:`Document`."""
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = f":{mark.line + 1}" if mark else ""
        raise SpecError(
            f"{path}{line}: not valid YAML/JSON: {exc.problem or exc}; fix the syntax there"
        ) from exc
    except yaml.YAMLError as exc:  # pragma: no cover - unmarked errors are rare
        raise SpecError(f"{path}: not valid YAML/JSON: {exc}") from exc
    finally:
        loader.dispose()
    lines: dict[Loc, int] = {}
    if node is not None:
        _walk(node, (), lines)
    if path.endswith(".json") and data is not None:
        _check_json(text, path)
    return Document(path=path, data=data, lines=lines)


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

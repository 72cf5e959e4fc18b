"""The config reference `sagestep schema` prints, read from the JSON Schema of the model.

One line per field: its key path, type, default, description and an example. Lists of blocks
continue their path with ``[]``, maps of blocks with ``<name>``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sagestep.pipeline.schema import json_schema


@dataclass(frozen=True)
class Entry:
    """One documented field."""

    path: str
    type: str
    description: str
    default: Any
    example: Any
    required: bool


def entries() -> list[Entry]:
    """Every field of the config, in model order (top level first, then depth first)."""
    schema = json_schema()
    return list(_walk(schema, schema, ""))


def lookup(field: str) -> list[Entry]:
    """Entries at or under ``field``: a key path (``stages.gate.metric``), its tail
    (``gate.metric``) or a key (``threshold``)."""
    everything = entries()
    wanted = field.strip(".")
    for exact in (True, False):
        roots = [e.path for e in everything
                 if (e.path == wanted if exact else e.path.endswith("." + wanted))]
        if roots:
            return [e for e in everything
                    if any(e.path == r or e.path.startswith((r + ".", r + "[]")) for r in roots)]
    return []


def render(entry: Entry) -> str:
    """``path  type  [required | default X]`` then the description and example, indented."""
    head = f"{entry.path}  ({entry.type}"
    if entry.required:
        head += ", required"
    elif entry.default not in (None, "", [], {}):
        head += f", default {_show(entry.default)}"
    lines = [head + ")", f"    {entry.description}"]
    if entry.example is not None:
        lines.append(f"    example: {_show(entry.example)}")
    return "\n".join(lines)


def _show(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _resolve(root: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    ref = node.get("$ref")
    if isinstance(ref, str):
        target: dict[str, Any] = root["$defs"][ref.rsplit("/", 1)[-1]]
        return target
    return node


def _options(node: dict[str, Any]) -> list[dict[str, Any]]:
    """The non-null alternatives of a field's type."""
    found = node.get("anyOf") or [node]
    return [o for o in found if o.get("type") != "null"]


def _type(root: dict[str, Any], node: dict[str, Any]) -> str:
    names = []
    for option in _options(node):
        if "$ref" in option:
            names.append("block")
        elif "enum" in option:
            names.append(" | ".join(str(v) for v in option["enum"]))
        elif "const" in option:
            names.append(str(option["const"]))
        elif option.get("type") == "array":
            names.append(f"list of {_type(root, option.get('items', {}))}")
        elif option.get("type") == "object":
            names.append("map")
        else:
            names.append(str(option.get("type", "any")))
    return " or ".join(dict.fromkeys(names)) or "any"


def _walk(root: dict[str, Any], block: dict[str, Any], prefix: str) -> Iterator[Entry]:
    required = set(block.get("required", []))
    for key, node in block.get("properties", {}).items():
        path = f"{prefix}.{key}" if prefix else key
        examples = node.get("examples") or [None]
        yield Entry(path, _type(root, node), node.get("description", ""),
                    node.get("default"), examples[0], key in required)
        for option in _options(node):
            child = _child(root, option)
            if child is not None:
                suffix, sub = child
                yield from _walk(root, sub, path + suffix)


def _child(root: dict[str, Any], option: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
    """A nested block under a field: itself, its list items, or its map values."""
    if "$ref" in option:
        return "", _resolve(root, option)
    if option.get("type") == "array" and "$ref" in option.get("items", {}):
        return "[]", _resolve(root, option["items"])
    values = option.get("additionalProperties")
    if option.get("type") == "object" and isinstance(values, dict):
        for value in _options(values):
            if "$ref" in value:
                return ".<name>", _resolve(root, value)
    return None

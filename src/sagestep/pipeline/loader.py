"""``load_config(path)``: any supported config file -> the validated, normalised item.

Formats, detected from the content: sagestep YAML/JSON (``PipelineConfig``), seed 000's
DynamoDB item, seed 002's input.yaml. Errors are SpecError naming file:line and key path.
"""

from __future__ import annotations

import os.path
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from sagestep.errors import SpecError
from sagestep.pipeline import seed000, seed002
from sagestep.pipeline.document import Document, Loc, load_document, parse_document
from sagestep.pipeline.model import PipelineConfig
from sagestep.pipeline.normalise import check_stages, normalise, notify_block, report_uri
from sagestep.pipeline.problems import Problems
from sagestep.pipeline.requests import Upload


@dataclass(frozen=True)
class LoadedConfig:
    """A config file, validated and normalised."""

    path: str
    source: str
    """"sagestep", "seed000" or "seed002"."""
    item: dict[str, Any]
    """The normalised item to register (see ``pipeline.item``)."""
    config: PipelineConfig | None = None
    uploads: tuple[Upload, ...] = ()
    notes: tuple[str, ...] = field(default_factory=tuple)
    """What an importer changed or dropped, for the user to read."""

    @property
    def name(self) -> str:
        """The pipeline name."""
        return str(self.item["name"])


def detect(data: Any) -> str:
    """The format of parsed config data."""
    if seed000.looks_like(data):
        return "seed000"
    if seed002.looks_like(data):
        return "seed002"
    return "sagestep"


def load_config(path: str | Path, *, name: str | None = None) -> LoadedConfig:
    """Read, detect, validate and normalise the config at ``path``."""
    return _from_document(load_document(path), name)


def parse_config(text: str, path: str = "<config>", *, name: str | None = None,
                 base_dir: str | None = None) -> LoadedConfig:
    """Like :func:`load_config` for text already read."""
    return _from_document(parse_document(text, path), name, base_dir)


def _from_document(doc: Document, name: str | None, base_dir: str | None = None) -> LoadedConfig:
    if not isinstance(doc.data, Mapping):
        raise SpecError(f"{doc.where(())}: (top level): a config is a mapping (key: value), "
                        f"not {type(doc.data).__name__}; start with 'name: <pipeline>'")
    source = detect(doc.data)
    if source == "sagestep":
        return _sagestep(doc, name, base_dir)
    problems = Problems()
    notes: list[str] = []
    if source == "seed000":
        item = seed000.import_seed000(doc.data, problems, notes)
    else:
        item = seed002.import_seed002(doc.data, problems, notes, name)
    problems.raise_if_any(doc, doc.path)
    if name:
        item["name"] = name
    _link(item, problems)
    problems.raise_if_any(doc, doc.path)
    check_stages(item["stages"], problems)
    problems.raise_if_any(doc, doc.path)
    return LoadedConfig(doc.path, source, item, notes=tuple(notes))


def _sagestep(doc: Document, name: str | None, base_dir: str | None) -> LoadedConfig:
    data = dict(doc.data)
    if name:
        data.pop("pipeline", None)
        data["name"] = name
    try:
        config = PipelineConfig.model_validate(data)
    except ValidationError as exc:
        problems = Problems()
        for error in exc.errors():
            loc = _data_loc(doc.data, error["loc"])
            problems.add(loc, _message(error, loc))
        problems.raise_if_any(doc, doc.path)
        raise  # pragma: no cover - raise_if_any raised
    folder = base_dir or os.path.dirname(os.path.abspath(doc.path))
    result = normalise(config, base_dir=folder, document=doc, path=doc.path)
    return LoadedConfig(doc.path, "sagestep", result.item, config, result.uploads)


def _link(item: dict[str, Any], problems: Problems) -> None:
    # Imported items have no gate/register/notify of their own; give notify its messages.
    stages = item["stages"]
    stages["notify"] = notify_block(None, None, ("notify",), problems)
    report_uri(stages["evaluation"])


def _data_loc(data: Any, loc: tuple[Any, ...]) -> Loc:
    """Pydantic's error location mapped onto keys that exist in the data.

    Pydantic adds union member tags (``str``, ``Channel``) and aliases; keep only the parts
    that walk the data, plus a final missing key.
    """
    out: list[str | int] = []
    current = data
    for part in loc:
        if (isinstance(current, Mapping) and part in current) or (
                isinstance(current, list) and isinstance(part, int) and part < len(current)):
            out.append(part)
            current = current[part]
        elif isinstance(part, str) and isinstance(current, Mapping) and part[:1].islower() \
                and "[" not in part and part not in ("str", "int", "float", "bool"):
            out.append(part)
            current = None
    return tuple(out)


def _message(error: Mapping[str, Any], loc: Loc) -> str:
    kind = error.get("type", "")
    last = loc[-1] if loc else ""
    if kind == "extra_forbidden":
        return f"unknown key '{last}'; check its spelling against the schema (sagestep schema)"
    if kind == "missing":
        return f"required key '{last}' is missing"
    if kind == "bool_type":
        return "must be true or false (YAML booleans, not strings)"
    if kind == "string_pattern_mismatch" and last in ("name", "pipeline"):
        return "pipeline names use letters, digits and hyphens only (e.g. churn-xgb)"
    return f"{error.get('msg', 'invalid value')} (got {error.get('input')!r})"

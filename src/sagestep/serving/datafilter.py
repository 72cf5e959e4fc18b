"""Batch transform's DataProcessing: InputFilter / JoinSource / OutputFilter on CSV and JSON records.

The JSONPath subset AWS supports: ``$``, ``.name``, ``*``, ``['a','b']``, ``[n]`` and
``[n,m]`` (negative allowed), ``[start:end]`` with the end **inclusive** (``$[1:4]`` is
columns 2 to 5), mixes like ``[0,5:]``. A CSV line is treated as a JSON array of its
fields; a joined CSV row is the input's fields followed by the output's. A joined JSON
record gains ``SageMakerOutput`` (objects) or becomes ``{"SageMakerInput", "SageMakerOutput"}``.
[ref: sagemaker-containers.md section 7.5]
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass
from typing import Any

from sagestep.errors import ServiceError

_SEGMENT = re.compile(r"\.(\*|[A-Za-z_][\w-]*)|\[([^\]]*)\]")


@dataclass(frozen=True)
class Path:
    """A parsed JSONPath of the supported subset."""

    text: str
    segments: tuple[tuple[str, Any], ...]

    @property
    def identity(self) -> bool:
        return not self.segments


def parse(text: str) -> Path:
    """Parse ``text``; ServiceError naming the unsupported part otherwise."""
    if not text.startswith("$"):
        raise ServiceError(f"JSONPath {text!r} must start with '$'")
    segments: list[tuple[str, Any]] = []
    position = 1
    while position < len(text):
        match = _SEGMENT.match(text, position)
        if match is None:
            raise ServiceError(f"JSONPath {text!r}: unsupported syntax at {text[position:]!r}")
        if match.group(1) is not None:
            name = match.group(1)
            segments.append(("all", None) if name == "*" else ("names", (name,)))
        else:
            segments.append(_bracket(text, match.group(2).strip()))
        position = match.end()
    return Path(text, tuple(segments))


def _bracket(text: str, inner: str) -> tuple[str, Any]:
    if inner == "*":
        return ("all", None)
    if inner.startswith(("'", '"')):
        names = tuple(part.strip().strip("'\"") for part in inner.split(","))
        return ("names", names)
    picks: list[tuple[int, int | None] | int] = []
    for part in inner.split(","):
        part = part.strip()
        try:
            if ":" in part:
                start, _, end = part.partition(":")
                picks.append((int(start or 0), int(end) if end.strip() else None))
            else:
                picks.append(int(part))
        except ValueError as exc:
            raise ServiceError(f"JSONPath {text!r}: bad index {part!r}") from exc
    return ("picks", tuple(picks))


def select(path: Path, value: Any) -> Any:
    """Apply ``path`` to ``value``; ServiceError when it does not fit the record."""
    for kind, argument in path.segments:
        value = _step(path, kind, argument, value)
    return value


def _step(path: Path, kind: str, argument: Any, value: Any) -> Any:
    try:
        if kind == "all":
            return list(value.values()) if isinstance(value, dict) else list(value)
        if kind == "names":
            if len(argument) == 1:
                return value[argument[0]]
            return {name: value[name] for name in argument}
        picked: list[Any] = []
        for pick in argument:
            if isinstance(pick, int):
                if len(argument) == 1:
                    return value[pick]
                picked.append(value[pick])
            else:
                start, end = pick
                # AWS: the slice end is inclusive.
                stop = None if end is None else (end + 1 if end != -1 else None)
                picked.extend(value[start:stop])
        return picked
    except (KeyError, IndexError, TypeError) as exc:
        raise ServiceError(f"JSONPath {path.text} does not match record {value!r:.200}") from exc


@dataclass(frozen=True)
class DataProcessing:
    """The three DataProcessing settings of one transform job."""

    input_filter: Path
    output_filter: Path
    join_input: bool
    csv: bool

    @classmethod
    def build(cls, settings: dict[str, Any], content_type: str) -> DataProcessing:
        return cls(parse(settings.get("InputFilter") or "$"),
                   parse(settings.get("OutputFilter") or "$"),
                   settings.get("JoinSource", "None") == "Input",
                   content_type.split(";", 1)[0].strip().lower() == "text/csv")

    @property
    def active(self) -> bool:
        return not (self.input_filter.identity and self.output_filter.identity
                    and not self.join_input)

    def parse_record(self, line: bytes) -> Any:
        text = line.decode("utf-8").rstrip("\r\n")
        if self.csv:
            return next(csv.reader([text]), [])
        return json.loads(text)

    def render(self, value: Any) -> bytes:
        if self.csv:
            cells = value if isinstance(value, list) else [value]
            out = io.StringIO()
            csv.writer(out, lineterminator="").writerow(cells)
            return out.getvalue().encode()
        return json.dumps(value).encode()

    def model_input(self, record: Any) -> bytes:
        """The part of ``record`` sent to the model (InputFilter)."""
        return self.render(select(self.input_filter, record))

    def result(self, record: Any, output_line: bytes) -> bytes:
        """The line written for one record: join with the input, then OutputFilter."""
        text = output_line.decode("utf-8").strip()
        if self.csv:
            output: Any = next(csv.reader([text]), [])
            joined: Any = (record + output) if self.join_input else output
        else:
            try:
                output = json.loads(text)
            except ValueError:
                output = text
            joined = output
            if self.join_input:
                joined = ({**record, "SageMakerOutput": output} if isinstance(record, dict)
                          else {"SageMakerInput": record, "SageMakerOutput": output})
        return self.render(select(self.output_filter, joined))

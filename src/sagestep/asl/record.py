"""The shared machinery of ASL records: AWS field names on dataclass fields, and `to_dict`.

Every ASL record is a frozen dataclass whose fields carry their AWS spelling in
``metadata["aws"]``. One generic :func:`record_to_dict` turns any record back into the AWS
JSON shape, omitting fields left at their default (so ``parse(d).to_dict()`` is ``d``
less the fields that spelled out a default, e.g. ``"ResultPath": "$"``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

JSON = Any
"""A JSON value as :func:`json.loads` returns it."""


class Omitted:
    """The type of :data:`OMIT`."""

    _instance: Omitted | None = None

    def __new__(cls) -> Omitted:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "OMIT"

    def __bool__(self) -> bool:
        return False


OMIT: Any = Omitted()
"""Default of fields where an explicit JSON ``null`` differs from absence (Output, Result)."""


def aws(name: str, default: Any = None) -> Any:
    """A dataclass field spelled ``name`` in ASL, defaulting to ``default``."""
    return dataclasses.field(default=default, metadata={"aws": name})


def emit(value: Any) -> JSON:
    """The AWS JSON shape of a field value (records, tuples of records, plain JSON)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        to_dict = getattr(value, "to_dict", None)
        return to_dict() if to_dict else record_to_dict(value)
    if isinstance(value, tuple):
        return [emit(v) for v in value]
    if isinstance(value, Mapping) and any(dataclasses.is_dataclass(v) for v in value.values()):
        return {k: emit(v) for k, v in value.items()}
    return value


def record_to_dict(record: Any) -> dict[str, JSON]:
    """AWS-spelled dict of ``record``: ``Type`` first (states), then fields in declared order."""
    out: dict[str, JSON] = {}
    kind = getattr(record, "TYPE", None)
    if kind:
        out["Type"] = kind
    for f in dataclasses.fields(record):
        key = f.metadata.get("aws")
        if key is None:
            continue
        value = getattr(record, f.name)
        if _is_default(f, value):
            continue
        out[key] = emit(value)
    return out


def _is_default(f: dataclasses.Field[Any], value: Any) -> bool:
    if f.default is dataclasses.MISSING:
        return False
    if value is f.default:
        return True
    # bool/int compare equal (True == 1); an explicit 1 must not be dropped for a False default
    return (
        type(value) is type(f.default)
        and value == f.default
        or (value is None and f.default is None)
    )

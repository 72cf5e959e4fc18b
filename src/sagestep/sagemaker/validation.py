"""Request validation against botocore's SageMaker service model, worded as AWS words it.

botocore's ParamValidator checks required members and types but not the model's ``max``
lengths, ``pattern`` or ``enum`` constraints, which the SageMaker API enforces server-side.
This walker checks all of them and raises a ValidationException ClientError whose message
has AWS's shape, e.g. ``1 validation error detected: Value 'a_b' at 'trainingJobName'
failed to satisfy constraint: Member must satisfy regular expression pattern: ...``.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import threading
from typing import Any

import botocore.session
from botocore.model import ListShape, MapShape, OperationModel, Shape, StructureShape
from botocore.validate import ParamValidator

from sagestep.errors import client_error

_MAX_REPORTED = 10


_models: dict[str, Any] = {}
_models_lock = threading.Lock()


def _service_model(service: str) -> Any:
    # Loading sagemaker's model parses a multi-megabyte JSON (~0.4 s): once per process, and
    # under a lock so the warm-up thread and a first request never both parse it.
    with _models_lock:
        if service not in _models:
            _models[service] = botocore.session.get_session().get_service_model(service)
        return _models[service]


def warm_up(service: str = "sagemaker") -> None:
    """Load the service model in a background thread (first requests then find it ready)."""
    threading.Thread(target=_service_model, args=(service,), name="botocore-model", daemon=True).start()


@functools.cache
def _pattern(text: str) -> re.Pattern[str] | None:
    try:
        return re.compile(text)
    except re.error:
        # Java-only classes such as \p{L} (free-text fields): accept rather than guess.
        return None


class RequestValidator:
    """Validates request dicts for one botocore service model (default: sagemaker)."""

    def __init__(self, service: str = "sagemaker") -> None:
        self._service = service
        warm_up(service)

    @property
    def _model(self) -> Any:
        return _service_model(self._service)

    def operation(self, name: str) -> OperationModel:
        return self._model.operation_model(name)

    def validate(self, operation: str, params: dict[str, Any]) -> None:
        """Raise ValidationException if ``params`` would be rejected by AWS for ``operation``."""
        shape = self.operation(operation).input_shape
        errors: list[str] = []
        if shape is not None:
            _check(shape, params, "", errors)
        if not errors and shape is not None:
            report = ParamValidator().validate(params, shape)
            if report.has_errors():
                errors.append(report.generate_report())
        if errors:
            n = len(errors)
            head = f"{n} validation error{'s' if n > 1 else ''} detected: "
            raise client_error("ValidationException", head + "; ".join(errors[:_MAX_REPORTED]), operation)


def _path(parent: str, member: str) -> str:
    # AWS names members camelCase in messages: TrainingJobName -> trainingJobName.
    name = member[:1].lower() + member[1:]
    return f"{parent}.{name}" if parent else name


def _show(value: Any) -> str:
    if isinstance(value, str):
        return f"'{value}'"
    return repr(value)


def _check(shape: Shape, value: Any, where: str, errors: list[str]) -> None:
    kind = shape.type_name
    if kind == "structure":
        _check_structure(shape, value, where, errors)
    elif kind == "list":
        _check_list(shape, value, where, errors)
    elif kind == "map":
        _check_map(shape, value, where, errors)
    elif kind == "string":
        _check_string(shape, value, where, errors)
    elif kind in ("integer", "long", "float", "double"):
        _check_number(shape, value, where, errors)
    elif kind == "boolean" and not isinstance(value, bool):
        errors.append(f"Value {_show(value)} at '{where}' failed to satisfy constraint: Member must be a boolean")
    elif kind == "timestamp" and not isinstance(value, dt.datetime | str | int | float):
        errors.append(f"Value {_show(value)} at '{where}' failed to satisfy constraint: Member must be a timestamp")


def _check_structure(shape: StructureShape, value: Any, where: str, errors: list[str]) -> None:
    if not isinstance(value, dict):
        errors.append(f"Value {_show(value)} at '{where or 'request'}' failed to satisfy constraint: Member must be a structure")
        return
    if shape.metadata.get("document"):
        return
    for name in shape.required_members:
        if value.get(name) is None:
            errors.append(f"Value null at '{_path(where, name)}' failed to satisfy constraint: Member must not be null")
    for name, item in value.items():
        member = shape.members.get(name)
        if member is None:
            allowed = ", ".join(shape.members)
            errors.append(f"Unknown parameter '{_path(where, name)}', must be one of: {allowed}")
        elif item is not None:
            _check(member, item, _path(where, name), errors)
    if shape.metadata.get("union") and len([v for v in value.values() if v is not None]) != 1:
        errors.append(f"Value at '{where}' failed to satisfy constraint: Member must set exactly one of: {', '.join(shape.members)}")


def _check_list(shape: ListShape, value: Any, where: str, errors: list[str]) -> None:
    if not isinstance(value, list | tuple):
        errors.append(f"Value {_show(value)} at '{where}' failed to satisfy constraint: Member must be a list")
        return
    _length(shape, value, len(value), where, errors)
    for i, item in enumerate(value, start=1):
        _check(shape.member, item, f"{where}.{i}.member", errors)


def _check_map(shape: MapShape, value: Any, where: str, errors: list[str]) -> None:
    if not isinstance(value, dict):
        errors.append(f"Value {_show(value)} at '{where}' failed to satisfy constraint: Member must be a map")
        return
    _length(shape, value, len(value), where, errors)
    for key, item in value.items():
        _check(shape.key, key, f"{where}.key", errors)
        _check(shape.value, item, f"{where}.{key}", errors)


def _check_string(shape: Shape, value: Any, where: str, errors: list[str]) -> None:
    if not isinstance(value, str):
        errors.append(f"Value {_show(value)} at '{where}' failed to satisfy constraint: Member must be a string")
        return
    enum = shape.enum
    if enum and value not in enum:
        errors.append(
            f"Value {_show(value)} at '{where}' failed to satisfy constraint: "
            f"Member must satisfy enum value set: [{', '.join(enum)}]"
        )
        return
    _length(shape, value, len(value), where, errors)
    text = shape.metadata.get("pattern")
    compiled = _pattern(text) if text else None
    if compiled is not None and compiled.fullmatch(value) is None:
        errors.append(
            f"Value {_show(value)} at '{where}' failed to satisfy constraint: "
            f"Member must satisfy regular expression pattern: {text}"
        )


def _check_number(shape: Shape, value: Any, where: str, errors: list[str]) -> None:
    integral = shape.type_name in ("integer", "long")
    ok = isinstance(value, int) if integral else isinstance(value, int | float)
    if not ok or isinstance(value, bool):
        kind = "an integer" if integral else "a number"
        errors.append(f"Value {_show(value)} at '{where}' failed to satisfy constraint: Member must be {kind}")
        return
    low, high = shape.metadata.get("min"), shape.metadata.get("max")
    if low is not None and value < low:
        errors.append(f"Value {_show(value)} at '{where}' failed to satisfy constraint: Member must have value greater than or equal to {low}")
    if high is not None and value > high:
        errors.append(f"Value {_show(value)} at '{where}' failed to satisfy constraint: Member must have value less than or equal to {high}")


def _length(shape: Shape, value: Any, size: int, where: str, errors: list[str]) -> None:
    low, high = shape.metadata.get("min"), shape.metadata.get("max")
    shown = _show(value) if isinstance(value, str) else f"'{value!r}'"[:200]
    if low is not None and size < low:
        errors.append(f"Value {shown} at '{where}' failed to satisfy constraint: Member must have length greater than or equal to {low}")
    if high is not None and size > high:
        errors.append(f"Value {shown} at '{where}' failed to satisfy constraint: Member must have length less than or equal to {high}")

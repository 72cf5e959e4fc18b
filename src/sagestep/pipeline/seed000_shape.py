"""The shape of seed 000's DynamoDB item, checked before it is converted.

DynamoDB-typed JSON is first turned into plain values (:func:`untype`, problems at the
typed key path), then validated here, so a malformed item gives SpecErrors naming the
field, never a KeyError deep inside the importer.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from sagestep.pipeline.document import Loc
from sagestep.pipeline.problems import Problems

TYPES = {"S", "N", "B", "SS", "NS", "BS", "M", "L", "NULL", "BOOL"}


def _text(value: Any) -> Any:
    # DynamoDB numbers untype to int/float; the seed's string fields may hold either.
    return str(value) if isinstance(value, int | float) and not isinstance(value, bool) else value


Text = Annotated[str, BeforeValidator(_text)]


class Seed(BaseModel):
    """Seed blocks keep unknown keys (the item carries fields sagestep does not use)."""

    model_config = ConfigDict(extra="allow")


class Metric(Seed):
    Name: Text
    Regex: Text


class Preprocessing(Seed):
    job_type: Text = ""
    image_url: Text = ""
    instance_type: Text = "ml.m5.large"
    instance_count: int = Field(1, ge=1)
    container_entrypoint: list[Text] = Field(default_factory=list)
    container_argument: list[Text] = Field(default_factory=list)
    source_code_path: Text = ""
    entrypoint_path: Text = ""
    output_train_data_path: Text | None = None
    output_test_data_path: Text | None = None
    output_result_data_path: Text | None = None


class Training(Seed):
    image_url: Text = ""
    instance_type: Text = "ml.m5.large"
    instance_count: int = Field(1, ge=1)
    output_path: Text = ""
    hyperparameters: dict[str, Text] = Field(default_factory=dict)
    metricdefinitions: list[Metric] = Field(default_factory=list)


class Tuning(Seed):
    instance_type: Text = "ml.m5.large"
    instance_count: int = Field(1, ge=1)
    output_path: Text = ""
    statichyperparameters: dict[str, Text] = Field(default_factory=dict)
    parameterranges: dict[str, list[dict[str, Any]]] = Field(default_factory=dict)
    hyperparametejobobjective: dict[str, Text] | None = None  # [sic], the seed's spelling
    hyperparameterjobobjective: dict[str, Text] | None = None
    metricdefinitions: list[Metric] = Field(default_factory=list)
    max_jobs: int = Field(10, ge=1)
    max_parallel_jobs: int = Field(5, ge=1)


class ModelPara(Seed):
    model_name: Text = ""
    environment: dict[str, Text] = Field(default_factory=dict)


class TransformPara(Seed):
    output: Text = ""
    job_name: Text = ""


class EndpointPara(Seed):
    endpoint_name: Text | None = None


class Item(Seed):
    """Seed 000's item (only the fields sagestep reads are typed)."""

    name: Text = Field(min_length=1)
    sagemaker_role_arn: Text = ""
    region: Text = "us-east-1"
    project: Text = ""
    preprocessing: Preprocessing | None = None
    training: Training | None = None
    tuning: Tuning | None = None
    model_para: ModelPara | None = None
    transform_para: TransformPara | None = None
    endpoint_para: EndpointPara | None = None


def untype(value: Any, loc: Loc = (), problems: Problems | None = None) -> Any:
    """Plain JSON from DynamoDB-typed JSON; malformed wrappers are recorded in ``problems``."""
    sink = problems if problems is not None else Problems()
    if isinstance(value, Mapping) and len(value) == 1 and set(value) <= TYPES:
        (kind, inner), = value.items()
        where = (*loc, kind)
        if kind == "M":
            if not isinstance(inner, Mapping):
                sink.add(where, "an M value is a map of typed values")
                return None
            return {k: untype(v, (*where, k), sink) for k, v in inner.items()}
        if kind in ("L", "SS", "NS", "BS") and not isinstance(inner, list):
            sink.add(where, f"an {kind} value is a list")
            return None
        if kind == "L":
            return [untype(v, (*where, i), sink) for i, v in enumerate(inner)]
        if kind == "N":
            return _number(inner, where, sink)
        if kind == "NS":
            return [_number(n, (*where, i), sink) for i, n in enumerate(inner)]
        return None if kind == "NULL" else inner
    if isinstance(value, Mapping):
        return {k: untype(v, (*loc, k), sink) for k, v in value.items()}
    return value


def _number(text: Any, loc: Loc, problems: Problems) -> int | float | None:
    try:
        number = Decimal(str(text))
    except InvalidOperation:
        problems.add(loc, f"an N value is a number written as a string, not {text!r}")
        return None
    return int(number) if number == number.to_integral_value() else float(number)


def check(plain: Any, typed: Any, prefix: Loc, problems: Problems) -> Item | None:
    """The validated item, or None with the problems recorded at typed key paths."""
    try:
        return Item.model_validate(plain)
    except ValidationError as exc:
        for error in exc.errors():
            loc = typed_loc(typed, tuple(error["loc"]))
            problems.add((*prefix, *loc), f"{error['msg']} (got {error.get('input')!r})")
        return None


def typed_loc(typed: Any, loc: tuple[Any, ...]) -> Loc:
    """A plain key path as it is spelled in the typed document (``training.M.image_url.S``)."""
    out: list[str | int] = []
    current = typed
    for part in loc:
        if isinstance(current, Mapping) and len(current) == 1 and set(current) <= TYPES:
            (kind, current), = current.items()
            out.append(kind)
        if (isinstance(current, Mapping) and part in current) or (
                isinstance(current, list) and isinstance(part, int) and part < len(current)):
            out.append(part)
            current = current[part]
        elif isinstance(part, str | int) and not str(part)[:1].isupper():
            out.append(part)
            current = None
    return tuple(out)

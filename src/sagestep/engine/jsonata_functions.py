"""The functions AWS adds to JSONata: $partition, $range, $hash, $random, $uuid, $parse.

https://docs.aws.amazon.com/step-functions/latest/dg/transforming-data.html#jsonata-functions
They share their checks with the JSONPath intrinsics; failures surface as
``States.QueryEvaluationError`` through the JSONata evaluator.
"""

from __future__ import annotations

import json
import random
import uuid
from typing import Any

import jsonata
from jsonata.utils import Utils

from sagestep.engine import intrinsics


def _plain(value: Any) -> Any:
    if value is Utils.NULL_VALUE:
        return None
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _sequence(values: list[Any]) -> Any:
    # A JSONata sequence: a single value collapses to that value, as AWS returns it.
    return Utils.create_sequence_from_iter(values) if values else Utils.create_sequence()


def _partition(array: Any, size: Any) -> Any:
    return intrinsics.FUNCTIONS["States.ArrayPartition"]("$partition", [_plain(array), size])


def _range(start: Any, end: Any, step: Any) -> Any:
    return _sequence(intrinsics.FUNCTIONS["States.ArrayRange"]("$range", [start, end, step]))


def _hash(data: Any, algorithm: Any) -> Any:
    return intrinsics.FUNCTIONS["States.Hash"]("$hash", [_plain(data), algorithm])


def _random(*seed: Any) -> float:
    rng = random.Random(seed[0]) if seed else random
    return rng.random()


def _uuid() -> str:
    return str(uuid.uuid4())


def _parse(text: Any) -> Any:
    if not isinstance(text, str):
        raise ValueError("$parse takes a JSON string")
    return json.loads(text)


def register_functions(expr: jsonata.Jsonata) -> None:
    """Bind AWS's extra functions into one compiled expression."""
    expr.register_lambda("partition", _partition)
    expr.register_lambda("range", _range)
    expr.register_lambda("hash", _hash)
    expr.register_lambda("random", _random)
    expr.register_lambda("uuid", _uuid)
    expr.register_lambda("parse", _parse)

"""Batch transform DataProcessing: the JSONPath subset, joins and filters (CSV and JSON)."""

from __future__ import annotations

import pytest

from sagestep.errors import ServiceError
from sagestep.serving.datafilter import DataProcessing, parse, select

ROW = ["a", "b", "c", "d", "e", "f", "g"]


@pytest.mark.parametrize(("path", "expected"), [
    ("$", ROW),
    ("$[0]", "a"),
    ("$[-1]", "g"),
    ("$[1:]", ROW[1:]),
    ("$[1:4]", ["b", "c", "d", "e"]),  # AWS: the slice end is inclusive
    ("$[0,5:]", ["a", "f", "g"]),
    ("$[0,2]", ["a", "c"]),
    ("$[*]", ROW),
])
def test_csv_paths(path: str, expected: object) -> None:
    assert select(parse(path), ROW) == expected


def test_json_paths() -> None:
    record = {"id": 7, "features": [1, 2], "meta": {"x": 1}}
    assert select(parse("$.features"), record) == [1, 2]
    assert select(parse("$['id','meta']"), record) == {"id": 7, "meta": {"x": 1}}
    assert select(parse("$.meta.x"), record) == 1
    with pytest.raises(ServiceError, match="does not match"):
        select(parse("$.missing"), record)
    with pytest.raises(ServiceError, match="unsupported syntax"):
        parse("$..deep")


def test_csv_join_and_output_filter() -> None:
    processing = DataProcessing.build(
        {"InputFilter": "$[1:]", "JoinSource": "Input", "OutputFilter": "$[0,-1]"}, "text/csv")
    record = processing.parse_record(b"1,0.5,0.7\n")
    assert processing.model_input(record) == b"0.5,0.7"
    assert processing.result(record, b"0.93") == b"1,0.93"


def test_json_join_adds_sagemaker_output() -> None:
    processing = DataProcessing.build({"InputFilter": "$.features", "JoinSource": "Input",
                                       "OutputFilter": "$['id','SageMakerOutput']"},
                                      "application/jsonlines")
    record = processing.parse_record(b'{"id": 3, "features": [1, 2]}')
    assert processing.model_input(record) == b"[1, 2]"
    assert processing.result(record, b'{"score": 0.5}') == \
        b'{"id": 3, "SageMakerOutput": {"score": 0.5}}'
    scalar = DataProcessing.build({"JoinSource": "Input"}, "application/json")
    assert scalar.result([1, 2], b"0.5") == b'{"SageMakerInput": [1, 2], "SageMakerOutput": 0.5}'

"""The batch engine's mini-batching: whole records, never over MaxPayloadInMB, nothing lost."""

from __future__ import annotations

import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sagestep.serving.batch import Settings, TransformError, payloads

MB = 1024 * 1024


def _settings(**kwargs: object) -> Settings:
    base = {"split_type": "Line", "batch_strategy": "MultiRecord", "max_payload": 64}
    return Settings(**{**base, **kwargs})  # type: ignore[arg-type]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.binary(min_size=1, max_size=30).map(lambda b: b.replace(b"\n", b"x")),
                min_size=1, max_size=60))
def test_multirecord_packs_whole_records_within_the_limit(records: list[bytes]) -> None:
    data = b"".join(r + b"\n" for r in records)
    chunks = list(payloads(io.BytesIO(data), _settings()))
    assert b"".join(chunks) == data
    assert all(len(c) <= 64 and c.endswith(b"\n") for c in chunks)
    # greedy: each batch could not have taken the next record too
    for chunk, following in zip(chunks, chunks[1:], strict=False):
        assert len(chunk) + len(following.split(b"\n", 1)[0]) + 1 > 64


def test_single_record_and_none_split() -> None:
    data = b"1,2\n3,4\n\n5,6"
    assert list(payloads(io.BytesIO(data), _settings(batch_strategy="SingleRecord"))) == [
        b"1,2\n", b"3,4\n", b"5,6"]
    assert list(payloads(io.BytesIO(data), _settings(split_type="None"))) == [data]


def test_oversized_records_and_objects_fail_clearly() -> None:
    with pytest.raises(TransformError, match="exceeds MaxPayloadInMB"):
        list(payloads(io.BytesIO(b"x" * 100 + b"\n"), _settings()))
    with pytest.raises(TransformError, match="SplitType is None"):
        list(payloads(io.BytesIO(b"x" * 100), _settings(split_type="None")))


def test_settings_precedence_request_then_execution_parameters() -> None:
    advice = {"MaxConcurrentTransforms": 4, "BatchStrategy": "MULTI_RECORD", "MaxPayloadInMB": 6}
    chosen = Settings.from_config({"max_payload_mb": 2}, advice)
    assert (chosen.max_payload, chosen.max_concurrent, chosen.batch_strategy) == \
        (2 * MB, 4, "MultiRecord")
    default = Settings.from_config({}, None)
    assert (default.max_payload, default.max_concurrent, default.batch_strategy) == \
        (6 * MB, 1, "SingleRecord")


def test_a_whitespace_record_is_data_and_trailing_empty_lines_are_not() -> None:
    assert list(payloads(io.BytesIO(b"\t\n"), _settings())) == [b"\t\n"]
    assert list(payloads(io.BytesIO(b"\r\n"), _settings())) == [b"\r\n"]
    assert list(payloads(io.BytesIO(b"\n\n"), _settings())) == []

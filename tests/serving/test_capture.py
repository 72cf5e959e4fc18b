"""Endpoint data capture: record shape, key layout, encodings, sampling, and a real endpoint."""

from __future__ import annotations

import base64
import json
import random
import re
from datetime import UTC, datetime

import numpy as np
import pytest

from sagestep.serving.capture import CaptureConfig, CaptureWriter, object_key, payload, record
from sagestep.stores.objectstore import LocalObjectStore
from tests.monitor import reference

KEY = re.compile(r"capture/ep/AllTraffic/\d{4}/\d{2}/\d{2}/\d{2}/\d{2}-\d{2}-\d{3}-[0-9a-f-]{36}\.jsonl")


def config(**extra):
    base = {"EnableCapture": True, "InitialSamplingPercentage": 100,
            "DestinationS3Uri": "s3://bkt/capture", "CaptureOptions": [{"CaptureMode": "Input"},
                                                                       {"CaptureMode": "Output"}]}
    return CaptureConfig.parse({**base, **extra})


def test_record_has_the_reference_shape():
    when = datetime(2022, 2, 14, 17, 25, 49, 123000, tzinfo=UTC)
    made = record(config(), (b"69,0,153.7,109\n", "text/csv"),
                  (b"0.0254", "text/csv; charset=utf-8"), when, "<uuid>", "<caller id, only if sent>")
    assert made == reference.CAPTURE_RECORD


def test_modes_and_optional_metadata():
    when = datetime(2026, 1, 1, tzinfo=UTC)
    only_input = config(CaptureOptions=[{"CaptureMode": "Input"}])
    made = record(only_input, (b"1", "text/csv"), (b"2", "text/csv"), when, "e")
    assert list(made["captureData"]) == ["endpointInput"]
    assert made["eventMetadata"] == {"eventId": "e", "inferenceTime": "2026-01-01T00:00:00Z"}
    both = config(CaptureOptions=[{"CaptureMode": "InputAndOutput"}])
    assert list(record(both, (b"1", None), (b"2", None), when, "e")["captureData"]) == \
        ["endpointInput", "endpointOutput"]
    assert CaptureConfig.parse({"EnableCapture": False, "DestinationS3Uri": "s3://b/p",
                                "CaptureOptions": []}) is None


def test_encodings_follow_the_content_type_header():
    mapped = config(CaptureContentTypeHeader={"CsvContentTypes": ["text/csv"],
                                              "JsonContentTypes": ["application/jsonlines"]})
    assert payload(mapped, "INPUT", b"1,2", "text/csv")["encoding"] == "CSV"
    assert payload(mapped, "INPUT", b'{"a":1}', "application/jsonlines")["encoding"] == "JSON"
    unmapped = payload(mapped, "INPUT", b'{"a":1}', "application/json")
    assert unmapped["encoding"] == "BASE64" and base64.b64decode(unmapped["data"]) == b'{"a":1}'
    binary = payload(mapped, "INPUT", b"\xff\xfe", "text/csv")  # not UTF-8: kept as bytes
    assert binary["encoding"] == "BASE64" and base64.b64decode(binary["data"]) == b"\xff\xfe"
    assert payload(config(), "INPUT", b"[1]", "application/json")["encoding"] == "JSON"


def test_key_layout_is_per_utc_hour():
    when = datetime(2026, 3, 4, 5, 6, 7, 890000, tzinfo=UTC)
    assert object_key("capture", "ep", "AllTraffic", when, "u") == \
        "capture/ep/AllTraffic/2026/03/04/05/06-07-890-u.jsonl"


def test_sampling_percentage(tmp_path):
    store = LocalObjectStore(tmp_path)
    store.create_bucket("bkt")
    writer = CaptureWriter(store, lambda: 1_700_000_000.0, random.Random(0))
    sampled = config(InitialSamplingPercentage=30)
    written = [writer.capture(sampled, "ep", "AllTraffic", (b"1", "text/csv"), (b"2", "text/csv"))
               for _ in range(1000)]
    kept = [uri for uri in written if uri]
    assert 250 < len(kept) < 350
    assert all(KEY.fullmatch(uri.removeprefix("s3://bkt/")) for uri in kept)
    assert not [w for w in (writer.capture(config(InitialSamplingPercentage=0), "ep", "v",
                                           (b"", None), (b"", None)) for _ in range(50)) if w]


@pytest.mark.slow
def test_a_real_endpoint_captures_what_it_answered_and_the_monitor_reads_it(tmp_path):
    from sagestep.local import client
    from sagestep.monitor.datasets import read_chunks
    from tests.serving.helpers import breast_cancer, create_xgboost_model, variant

    home = tmp_path / "ws"
    sm = create_xgboost_model(home, "m", rounds=3)
    s3 = client("s3", home=home)
    s3.create_bucket(Bucket="bkt")
    sm.create_endpoint_config(EndpointConfigName="cfg", ProductionVariants=[variant("m")],
                              DataCaptureConfig={
                                  "EnableCapture": True, "InitialSamplingPercentage": 100,
                                  "DestinationS3Uri": "s3://bkt/capture",
                                  "CaptureOptions": [{"CaptureMode": "Input"},
                                                     {"CaptureMode": "Output"}],
                                  "CaptureContentTypeHeader": {"CsvContentTypes": ["text/csv"]}})
    sm.create_endpoint(EndpointName="ep", EndpointConfigName="cfg")
    try:
        sm.wait_for_endpoint(EndpointName="ep", Timeout=120)
        rt = client("sagemaker-runtime", home=home)
        x, _ = breast_cancer()
        answers = {}
        for i in range(12):
            row = ",".join(f"{v:.6g}" for v in x[i])
            extra = {"InferenceId": f"inf-{i}"} if i % 2 == 0 else {}
            out = rt.invoke_endpoint(EndpointName="ep", Body=row, ContentType="text/csv", **extra)
            answers[row] = out["Body"].read().decode()
        keys = [o["Key"] for o in s3.list_objects_v2(Bucket="bkt", Prefix="capture/")["Contents"]]
        assert len(keys) == 12 and all(KEY.fullmatch(k) for k in keys)
        records = [json.loads(s3.get_object(Bucket="bkt", Key=k)["Body"].read()) for k in keys]
        assert {r["captureData"]["endpointInput"]["data"]: r["captureData"]["endpointOutput"]["data"]
                for r in records} == answers
        assert sorted(r["eventMetadata"].get("inferenceId", "") for r in records)[-6:] == \
            sorted(f"inf-{i}" for i in range(0, 12, 2))
        assert {r["captureData"]["endpointInput"]["encoding"] for r in records} == {"CSV"}
        # the monitor reads the capture prefix as a dataset: prediction first, then 30 features
        local = home / "s3" / "bkt" / "capture"
        fmt = {"sagemakerCaptureJson": {"captureIndexNames": ["endpointInput", "endpointOutput"]}}
        (frame,) = list(read_chunks(local if local.exists() else _download(s3, tmp_path, keys), fmt))
        assert frame.shape == (12, 31)
        assert np.allclose(sorted(frame["_c0"].astype(float)), sorted(map(float, answers.values())))
    finally:
        sm.delete_endpoint(EndpointName="ep")


def _download(s3, tmp_path, keys):
    target = tmp_path / "capture"
    for key in keys:
        path = target / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(s3.get_object(Bucket="bkt", Key=key)["Body"].read())
    return target

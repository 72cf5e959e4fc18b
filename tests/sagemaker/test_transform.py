"""Batch transform jobs through the local SageMaker API: splitting, batching, joins, naming, failures."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import xgboost as xgb
from botocore.exceptions import ClientError

from sagestep.local import client
from tests.serving.helpers import breast_cancer, create_xgboost_model, csv_rows, xgboost_model_bytes

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    path = tmp_path_factory.mktemp("transform")
    create_xgboost_model(path, "xgb", rounds=5)
    x, y = breast_cancer()
    s3 = client("s3", home=path)
    s3.put_object(Bucket="data", Key="labelled/part-1.csv", Body=csv_rows(x[:300], y[:300]).encode())
    s3.put_object(Bucket="data", Key="labelled/2024/part-2.csv",
                  Body=csv_rows(x[300:], y[300:]).encode())
    s3.put_object(Bucket="data", Key="features/all.csv", Body=csv_rows(x).encode())
    yield path


def _scores(rows: np.ndarray) -> list[str]:
    booster = xgb.Booster()
    booster.load_model(bytearray(xgboost_model_bytes(5)))
    return [str(float(v)) for v in booster.inplace_predict(rows)]


def _run(home: Path, name: str, source: str, **extra: Any) -> dict[str, Any]:
    sm = client("sagemaker", home=home)
    transform_input = {"DataSource": {"S3DataSource": {"S3DataType": "S3Prefix",
                                                       "S3Uri": f"s3://data/{source}/"}},
                       "ContentType": "text/csv", "SplitType": "Line"}
    transform_input.update(extra.pop("TransformInput", {}))
    output = {"S3OutputPath": f"s3://data/out/{name}", "AssembleWith": "Line",
              "Accept": "text/csv", **extra.pop("TransformOutput", {})}
    sm.create_transform_job(TransformJobName=name, ModelName="xgb", TransformInput=transform_input,
                            TransformOutput=output,
                            TransformResources={"InstanceType": "ml.m5.large", "InstanceCount": 1},
                            **extra)
    sm.wait_for_job(JobName=name, Timeout=120)
    return sm.describe_transform_job(TransformJobName=name)  # type: ignore[no-any-return]


def _lines(home: Path, key: str) -> list[str]:
    body = client("s3", home=home).get_object(Bucket="data", Key=key)["Body"].read()
    return body.decode().splitlines()


def test_line_multirecord_join_and_filters(home: Path) -> None:
    job = _run(home, "join", "labelled", BatchStrategy="MultiRecord", MaxPayloadInMB=1,
               DataProcessing={"InputFilter": "$[1:]", "JoinSource": "Input",
                               "OutputFilter": "$[0,-1]"})
    assert job["TransformJobStatus"] == "Completed", job.get("FailureReason")
    assert job["TransformStartTime"] <= job["TransformEndTime"]
    x, y = breast_cancer()
    keys = sorted(o["Key"] for o in client("s3", home=home).list_objects_v2(
        Bucket="data", Prefix="out/join/")["Contents"])
    assert keys == ["out/join/2024/part-2.csv.out", "out/join/part-1.csv.out"]
    first = _lines(home, "out/join/part-1.csv.out")
    assert first == [f"{label:g},{score}" for label, score in zip(y[:300], _scores(x[:300]),
                                                                   strict=True)]
    assert len(_lines(home, "out/join/2024/part-2.csv.out")) == len(x) - 300


def test_single_record_and_assemble_none(home: Path) -> None:
    job = _run(home, "single", "features", BatchStrategy="SingleRecord",
               MaxConcurrentTransforms=2, TransformOutput={"AssembleWith": "None"})
    assert job["TransformJobStatus"] == "Completed", job.get("FailureReason")
    x, _ = breast_cancer()
    # Batch mode answers each record with "<score>\n"; AssembleWith None concatenates them.
    assert _lines(home, "out/single/all.csv.out") == _scores(x)


def test_split_none_sends_the_whole_object_and_gzip_input(home: Path) -> None:
    import gzip

    x, _ = breast_cancer()
    client("s3", home=home).put_object(Bucket="data", Key="gz/all.csv.gz",
                                       Body=gzip.compress(csv_rows(x).encode()))
    job = _run(home, "whole", "gz", TransformInput={"SplitType": "None",
                                                     "CompressionType": "Gzip"})
    assert job["TransformJobStatus"] == "Completed", job.get("FailureReason")
    assert _lines(home, "out/whole/all.csv.gz.out") == _scores(x)


def test_model_rejecting_the_data_fails_the_job_with_a_reason(home: Path) -> None:
    job = _run(home, "bad", "labelled", BatchStrategy="MultiRecord")  # 31 columns for 30
    assert job["TransformJobStatus"] == "Failed"
    assert job["FailureReason"].startswith("ClientError:")
    assert "Feature size of csv inference data 31" in job["FailureReason"]


def test_invalid_requests(home: Path) -> None:
    sm = client("sagemaker", home=home)
    base = {"TransformInput": {"DataSource": {"S3DataSource": {
        "S3DataType": "S3Prefix", "S3Uri": "s3://data/features/"}}, "ContentType": "text/csv"},
        "TransformOutput": {"S3OutputPath": "s3://data/out/x"},
        "TransformResources": {"InstanceType": "ml.m5.large", "InstanceCount": 1}}
    cases = [
        ({"ModelName": "missing"}, "Could not find model"),
        ({"ModelName": "xgb", "MaxPayloadInMB": 50, "MaxConcurrentTransforms": 4}, "100 MB"),
        ({"ModelName": "xgb", "DataProcessing": {"JoinSource": "Input"}}, "SplitType=Line"),
        ({"ModelName": "xgb", "BatchStrategy": "Sometimes"}, "batchStrategy"),
    ]
    for number, (fields, message) in enumerate(cases):
        with pytest.raises(ClientError) as info:
            sm.create_transform_job(TransformJobName=f"invalid-{number}", **base, **fields)
        assert info.value.response["Error"]["Code"] == "ValidationException"
        assert message in info.value.response["Error"]["Message"]
    listed = sm.list_transform_jobs(StatusEquals="Completed")["TransformJobSummaries"]
    assert all(s["TransformJobStatus"] == "Completed" for s in listed)


def test_stop_transform_job(home: Path) -> None:
    import time

    x, _ = breast_cancer()
    client("s3", home=home).put_object(Bucket="data", Key="many/rows.csv",
                                       Body=csv_rows(np.tile(x, (60, 1))).encode())
    sm = client("sagemaker", home=home)
    sm.create_transform_job(
        TransformJobName="stopme", ModelName="xgb", BatchStrategy="SingleRecord",
        TransformInput={"DataSource": {"S3DataSource": {"S3DataType": "S3Prefix",
                                                        "S3Uri": "s3://data/many/"}},
                        "ContentType": "text/csv", "SplitType": "Line"},
        TransformOutput={"S3OutputPath": "s3://data/out/stopme"},
        TransformResources={"InstanceType": "ml.m5.large", "InstanceCount": 1})
    deadline = time.monotonic() + 60
    while "TransformStartTime" not in sm.describe_transform_job(TransformJobName="stopme"):
        assert time.monotonic() < deadline
        time.sleep(0.05)
    sm.stop_transform_job(TransformJobName="stopme")
    assert sm.describe_transform_job(TransformJobName="stopme")["TransformJobStatus"] in (
        "Stopping", "Stopped")
    assert sm.wait_for_job(JobName="stopme", Timeout=60)["Status"] == "Stopped"
    listed = client("s3", home=home).list_objects_v2(Bucket="data", Prefix="out/stopme/")
    assert listed.get("KeyCount", 0) == 0  # an interrupted object publishes no .out

"""Batch transform DataCaptureConfig: input/output manifests and generated inference ids."""

from __future__ import annotations

import json
import re

import pytest

from sagestep.local import client
from tests.serving.helpers import breast_cancer, create_xgboost_model, csv_rows

pytestmark = pytest.mark.slow


def test_transform_job_writes_manifests_and_inference_ids(tmp_path) -> None:
    home = tmp_path / "ws"
    sm = create_xgboost_model(home, "xgb", rounds=3)
    s3 = client("s3", home=home)
    x, _ = breast_cancer()
    s3.put_object(Bucket="data", Key="in/a.csv", Body=csv_rows(x[:40]).encode())
    s3.put_object(Bucket="data", Key="in/sub/b.csv", Body=csv_rows(x[40:50]).encode())
    sm.create_transform_job(
        TransformJobName="scored", ModelName="xgb",
        TransformInput={"DataSource": {"S3DataSource": {"S3DataType": "S3Prefix",
                                                        "S3Uri": "s3://data/in/"}},
                        "ContentType": "text/csv", "SplitType": "Line"},
        TransformOutput={"S3OutputPath": "s3://data/out", "AssembleWith": "Line",
                         "Accept": "text/csv"},
        TransformResources={"InstanceType": "ml.m5.large", "InstanceCount": 1},
        DataCaptureConfig={"DestinationS3Uri": "s3://data/capture", "GenerateInferenceId": True})
    sm.wait_for_job(JobName="scored", Timeout=120)
    job = sm.describe_transform_job(TransformJobName="scored")
    assert job["TransformJobStatus"] == "Completed", job.get("FailureReason")
    keys = sorted(o["Key"] for o in s3.list_objects_v2(Bucket="data", Prefix="capture/")["Contents"])
    assert [k.split("/")[1] for k in keys] == ["input", "output"]
    hour = job["TransformStartTime"].strftime("%Y/%m/%d/%H")
    assert all(re.fullmatch(rf"capture/(input|output)/{hour}/scored-[0-9a-f-]{{36}}\.jsonl", k)
               for k in keys)
    manifests = [json.loads(s3.get_object(Bucket="data", Key=k)["Body"].read()) for k in keys]
    assert manifests[0] == [{"prefix": "s3://data/in/"}, "a.csv", "sub/b.csv"]
    assert manifests[1] == [{"prefix": "s3://data/out/"}, "a.csv.out", "sub/b.csv.out"]
    lines = s3.get_object(Bucket="data", Key="out/a.csv.out")["Body"].read().decode().splitlines()
    assert len(lines) == 40
    score, inference_id, when = lines[0].split(",")
    assert 0 <= float(score) <= 1 and re.fullmatch(r"[0-9a-f-]{36}", inference_id)
    assert when == job["TransformStartTime"].strftime("%Y-%m-%dT%H:%M:%SZ")
    assert len({line.split(",")[1] for line in lines}) == 40

"""The monitoring jobs as ordinary local SageMaker processing jobs (sandboxed and mapped)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from tests.sagemaker.conftest import ROLE, SKLEARN, make_env

pytestmark = pytest.mark.slow
BASE = "/opt/ml/processing"


def _request(name: str, job: str, inputs: dict[str, str], env: dict[str, str]) -> dict:
    return {
        "ProcessingJobName": name, "RoleArn": ROLE,
        "AppSpecification": {"ImageUri": SKLEARN,
                             "ContainerEntrypoint": ["python3", "-m", "sagestep.monitor", job]},
        "ProcessingResources": {"ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.large",
                                                  "VolumeSizeInGB": 5}},
        "Environment": env,
        "ProcessingInputs": [
            {"InputName": n, "S3Input": {"S3Uri": uri, "LocalPath": f"{BASE}/input/{n}",
                                         "S3DataType": "S3Prefix", "S3InputMode": "File"}}
            for n, uri in inputs.items()],
        "ProcessingOutputConfig": {"Outputs": [{"OutputName": "result", "S3Output": {
            "S3Uri": f"s3://bkt/monitor/{name}", "LocalPath": f"{BASE}/output",
            "S3UploadMode": "EndOfJob"}}]},
    }


@pytest.mark.parametrize("sandbox", ["none", None])
def test_baseline_and_data_quality_jobs(tmp_path, sandbox) -> None:
    env = make_env(tmp_path / "ws", **({"sandbox": sandbox} if sandbox else {}))
    rng = np.random.default_rng(0)
    train = pd.DataFrame({"y": rng.normal(size=2000), "x": rng.normal(size=2000)})
    env.s3.put_object(Bucket="bkt", Key="data/train/train.csv", Body=train.to_csv(index=False).encode())
    drifted = train.assign(x=train["x"] + 2)
    env.s3.put_object(Bucket="bkt", Key="data/new/new.csv", Body=drifted.to_csv(index=False).encode())
    env.sm.create_processing_job(**_request(
        "base-1", "baseline", {"dataset": "s3://bkt/data/train/"},
        {"dataset_source": f"{BASE}/input/dataset", "output_path": f"{BASE}/output"}))
    env.sm.wait_for_job(JobName="base-1", Timeout=120)
    described = env.sm.describe_processing_job(ProcessingJobName="base-1")
    assert described["ProcessingJobStatus"] == "Completed", described.get("FailureReason")
    stats = json.loads(env.s3.get_object(Bucket="bkt", Key="monitor/base-1/statistics.json")["Body"].read())
    assert stats["dataset"] == {"item_count": 2000}
    env.sm.create_processing_job(**_request(
        "check-1", "data-quality",
        {"dataset": "s3://bkt/data/new/", "baseline": "s3://bkt/monitor/base-1/"},
        {"dataset_source": f"{BASE}/input/dataset",
         "baseline_constraints": f"{BASE}/input/baseline/constraints.json",
         "baseline_statistics": f"{BASE}/input/baseline/statistics.json",
         "fail_on_violation": "true"}))
    env.sm.wait_for_job(JobName="check-1", Timeout=120)
    described = env.sm.describe_processing_job(ProcessingJobName="check-1")
    assert described["ProcessingJobStatus"] == "Failed"
    logs = [e["message"] for e in env.sm.get_job_logs(JobName="check-1")["events"]]
    assert described["ExitMessage"] == "CompletedWithViolations: 1 violation(s): x: baseline_drift_check", logs

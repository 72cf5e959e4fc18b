"""Processing jobs: an unmodified script with hard-coded /opt/ml/processing paths."""

from __future__ import annotations

import time

import pytest
from sklearn.datasets import load_diabetes

from tests.sagemaker.conftest import ROLE, SKLEARN, Env, make_env, needs_bwrap

PREPROCESS = '''
import os
import pandas as pd
from sklearn.model_selection import train_test_split

df = pd.read_csv("/opt/ml/processing/input/raw/diabetes.csv")
train, test = train_test_split(df, test_size=0.25, random_state=0)
os.makedirs("/opt/ml/processing/train", exist_ok=True)
train.to_csv("/opt/ml/processing/train/train.csv", header=False, index=False)
test.to_csv("/opt/ml/processing/test/test.csv", header=False, index=False)
with open("/opt/ml/output/message", "w") as fh:
    fh.write(f"split {len(df)} rows")
print("rows", len(train), len(test))
'''


def _request(name: str, entry: list[str], args: list[str] | None = None, **extra) -> dict:
    req = {
        "ProcessingJobName": name, "RoleArn": ROLE,
        "AppSpecification": {"ImageUri": SKLEARN, "ContainerEntrypoint": entry,
                             **({"ContainerArguments": args} if args else {})},
        "ProcessingResources": {"ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.large",
                                                  "VolumeSizeInGB": 5}},
        "ProcessingInputs": [
            {"InputName": "raw", "S3Input": {"S3Uri": "s3://bkt/raw/", "LocalPath": "/opt/ml/processing/input/raw",
                                             "S3DataType": "S3Prefix", "S3InputMode": "File"}},
            {"InputName": "code", "S3Input": {"S3Uri": "s3://bkt/code/preprocess.py",
                                              "LocalPath": "/opt/ml/processing/input/code",
                                              "S3DataType": "S3Prefix", "S3InputMode": "File"}}],
        "ProcessingOutputConfig": {"Outputs": [
            {"OutputName": n, "S3Output": {"S3Uri": f"s3://bkt/out/{n}", "LocalPath": f"/opt/ml/processing/{n}",
                                           "S3UploadMode": "EndOfJob"}} for n in ("train", "test")]},
    }
    req.update(extra)
    return req


def _stage(env: Env, script: str) -> None:
    df = load_diabetes(as_frame=True).frame
    env.s3.put_object(Bucket="bkt", Key="raw/diabetes.csv", Body=df.to_csv(index=False).encode())
    env.s3.put_object(Bucket="bkt", Key="code/preprocess.py", Body=script.encode())


@needs_bwrap
def test_unmodified_script_with_hard_coded_paths(env: Env) -> None:
    _stage(env, PREPROCESS)
    started = time.monotonic()
    env.sm.create_processing_job(**_request("prep-1", ["python3", "/opt/ml/processing/input/code/preprocess.py"]))
    env.sm.wait_for_job(JobName="prep-1", Timeout=60)
    d = env.sm.describe_processing_job(ProcessingJobName="prep-1")
    assert d["ProcessingJobStatus"] == "Completed", d.get("FailureReason")
    assert d["ExitMessage"] == "split 442 rows"
    assert d["SagestepLocal"]["Sandbox"] == "bwrap"
    train = env.s3.get_object(Bucket="bkt", Key="out/train/train.csv")["Body"].read().decode()
    test = env.s3.get_object(Bucket="bkt", Key="out/test/test.csv")["Body"].read().decode()
    assert (len(train.splitlines()), len(test.splitlines())) == (331, 111)
    assert d["ProcessingStartTime"] <= d["ProcessingEndTime"]
    assert time.monotonic() - started < 30
    messages = [e["message"] for e in env.sm.get_job_logs(JobName="prep-1")["events"]]
    assert "rows 331 111" in messages


def test_mapped_mode_rewrites_container_paths_in_arguments(tmp_path) -> None:
    env = make_env(tmp_path / "ws", sandbox="none")
    script = ("import sys, shutil\nshutil.copy(sys.argv[1] + '/diabetes.csv', sys.argv[2] + '/copy.csv')\n")
    _stage(env, script)
    req = _request("map-1", ["python3", "/opt/ml/processing/input/code/preprocess.py"],
                   ["/opt/ml/processing/input/raw", "/opt/ml/processing/train"])
    env.sm.create_processing_job(**req)
    env.sm.wait_for_job(JobName="map-1", Timeout=60)
    d = env.sm.describe_processing_job(ProcessingJobName="map-1")
    assert d["ProcessingJobStatus"] == "Completed", d.get("FailureReason")
    assert d["SagestepLocal"]["Sandbox"] == "none"
    assert env.s3.head_object(Bucket="bkt", Key="out/train/copy.csv")["ContentLength"] > 1000


def test_nonzero_exit_fails_with_aws_reason_and_missing_input_is_clear(env: Env) -> None:
    _stage(env, "import sys\nprint('oops')\nsys.exit(4)\n")
    env.sm.create_processing_job(**_request("bad-1", ["python3", "/opt/ml/processing/input/code/preprocess.py"]))
    env.sm.wait_for_job(JobName="bad-1", Timeout=60)
    d = env.sm.describe_processing_job(ProcessingJobName="bad-1")
    assert d["ProcessingJobStatus"] == "Failed"
    assert d["FailureReason"].startswith("AlgorithmError: See job logs for more information")
    req = _request("bad-2", ["python3", "x.py"])
    req["ProcessingInputs"][0]["S3Input"]["S3Uri"] = "s3://bkt/missing/"
    env.sm.create_processing_job(**req)
    env.sm.wait_for_job(JobName="bad-2", Timeout=60)
    d = env.sm.describe_processing_job(ProcessingJobName="bad-2")
    assert d["ProcessingJobStatus"] == "Failed"
    assert "s3://bkt/missing/" in d["FailureReason"]


def test_stop_and_max_runtime(env: Env) -> None:
    _stage(env, "import time\ntime.sleep(60)\n")
    entry = ["python3", "/opt/ml/processing/input/code/preprocess.py"]
    env.sm.create_processing_job(**_request("slow-1", entry, StoppingCondition={"MaxRuntimeInSeconds": 1}))
    env.sm.create_processing_job(**_request("slow-2", entry))
    time.sleep(0.5)
    env.sm.stop_processing_job(ProcessingJobName="slow-2")
    env.sm.wait_for_job(JobName="slow-1", Timeout=20)
    env.sm.wait_for_job(JobName="slow-2", Timeout=20)
    one = env.sm.describe_processing_job(ProcessingJobName="slow-1")
    assert one["ProcessingJobStatus"] == "Failed"
    assert "MaxRuntimeInSeconds" in one["FailureReason"]
    assert env.sm.describe_processing_job(ProcessingJobName="slow-2")["ProcessingJobStatus"] == "Stopped"
    names = [s["ProcessingJobName"] for s in env.sm.list_processing_jobs(SortOrder="Ascending")["ProcessingJobSummaries"]]
    assert names == ["slow-1", "slow-2"]


def test_local_path_outside_processing_dir_is_rejected(env: Env) -> None:
    from botocore.exceptions import ClientError

    req = _request("bad-path", ["python3", "x.py"])
    req["ProcessingInputs"][0]["S3Input"]["LocalPath"] = "/data/raw"
    with pytest.raises(ClientError) as err:
        env.sm.create_processing_job(**req)
    assert "/opt/ml/processing/" in err.value.response["Error"]["Message"]

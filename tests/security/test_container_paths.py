"""Paths a request or a job names inside the container never reach host files.

Through the real local SageMaker client (a workspace under tmp_path) and the real
``sagestep validate``: ``..`` in a LocalPath, a checkpoint path outside /opt/ml, a channel
named ``..``; and jobs that plant symlinks to host files in their output directories and at
/opt/ml/output/message (run unsandboxed, the worst case: the job shares the host's view).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from sagestep.sagemaker.confine import read_capped
from tests.sagemaker.conftest import ROLE, SKLEARN, Env, make_env, training_request

ROOT = Path(__file__).resolve().parents[2]
ESCAPE = "/opt/ml/processing/../../../tmp/x"


def _processing(name: str, inputs: list[tuple[str, str]], outputs: list[tuple[str, str]],
                args: list[str] | None = None) -> dict[str, Any]:
    return {
        "ProcessingJobName": name, "RoleArn": ROLE,
        "AppSpecification": {"ImageUri": SKLEARN,
                             "ContainerEntrypoint": ["python3", "/opt/ml/processing/input/code/job.py"],
                             **({"ContainerArguments": args} if args else {})},
        "ProcessingResources": {"ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.large",
                                                  "VolumeSizeInGB": 5}},
        "ProcessingInputs": [
            {"InputName": n, "S3Input": {"S3Uri": uri, "LocalPath": path, "S3DataType": "S3Prefix",
                                         "S3InputMode": "File"}} for n, uri, path in
            [("code", "s3://bkt/code/job.py", "/opt/ml/processing/input/code"),
             *[(f"in{i}", uri, path) for i, (uri, path) in enumerate(inputs)]]],
        "ProcessingOutputConfig": {"Outputs": [
            {"OutputName": f"out{i}", "S3Output": {"S3Uri": uri, "LocalPath": path,
                                                   "S3UploadMode": "EndOfJob"}}
            for i, (uri, path) in enumerate(outputs)]},
    }


@pytest.fixture
def unsandboxed(tmp_path: Path) -> Env:
    env = make_env(tmp_path / "ws", sandbox="none", stop_grace_s=2.0)
    env.s3.create_bucket(Bucket="bkt")
    return env


@pytest.mark.parametrize("where", ["input", "output"])
def test_dotdot_local_path_is_a_validation_exception(unsandboxed: Env, where: str) -> None:
    inputs = [("s3://bkt/data/", ESCAPE)] if where == "input" else []
    outputs = [("s3://bkt/etc/", ESCAPE)] if where == "output" else []
    with pytest.raises(ClientError) as info:
        unsandboxed.sm.create_processing_job(**_processing("escape", inputs, outputs))
    error = info.value.response["Error"]
    assert error["Code"] == "ValidationException"
    assert "/opt/ml/processing/" in error["Message"] and "/tmp/x" in error["Message"]


def test_checkpoint_path_outside_opt_ml_and_dotdot_channel_are_refused(unsandboxed: Env) -> None:
    source = unsandboxed.put_source("src/s.tar.gz", {"train.py": "print('hi')\n"})
    bad_checkpoint = training_request("ckpt", source, CheckpointConfig={
        "S3Uri": "s3://bkt/ckpt/", "LocalPath": "/opt/ml/../../etc"})
    with pytest.raises(ClientError, match="CheckpointConfig.LocalPath.*below /opt/ml/"):
        unsandboxed.sm.create_training_job(**bad_checkpoint)
    bad_channel = training_request("chan", source)
    bad_channel["InputDataConfig"] = [{"ChannelName": "..", "DataSource": {"S3DataSource": {
        "S3Uri": "s3://bkt/data/", "S3DataType": "S3Prefix"}}}]
    with pytest.raises(ClientError, match="ChannelName"):
        unsandboxed.sm.create_training_job(**bad_channel)


def test_tuning_job_definition_paths_are_checked_before_any_child_runs(unsandboxed: Env) -> None:
    from tests.sagemaker.test_tuning import NUMERIC, _request

    request = _request(unsandboxed, "tune-escape", "Random", NUMERIC)
    request["TrainingJobDefinition"]["CheckpointConfig"] = {"S3Uri": "s3://bkt/ckpt/",
                                                            "LocalPath": "/root/.ssh"}
    with pytest.raises(ClientError, match="CheckpointConfig.LocalPath"):
        unsandboxed.sm.create_hyper_parameter_tuning_job(**request)
    assert not unsandboxed.sm.list_training_jobs()["TrainingJobSummaries"]


def test_sagestep_validate_rejects_dotdot_destination(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "examples" / "xgboost-breast-cancer", tmp_path / "case")
    config = tmp_path / "case" / "pipeline.yaml"
    config.write_text(config.read_text().replace("destination: /opt/ml/processing/input/raw",
                                                 f"destination: {ESCAPE}"))
    done = subprocess.run([sys.executable, "-m", "sagestep.cli.main", "validate", str(config)],
                          capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(ROOT / "src")})
    assert done.returncode != 0
    assert "LocalPath" in done.stderr and "resolves to /tmp/x" in done.stderr
    assert "Traceback" not in done.stderr + done.stdout


SYMLINKER = '''
import os, sys
out, message, secret = sys.argv[1], sys.argv[2], sys.argv[3]
with open(os.path.join(out, "ok.csv"), "w") as fh:
    fh.write("1,2\\n")
os.symlink(secret, os.path.join(out, "leak.txt"))
os.symlink(os.path.dirname(secret), os.path.join(out, "leakdir"))
os.makedirs(os.path.dirname(message), exist_ok=True)
os.symlink(secret, message)
'''


@pytest.mark.slow
def test_symlinks_to_host_files_are_not_uploaded_or_read(unsandboxed: Env, tmp_path: Path) -> None:
    secret = tmp_path / "host" / "shadow"
    secret.parent.mkdir()
    secret.write_text("TOPSECRET-root-hash")
    unsandboxed.s3.put_object(Bucket="bkt", Key="code/job.py", Body=SYMLINKER.encode())
    request = _processing("links", [], [("s3://bkt/out/", "/opt/ml/processing/out")],
                          ["/opt/ml/processing/out", "/opt/ml/output/message", str(secret)])
    unsandboxed.sm.create_processing_job(**request)
    unsandboxed.sm.wait_for_job(JobName="links", Timeout=60)
    described = unsandboxed.sm.describe_processing_job(ProcessingJobName="links")
    assert described["ProcessingJobStatus"] == "Completed", described.get("FailureReason")
    keys = [o["Key"] for o in unsandboxed.s3.list_objects_v2(Bucket="bkt", Prefix="out/")
            .get("Contents", [])]
    assert keys == ["out/ok.csv"]
    assert "TOPSECRET" not in str(described)  # the message symlink was not followed


REPLACER = '''
import os, shutil, sys
out, secret_dir = sys.argv[1], sys.argv[2]
shutil.rmtree(out)
os.symlink(secret_dir, out)
'''


@pytest.mark.slow
def test_output_dir_replaced_by_a_symlink_fails_the_job(unsandboxed: Env, tmp_path: Path) -> None:
    secret_dir = tmp_path / "host"
    secret_dir.mkdir()
    (secret_dir / "id_rsa").write_text("TOPSECRET-key")
    unsandboxed.s3.put_object(Bucket="bkt", Key="code/job.py", Body=REPLACER.encode())
    request = _processing("swap", [], [("s3://bkt/ssh/", "/opt/ml/processing/out")],
                          ["/opt/ml/processing/out", str(secret_dir)])
    unsandboxed.sm.create_processing_job(**request)
    unsandboxed.sm.wait_for_job(JobName="swap", Timeout=60)
    described = unsandboxed.sm.describe_processing_job(ProcessingJobName="swap")
    assert described["ProcessingJobStatus"] == "Failed"
    assert "not a directory inside the container" in described["FailureReason"]
    assert "Contents" not in unsandboxed.s3.list_objects_v2(Bucket="bkt", Prefix="ssh/")


def test_read_capped_refuses_symlinks_fifos_and_caps_size(tmp_path: Path) -> None:
    job = tmp_path / "job"
    (job / "output").mkdir(parents=True)
    (tmp_path / "secret").write_text("TOPSECRET")
    (job / "output" / "big").write_bytes(b"x" * 10_000_000)
    assert read_capped(job, job / "output" / "big", 1024) == b"x" * 1024
    os.symlink(tmp_path / "secret", job / "output" / "message")
    assert read_capped(job, job / "output" / "message", 1024) is None
    os.mkfifo(job / "output" / "fifo")
    assert read_capped(job, job / "output" / "fifo", 1024) is None  # and does not block
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "failure").write_text("TOPSECRET")
    os.symlink(tmp_path / "elsewhere", job / "linked")  # a directory above the file
    assert read_capped(job, job / "linked" / "failure", 1024) is None

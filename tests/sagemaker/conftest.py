"""Fixtures: a fresh local runtime (workspace under tmp_path) with its s3 and sagemaker clients."""

from __future__ import annotations

import io
import tarfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from sagestep.local import LocalRuntime
from sagestep.sagemaker.sandbox import bwrap_works
from sagestep.workspace import Workspace

ROLE = "arn:aws:iam::123456789012:role/SageMakerRole"
SKLEARN = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3"

needs_bwrap = pytest.mark.skipif(not bwrap_works(), reason="bubblewrap is not available here")


@dataclass
class Env:
    runtime: LocalRuntime
    s3: Any
    sm: Any

    @property
    def svc(self) -> Any:
        return self.runtime.sagemaker

    def put_source(self, key: str, files: dict[str, str]) -> str:
        """Upload a sourcedir.tar.gz holding ``files``; returns its s3:// URI."""
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w:gz") as tar:
            for name, text in files.items():
                data = text.encode()
                info = tarfile.TarInfo(name)
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
        self.s3.put_object(Bucket="bkt", Key=key, Body=buf.getvalue())
        return f"s3://bkt/{key}"


def make_env(home: Path, **service_kwargs: Any) -> Env:
    rt = LocalRuntime(Workspace.resolve(home))
    if service_kwargs:
        from sagestep.local import sagemaker_service

        rt.__dict__["sagemaker"] = sagemaker_service(rt.workspace, rt.object_store, rt.clock,
                                                     **service_kwargs)
    return Env(rt, rt.client("s3"), rt.client("sagemaker"))


@pytest.fixture
def env(tmp_path: Path) -> Env:
    return make_env(tmp_path / "ws", stop_grace_s=2.0)


def training_request(name: str, source: str, hps: dict[str, str] | None = None, **extra: Any) -> dict[str, Any]:
    """A CreateTrainingJob request as the SageMaker SDK builds it for a script-mode estimator."""
    req: dict[str, Any] = {
        "TrainingJobName": name,
        "AlgorithmSpecification": {"TrainingImage": SKLEARN, "TrainingInputMode": "File"},
        "RoleArn": ROLE,
        "HyperParameters": {"sagemaker_program": '"train.py"', "sagemaker_submit_directory": f'"{source}"',
                            **(hps or {})},
        "InputDataConfig": [{"ChannelName": "train", "DataSource": {"S3DataSource": {
            "S3DataType": "S3Prefix", "S3Uri": "s3://bkt/data/train/", "S3DataDistributionType": "FullyReplicated"}},
            "ContentType": "text/csv"}],
        "OutputDataConfig": {"S3OutputPath": "s3://bkt/models"},
        "ResourceConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 10},
        "StoppingCondition": {"MaxRuntimeInSeconds": 600},
    }
    req.update(extra)
    return req

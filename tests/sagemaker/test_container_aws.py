"""Job code reaches S3 with boto3 unchanged through the endpoint the service injects.

The workspace's own local AWS API (``LocalRuntime.api_endpoint``, the ``api_endpoint``
collaborator of SageMakerService) answers; the job script is the usual template: download
the input with ``boto3.resource("s3").Bucket(b).download_file``, upload with ``put_object``.
A moto server stands in for the API in the isolation test (no endpoint must reach a job).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest

from tests.sagemaker.conftest import ROLE, SKLEARN, make_env, needs_bwrap

pytestmark = [needs_bwrap, pytest.mark.slow]

SCRIPT = '''
import sys
import boto3

bucket = sys.argv[1]
boto3.resource("s3").Bucket(bucket).download_file("input/data.csv", "/tmp/data.csv")
with open("/tmp/data.csv") as f:
    text = f.read()
boto3.client("s3").put_object(Bucket=bucket, Key="output/upper.csv", Body=text.upper().encode())
print("copied", len(text), "bytes")
'''


@dataclass(frozen=True)
class Endpoint:
    url: str
    access_key: str
    secret_key: str
    region: str


@pytest.fixture(scope="module")
def moto_s3() -> Iterator[tuple[Endpoint, Any]]:
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    api = Endpoint(f"http://{host}:{port}", "workspace-key", "workspace-secret", "eu-west-1")
    s3 = boto3.client("s3", endpoint_url=api.url, aws_access_key_id=api.access_key,
                      aws_secret_access_key=api.secret_key, region_name=api.region)
    try:
        yield api, s3
    finally:
        server.stop()


def _request(name: str, isolated: bool) -> dict[str, Any]:
    return {
        "ProcessingJobName": name, "RoleArn": ROLE,
        "AppSpecification": {"ImageUri": SKLEARN, "ContainerEntrypoint": [
            "python3", "/opt/ml/processing/input/code/s3copy.py"], "ContainerArguments": ["user-data"]},
        "ProcessingResources": {"ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.large",
                                                  "VolumeSizeInGB": 5}},
        "ProcessingInputs": [{"InputName": "code", "S3Input": {
            "S3Uri": "s3://bkt/code/s3copy.py", "LocalPath": "/opt/ml/processing/input/code",
            "S3DataType": "S3Prefix", "S3InputMode": "File"}}],
        "NetworkConfig": {"EnableNetworkIsolation": isolated},
    }


def test_boto3_download_and_put_object_reach_the_local_api(tmp_path: Any,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    from sagestep.local import LocalRuntime, sagemaker_service
    from sagestep.workspace import Workspace

    # the host's own credentials must not be what the job uses
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "host-key")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "host-secret")
    rt = LocalRuntime(Workspace.resolve(tmp_path / "ws"))
    rt.__dict__["sagemaker"] = sagemaker_service(rt.workspace, rt.object_store, rt.clock,
                                                 stop_grace_s=2.0, python="image",
                                                 api_endpoint=rt.api_endpoint)
    s3, sm = rt.client("s3"), rt.client("sagemaker")
    s3.put_object(Bucket="user-data", Key="input/data.csv", Body=b"a,b\n1,2\n")
    s3.put_object(Bucket="bkt", Key="code/s3copy.py", Body=SCRIPT.encode())
    sm.create_processing_job(**_request("copy-1", isolated=False))
    sm.wait_for_job(JobName="copy-1", Timeout=300)
    desc = sm.describe_processing_job(ProcessingJobName="copy-1")
    assert desc["ProcessingJobStatus"] == "Completed", desc.get("FailureReason")
    body = s3.get_object(Bucket="user-data", Key="output/upper.csv")["Body"].read()
    assert body == b"A,B\n1,2\n"
    assert os.environ["AWS_ACCESS_KEY_ID"] == "host-key"


def test_network_isolation_gets_no_endpoint(moto_s3: Any, tmp_path: Any) -> None:
    api, s3 = moto_s3
    env = make_env(tmp_path / "ws", stop_grace_s=2.0, python="image", api_endpoint=lambda: api)
    env.s3.put_object(Bucket="bkt", Key="code/s3copy.py", Body=SCRIPT.encode())
    env.sm.create_processing_job(**_request("copy-2", isolated=True))
    env.sm.wait_for_job(JobName="copy-2", Timeout=300)
    desc = env.sm.describe_processing_job(ProcessingJobName="copy-2")
    assert desc["ProcessingJobStatus"] == "Failed"
    events = env.svc.get_log_events("/aws/sagemaker/ProcessingJobs",
                                    desc["SagestepLocal"]["LogStream"])["events"]
    log = "\n".join(e["message"] for e in events)
    assert "NoCredentialsError" in log or "Could not connect" in log or "EndpointConnectionError" in log

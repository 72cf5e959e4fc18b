"""Seed 003's shape end to end: train and register (PendingManualApproval) -> approve ->
the deploy pipeline deploys staging, smoke-tests it, waits for approval, deploys prod.

Real jobs and endpoint servers on the local backend; the approval event reaches the router
through the registry's event log (the sweep `sagestep server` runs), delivered twice.
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
import time
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from sagestep.backends.base import find_task_token
from sagestep.backends.local import LocalBackend
from sagestep.backends.package_events import PackageEventSweep

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "promotion"
BUCKET = "sagestep-examples"
pytestmark = pytest.mark.slow


@pytest.fixture
def backend(tmp_path):
    made = LocalBackend(tmp_path / "ws")
    yield made
    for endpoint in ("promotion-staging", "promotion-prod"):
        with contextlib.suppress(ClientError):
            made.delete_endpoint(endpoint)
    made.runtime.engine.close()


def _until(predicate, timeout=180.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError("timed out")


def test_approve_then_staging_smoke_approval_prod(backend, tmp_path):
    data = tmp_path / "data"
    subprocess.run([sys.executable, str(EXAMPLE / "data.py"), str(data)], check=True)
    s3 = backend.runtime.client("s3")
    s3.create_bucket(Bucket=BUCKET)
    for part in ("train", "validation", "sample"):
        s3.put_object(Bucket=BUCKET, Key=f"promotion/{part}/{part}.csv",
                      Body=(data / part / f"{part}.csv").read_bytes())
    backend.register(EXAMPLE / "training.yaml")
    backend.register(EXAMPLE / "deploy.yaml")
    engine = backend.runtime.engine
    engine.worker.start()
    sweep = PackageEventSweep(backend.runtime.sagemaker.events, backend.send_event)

    (train,) = backend.send_event({"pipeline": "promotion-training"})
    engine.wait(train.arn, timeout=300)
    assert backend.describe_run(train.arn).status == "SUCCEEDED"
    (package,) = backend.models("promotion")
    assert package["ModelApprovalStatus"] == "PendingManualApproval"
    assert sweep.scan() == []  # registered, not approved: no deploy

    backend.approve_model(package["ModelPackageArn"])
    (deploy,) = sweep.scan()
    # the same event again (EventBridge may deliver twice): still one deploy run
    again = PackageEventSweep(backend.runtime.sagemaker.events, backend.send_event).scan()
    assert [r.arn for r in again] == [deploy.arn]
    assert backend.describe_run(deploy.arn).input["model_package"]["arn"] == \
        package["ModelPackageArn"]

    def waiting() -> bool:
        info = backend.describe_run(deploy.arn)
        assert info.status == "RUNNING", (info.error, info.cause)
        return find_task_token(backend.history(deploy.arn)) is not None

    _until(waiting)
    sm = backend.runtime.client("sagemaker")
    assert sm.describe_endpoint(EndpointName="promotion-staging")["EndpointStatus"] == "InService"
    capture = sm.describe_endpoint_config(EndpointConfigName=sm.describe_endpoint(
        EndpointName="promotion-staging")["EndpointConfigName"])["DataCaptureConfig"]
    assert capture["InitialSamplingPercentage"] == 80
    backend.approve(deploy.name, "smoke test green")
    engine.wait(deploy.arn, timeout=300)
    info = backend.describe_run(deploy.arn)
    assert info.status == "SUCCEEDED", (info.error, info.cause)
    results = info.output["results"]
    assert results["target_1_smoke"]["report"]["invocations"] == 5
    assert results["target_2_approval"]["comment"] == "smoke test green"
    prod = sm.describe_endpoint(EndpointName="promotion-prod")
    assert prod["EndpointStatus"] == "InService"
    config = sm.describe_endpoint_config(EndpointConfigName=prod["EndpointConfigName"])
    assert config["ProductionVariants"][0]["InitialInstanceCount"] == 3

    # A second version: prod is UPDATED this time, with the target's CANARY DeploymentConfig
    # (applied all at once locally until the traffic splitter lands; recorded as AWS does).
    (train2,) = backend.send_event({"pipeline": "promotion-training"})
    engine.wait(train2.arn, timeout=300)
    newest = max(backend.models("promotion"), key=lambda p: p["ModelPackageVersion"])
    assert newest["ModelPackageVersion"] == 2
    backend.approve_model(newest["ModelPackageArn"])
    (deploy2,) = sweep.scan()
    _until(lambda: find_task_token(backend.history(deploy2.arn)) is not None)
    backend.approve(deploy2.name, "second version")
    engine.wait(deploy2.arn, timeout=300)
    second = backend.describe_run(deploy2.arn)
    assert second.status == "SUCCEEDED", (second.error, second.cause)
    assert second.input["model_package"]["arn"] == newest["ModelPackageArn"]
    prod = sm.describe_endpoint(EndpointName="promotion-prod")
    wanted = {t["name"]: t for t in second.input["promotion"]["targets"]}["prod"]
    assert prod["EndpointConfigName"] == wanted["names"]["endpoint_config"]
    routing = prod["LastDeploymentConfig"]["BlueGreenUpdatePolicy"]["TrafficRoutingConfiguration"]
    assert routing["Type"] == "CANARY" and routing["CanarySize"]["Value"] == 34

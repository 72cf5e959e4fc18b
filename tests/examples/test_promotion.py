"""Seed 003's shape end to end: train and register (PendingManualApproval) -> approve ->
the deploy pipeline deploys staging, smoke-tests it, waits for approval, deploys prod; a
broken release passes staging's smoke test but prod's canary rolls it back while clients
run; the fixed release then goes through the canary.

Real jobs and endpoint servers on the local backend; the approval event reaches the router
through the registry's event log (the sweep `sagestep server` runs), delivered twice; the
clients are the example's traffic.py with boto3 over the local AWS API.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from sagestep.api.server import ApiServer
from sagestep.backends.base import find_task_token
from sagestep.backends.local import LocalBackend
from sagestep.backends.package_events import PackageEventSweep
from sagestep.serving.rollout import RolloutTable
from sagestep.serving.traffic import TrafficTable

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


def _traffic_module(example: Path) -> Any:
    spec = importlib.util.spec_from_file_location("promotion_traffic", example / "traffic.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class Release:
    """One model version through the example: train, register, approve, deploy to staging."""

    def __init__(self, backend: LocalBackend, sweep: PackageEventSweep) -> None:
        self.backend, self.sweep = backend, sweep
        self.engine = backend.runtime.engine

    def train_and_approve(self) -> tuple[Any, dict[str, Any]]:
        (train,) = self.backend.send_event({"pipeline": "promotion-training"})
        self.engine.wait(train.arn, timeout=300)
        info = self.backend.describe_run(train.arn)
        assert info.status == "SUCCEEDED", (info.error, info.cause)
        package = max(self.backend.models("promotion"), key=lambda p: p["ModelPackageVersion"])
        assert package["ModelApprovalStatus"] == "PendingManualApproval"
        assert self.sweep.scan() == []  # registered, not approved: no deploy
        self.backend.approve_model(package["ModelPackageArn"])
        (deploy,) = self.sweep.scan()
        assert self.backend.describe_run(deploy.arn).input["model_package"]["arn"] == \
            package["ModelPackageArn"]
        return deploy, package

    def until_prod_approval(self, deploy: Any) -> None:
        def waiting() -> bool:
            info = self.backend.describe_run(deploy.arn)
            assert info.status == "RUNNING", (info.error, info.cause)
            return find_task_token(self.backend.history(deploy.arn)) is not None
        _until(waiting)

    def finish(self, deploy: Any) -> Any:
        self.engine.wait(deploy.arn, timeout=300)
        return self.backend.describe_run(deploy.arn)


def _statuses(sm: Any, name: str, run: Any, backend: LocalBackend) -> list[str]:
    """Every EndpointStatus DescribeEndpoint reports until the deploy run ends."""
    seen: list[str] = []
    deadline = time.monotonic() + 240
    while backend.describe_run(run.arn).status == "RUNNING":
        assert time.monotonic() < deadline
        status = sm.describe_endpoint(EndpointName=name)["EndpointStatus"]
        if not seen or seen[-1] != status:
            seen.append(status)
        time.sleep(0.05)
    return seen


def test_approve_staging_smoke_approval_prod_canary_rollback(backend, tmp_path):
    example = tmp_path / "promotion"  # a copy: the broken release edits its code
    shutil.copytree(EXAMPLE, example)
    data = tmp_path / "data"
    subprocess.run([sys.executable, str(example / "data.py"), str(data)], check=True)
    s3 = backend.runtime.client("s3")
    s3.create_bucket(Bucket=BUCKET)
    for part in ("train", "validation", "sample"):
        s3.put_object(Bucket=BUCKET, Key=f"promotion/{part}/{part}.csv",
                      Body=(data / part / f"{part}.csv").read_bytes())
    backend.register(example / "training.yaml")
    backend.register(example / "deploy.yaml")
    backend.runtime.engine.worker.start()
    sweep = PackageEventSweep(backend.runtime.sagemaker.events, backend.send_event)
    release = Release(backend, sweep)
    sm = backend.runtime.client("sagemaker")

    # --- version 1: creates staging, then (approved) prod ----------------------------------
    deploy, package = release.train_and_approve()
    # the same event again (EventBridge may deliver twice): still one deploy run
    again = PackageEventSweep(backend.runtime.sagemaker.events, backend.send_event).scan()
    assert [r.arn for r in again] == [deploy.arn]
    release.until_prod_approval(deploy)
    assert sm.describe_endpoint(EndpointName="promotion-staging")["EndpointStatus"] == "InService"
    capture = sm.describe_endpoint_config(EndpointConfigName=sm.describe_endpoint(
        EndpointName="promotion-staging")["EndpointConfigName"])["DataCaptureConfig"]
    assert capture["InitialSamplingPercentage"] == 80
    backend.approve(deploy.name, "smoke test green")
    info = release.finish(deploy)
    assert info.status == "SUCCEEDED", (info.error, info.cause)
    results = info.output["results"]
    assert results["target_1_smoke"]["report"]["invocations"] == 5
    assert results["target_2_approval"]["comment"] == "smoke test green"
    prod = sm.describe_endpoint(EndpointName="promotion-prod")
    good_config = prod["EndpointConfigName"]
    assert prod["EndpointStatus"] == "InService"
    config = sm.describe_endpoint_config(EndpointConfigName=good_config)
    assert config["ProductionVariants"][0]["InitialInstanceCount"] == 3

    # Clients as a user's: boto3 over the local AWS API, the example's traffic.py.
    server = ApiServer(backend.runtime)
    api = server.start()
    runtime = boto3.client("sagemaker-runtime", endpoint_url=api.url, region_name=api.region,
                           aws_access_key_id=api.access_key,
                           aws_secret_access_key=api.secret_key,
                           config=Config(retries={"max_attempts": 1}))
    traffic = _traffic_module(example)
    rows = traffic.request_rows(data)
    try:
        _broken_release(backend, release, sm, traffic, runtime, rows, example, good_config)
        _fixed_release(backend, release, sm, traffic, runtime, rows, example)
    finally:
        server.stop()


def _broken_release(backend, release, sm, traffic, runtime, rows, example, good_config):
    """Version 2 parses requests with np.loadtxt: blank fields fail, the sample has none.
    Driven with the README's commands (`sagestep server`'s part: the test's worker, sweep)."""
    shutil.copy(EXAMPLE / "broken" / "inference.py", example / "code" / "inference.py")
    home = str(backend.runtime.workspace.root)
    _cli("register", str(example / "training.yaml"), home=home)
    _cli("run", "promotion-training", home=home)
    arn = "arn:aws:sagemaker:us-east-1:123456789012:model-package/promotion/2"
    assert arn in _cli("models", "list", "--group", "promotion", home=home)
    _cli("models", "approve", arn, home=home)
    (deploy,) = release.sweep.scan()
    release.until_prod_approval(deploy)
    payloads = [json.loads(e["taskSucceededEventDetails"]["output"]).get("Payload")
                for e in backend.history(deploy.arn) if e.get("type") == "TaskSucceeded"]
    smoke = [p for p in payloads if isinstance(p, dict) and "invocations" in p]
    assert [p["invocations"] for p in smoke] == [5]  # staging's smoke test passed the bug
    with traffic.Clients(runtime, "promotion-prod", rows, rate=40) as clients:
        _until(lambda: clients.counts["ok missing"] >= 3)  # blue serves every row
        _cli("approve", deploy.name, "-m", "staging looked fine", "--no-follow", home=home)
        seen = _statuses(sm, "promotion-prod", deploy, backend)
        failed_at_end = clients.failed()
        time.sleep(1.0)
    info = backend.describe_run(deploy.arn)
    # As a Step Functions user sees it: FAILED, the error and a cause naming alarm and rollback
    assert info.status == "FAILED"
    assert info.error == "Sagestep.RolledBack", (info.error, info.cause)
    assert "endpoint promotion-prod rolled back to " + good_config in info.cause
    assert "alarm promotion-prod-5xx-errors" in info.cause and "error rate" in info.cause
    prod = sm.describe_endpoint(EndpointName="promotion-prod")
    assert prod["EndpointStatus"] == "InService" and prod["EndpointConfigName"] == good_config
    assert "promotion-prod-5xx-errors" in prod["FailureReason"]
    # As AWS reports it: Updating, RollingBack, InService. Locally RollingBack lasts until
    # the next DescribeEndpoint finishes it, and that caller (this poller or the run's own
    # Check Endpoint) is the one shown RollingBack: look at both.
    engine_saw = _engine_statuses(backend.history(deploy.arn), "promotion-prod")
    assert "Updating" in seen and seen[-1] == "InService" and "Updating" in engine_saw, seen
    assert "RollingBack" in seen + engine_saw, (seen, engine_saw)
    # Failures: only requests with a blank field, only those the canary served, none after
    rollout = RolloutTable(backend.runtime.workspace.db_path).get("promotion-prod")
    assert rollout is not None and rollout.state == "rolled_back"
    table = TrafficTable(backend.runtime.workspace.db_path)
    green = table.metrics("promotion-prod", rollout.new_generation, 0)
    blue = table.metrics("promotion-prod", rollout.weights["old_generation"], 0)
    assert clients.failed() == failed_at_end == green["errors"] > 0, (clients.counts, green)
    assert clients.counts["failed complete"] == 0 and blue["errors"] == 0
    assert all("ModelError" in message for _, _, message in clients.failures)
    served = green["requests"] + blue["requests"]  # while both generations were routed
    assert green["requests"] <= 0.34 * served + 3 * (served * 0.34 * 0.66) ** 0.5 + 1
    assert clients.counts["ok missing"] > clients.counts["failed missing"]
    # The CLI: the run's deploy stage FAILED with the cause; the rollback in the last
    # deployment's steps
    status = _cli("status", deploy.name, home=home)
    assert "FAILED" in status.splitlines()[0], status
    deploy_row = next(line for line in status.splitlines() if line.strip().startswith("deploy"))
    assert "FAILED" in deploy_row, status
    assert "Sagestep.RolledBack" in status and "alarm promotion-prod-5xx-errors" in status
    described = _cli("endpoints", "describe", "promotion-prod", home=home)
    assert f"last deployment: {good_config} -> " in described and "rolled_back" in described
    assert "Rolled back: alarm promotion-prod-5xx-errors" in described, described


def _engine_statuses(history: list[dict[str, Any]], endpoint: str) -> list[str]:
    """EndpointStatus of every DescribeEndpoint the run's states made on ``endpoint``."""
    found = []
    for event in history:
        output = (event.get("taskSucceededEventDetails") or {}).get("output")
        doc = json.loads(output) if output else {}
        if isinstance(doc, dict) and doc.get("EndpointName") == endpoint and \
                "EndpointStatus" in doc:
            found.append(doc["EndpointStatus"])
    return found


def _cli(*args: str, home: str) -> str:
    out = subprocess.run([sys.executable, "-m", "sagestep", *args, "--home", home],
                         capture_output=True, text=True, timeout=300,
                         env={**os.environ, "COLUMNS": "250"})
    assert out.returncode == 0, (args, out.stdout, out.stderr)
    return out.stdout


def _fixed_release(backend, release, sm, traffic, runtime, rows, example):
    """Version 3, the parser restored: the canary completes while clients run."""
    shutil.copy(EXAMPLE / "code" / "inference.py", example / "code" / "inference.py")
    backend.register(example / "training.yaml")
    deploy, package = release.train_and_approve()
    release.until_prod_approval(deploy)
    with traffic.Clients(runtime, "promotion-prod", rows, rate=40) as clients:
        backend.approve(deploy.name, "fixed the parser")
        info = release.finish(deploy)
    assert info.status == "SUCCEEDED", (info.error, info.cause)
    assert clients.failed() == 0 and clients.counts["ok missing"] > 0, clients.counts
    prod = sm.describe_endpoint(EndpointName="promotion-prod")
    wanted = {t["name"]: t for t in info.input["promotion"]["targets"]}["prod"]
    assert prod["EndpointConfigName"] == wanted["names"]["endpoint_config"]
    assert "FailureReason" not in prod
    routing = prod["LastDeploymentConfig"]["BlueGreenUpdatePolicy"]["TrafficRoutingConfiguration"]
    assert routing["Type"] == "CANARY" and routing["CanarySize"]["Value"] == 34

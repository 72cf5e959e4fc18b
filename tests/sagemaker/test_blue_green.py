"""Blue/green traffic shifting of UpdateEndpoint, locally: real servers, real invocations."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from sagestep.local import client
from sagestep.serving.routes import RouteTable
from sagestep.serving.traffic import TrafficTable
from sagestep.workspace import Workspace
from tests.serving.helpers import ROLE, SKLEARN_IMAGE, tarball, variant

pytestmark = pytest.mark.slow

SCRIPT = '''
def model_fn(model_dir):
    return open(model_dir + "/answer.txt").read()

def input_fn(body, content_type):
    return body

def predict_fn(data, model):
    if model == "broken":
        raise RuntimeError("boom in the new model")
    return model

def output_fn(prediction, accept):
    return prediction
'''


def _model(home: Path, name: str, answer: str) -> None:
    s3 = client("s3", home=home)
    s3.put_object(Bucket="models", Key=f"{name}/model.tar.gz",
                  Body=tarball({"answer.txt": answer.encode()}))
    s3.put_object(Bucket="models", Key=f"{name}/code.tar.gz",
                  Body=tarball({"inference.py": SCRIPT.encode()}))
    client("sagemaker", home=home).create_model(
        ModelName=name, ExecutionRoleArn=ROLE, PrimaryContainer={
            "Image": SKLEARN_IMAGE, "ModelDataUrl": f"s3://models/{name}/model.tar.gz",
            "Environment": {"SAGEMAKER_PROGRAM": "inference.py",
                            "SAGEMAKER_SUBMIT_DIRECTORY": f"s3://models/{name}/code.tar.gz"}})


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    path = tmp_path_factory.mktemp("bluegreen")
    client("s3", home=path).create_bucket(Bucket="models")
    for name in ("blue", "green", "broken"):
        _model(path, name, name)
        client("sagemaker", home=path).create_endpoint_config(
            EndpointConfigName=f"cfg-{name}", ProductionVariants=[variant(name)])
    yield path
    sm = client("sagemaker", home=path)
    for endpoint in sm.list_endpoints()["Endpoints"]:
        sm.delete_endpoint(EndpointName=endpoint["EndpointName"])


def _policy(routing: dict[str, Any], alarms: list[str] = (), final: int = 0) -> dict[str, Any]:
    config: dict[str, Any] = {"BlueGreenUpdatePolicy": {
        "TrafficRoutingConfiguration": routing, "TerminationWaitInSeconds": final,
        "MaximumExecutionTimeoutInSeconds": 600}}
    if alarms:
        config["AutoRollbackConfiguration"] = {"Alarms": [{"AlarmName": a} for a in alarms]}
    return config


def _start(home: Path, name: str) -> Any:
    sm = client("sagemaker", home=home)
    sm.create_endpoint(EndpointName=name, EndpointConfigName="cfg-blue")
    assert sm.wait_for_endpoint(EndpointName=name, Timeout=120)["EndpointStatus"] == "InService"
    return sm


class Traffic:
    """Invokes ``endpoint`` in a loop, counting answers and failures by model."""

    def __init__(self, home: Path, endpoint: str) -> None:
        self.rt = client("sagemaker-runtime", home=home)
        self.endpoint, self.answers, self.failures = endpoint, Counter[str](), Counter[str]()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.once()

    def once(self) -> None:
        try:
            out = self.rt.invoke_endpoint(EndpointName=self.endpoint, Body=b"x",
                                          ContentType="text/plain")
            self.answers[out["Body"].read().decode()] += 1
        except ClientError as exc:
            self.failures[str(exc.response.get("OriginalStatusCode", exc))] += 1

    def __enter__(self) -> Traffic:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(30)
        self.rt.meter.flush()


def _settle(sm: Any, name: str, timeout: float = 60) -> tuple[dict[str, Any], list[str]]:
    seen: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        doc = sm.describe_endpoint(EndpointName=name)
        if not seen or seen[-1] != doc["EndpointStatus"]:
            seen.append(doc["EndpointStatus"])
        if doc["EndpointStatus"] in ("InService", "Failed"):
            return doc, seen
        time.sleep(0.05)
    raise AssertionError(f"{name} still {seen} after {timeout}s")


def test_a_broken_canary_rolls_back_failing_only_its_share(home: Path) -> None:
    sm = _start(home, "ep-canary")
    with Traffic(home, "ep-canary") as traffic:
        time.sleep(0.5)
        sm.update_endpoint(EndpointName="ep-canary", EndpointConfigName="cfg-broken",
                           DeploymentConfig=_policy(
                               {"Type": "CANARY", "WaitIntervalInSeconds": 60,
                                "CanarySize": {"Type": "CAPACITY_PERCENT", "Value": 20}},
                               ["ep-canary-5xx-errors"]))
        doc, seen = _settle(sm, "ep-canary")
        after = sum(traffic.failures.values())
        time.sleep(0.5)
        # the rollout's last counts were written by the next (unsplit) invocations
        assert traffic.rt.meter.pending == 0
    assert doc["EndpointConfigName"] == "cfg-blue"
    assert "5xx-errors" in doc["FailureReason"] and "error rate" in doc["FailureReason"]
    assert seen[0] == "Updating" and "RollingBack" in seen and seen[-1] == "InService"
    # every failure is a model error of a request routed to the canary; none once rolled back
    rollout = client_rollout(home, "ep-canary")
    assert rollout.state == "rolled_back"
    table = TrafficTable(Workspace(home).db_path)
    green = table.metrics("ep-canary", rollout.new_generation, 0)
    blue = table.metrics("ep-canary", rollout.weights["old_generation"], 0)
    failed = sum(traffic.failures.values())
    assert set(traffic.failures) == {"500"} and failed == after == green["errors"] > 0
    assert green["requests"] == green["errors"] and blue["errors"] == 0
    # (counted only while both generations were routed)
    assert set(traffic.answers) == {"blue"} and 0 < blue["requests"] < traffic.answers["blue"]
    routes = RouteTable(Workspace(home).db_path).routes("ep-canary")
    assert len(routes) == 1 and routes[0].weight == 1.0
    assert [s.generation for s in RouteTable(Workspace(home).db_path).servers("ep-canary")] == [
        rollout.weights["old_generation"]]


def client_rollout(home: Path, name: str) -> Any:
    from sagestep.serving.rollout import RolloutTable

    found = RolloutTable(Workspace(home).db_path).get(name)
    assert found is not None
    return found


def test_a_good_model_completes_a_linear_rollout_in_its_steps(home: Path) -> None:
    sm = _start(home, "ep-linear")
    with Traffic(home, "ep-linear") as traffic:
        sm.update_endpoint(EndpointName="ep-linear", EndpointConfigName="cfg-green",
                           DeploymentConfig=_policy(
                               {"Type": "LINEAR", "WaitIntervalInSeconds": 1,
                                "LinearStepSize": {"Type": "CAPACITY_PERCENT", "Value": 34}},
                               ["ep-linear-5xx-errors"]))
        doc, seen = _settle(sm, "ep-linear")
    assert doc["EndpointConfigName"] == "cfg-green" and "FailureReason" not in doc
    assert "PendingDeploymentSummary" not in doc
    assert not traffic.failures and traffic.answers["blue"] and traffic.answers["green"]
    rollout = client_rollout(home, "ep-linear")
    assert rollout.state == "finished"
    assert [e["step"] for e in rollout.log] == [0, 1, 2, 2]
    assert "34%" in rollout.log[0]["message"] and "68%" in rollout.log[1]["message"]
    routes = RouteTable(Workspace(home).db_path).routes("ep-linear")
    assert [r.generation for r in routes] == [rollout.new_generation]
    assert len(RouteTable(Workspace(home).db_path).servers("ep-linear")) == 1


def test_the_canary_split_is_the_configured_share(home: Path) -> None:
    sm = _start(home, "ep-split")
    sm.update_endpoint(EndpointName="ep-split", EndpointConfigName="cfg-green",
                       DeploymentConfig=_policy(
                           {"Type": "CANARY", "WaitIntervalInSeconds": 600,
                            "CanarySize": {"Type": "CAPACITY_PERCENT", "Value": 30}}))
    deadline = time.monotonic() + 60
    while len(RouteTable(Workspace(home).db_path).routes("ep-split")) < 2:
        assert time.monotonic() < deadline
        assert sm.describe_endpoint(EndpointName="ep-split")["EndpointStatus"] == "Updating"
        time.sleep(0.1)
    traffic = Traffic(home, "ep-split")
    for _ in range(400):
        traffic.once()
    traffic.rt.meter.flush()
    assert not traffic.failures
    assert 0.22 < traffic.answers["green"] / 400 < 0.38, traffic.answers
    table = TrafficTable(Workspace(home).db_path)
    generations = {r.generation for r in RouteTable(Workspace(home).db_path).routes("ep-split")}
    green = table.metrics("ep-split", max(generations), 0)
    blue = table.metrics("ep-split", min(generations), 0)
    assert green["requests"] == traffic.answers["green"]
    assert blue["requests"] >= traffic.answers["blue"]
    described = sm.describe_endpoint(EndpointName="ep-split")
    assert described["EndpointStatus"] == "Updating"
    pending = described["PendingDeploymentSummary"]
    assert pending["EndpointConfigName"] == "cfg-green"
    assert pending["ProductionVariants"][0]["CurrentWeight"] == pytest.approx(0.3)
    assert pending["ProductionVariants"][0]["VariantStatus"][0]["Status"] == "Baking"
    assert described["ProductionVariants"][0]["CurrentWeight"] == pytest.approx(0.7)


def test_another_process_advances_the_rollout_from_stored_times(home: Path) -> None:
    """The rollout is data: a fresh process (no thread of the updater) finishes it."""
    import subprocess
    import sys

    sm = _start(home, "ep-restart")
    sm.update_endpoint(EndpointName="ep-restart", EndpointConfigName="cfg-green",
                       DeploymentConfig=_policy(
                           {"Type": "CANARY", "WaitIntervalInSeconds": 1,
                            "CanarySize": {"Type": "INSTANCE_COUNT", "Value": 1}}, final=1))
    deadline = time.monotonic() + 60
    while client_rollout(home, "ep-restart").state == "pending":
        assert time.monotonic() < deadline
        time.sleep(0.1)
    script = ("import sys, time\nfrom sagestep.local import client\n"
              "sm = client('sagemaker', home=sys.argv[1])\n"
              "for _ in range(400):\n"
              "    doc = sm.describe_endpoint(EndpointName='ep-restart')\n"
              "    if doc['EndpointStatus'] == 'InService':\n"
              "        print(doc['EndpointConfigName']); break\n"
              "    time.sleep(0.05)\n")
    out = subprocess.run([sys.executable, "-c", script, str(home)], capture_output=True,
                         text=True, timeout=120, check=True)
    assert out.stdout.strip() == "cfg-green", out.stderr
    rollout = client_rollout(home, "ep-restart")
    assert rollout.state == "finished" and len(rollout.log) == 3
    assert "canary capacity of 1 instance" in rollout.log[0]["message"]
    assert [s.generation for s in RouteTable(Workspace(home).db_path).servers("ep-restart")] == [
        rollout.new_generation]


def test_cli_describe_shows_generations_split_and_steps(home: Path) -> None:
    import os
    import subprocess
    import sys

    env = {**os.environ, "COLUMNS": "200"}
    out = subprocess.run([sys.executable, "-m", "sagestep", "endpoints", "describe", "ep-linear",
                          "--home", str(home)], capture_output=True, text=True, timeout=120,
                         env=env)
    assert out.returncode == 0, out.stderr
    text = out.stdout
    assert "last deployment: cfg-blue -> cfg-green  finished" in text
    assert "34% of capacity" in text and "68% of capacity" in text and "100%" in text


def test_all_at_once_rolls_back_during_the_termination_wait(home: Path) -> None:
    """ALL_AT_ONCE moves every request to green, but blue keeps running through
    TerminationWaitInSeconds: an alarm then sends traffic back without a restart."""
    sm = _start(home, "ep-once")
    with Traffic(home, "ep-once") as traffic:
        sm.update_endpoint(EndpointName="ep-once", EndpointConfigName="cfg-broken",
                           DeploymentConfig=_policy({"Type": "ALL_AT_ONCE", "WaitIntervalInSeconds": 0},
                                                    ["ep-once-5xx-errors"], final=600))
        doc, seen = _settle(sm, "ep-once")
        failed = sum(traffic.failures.values())
        time.sleep(0.5)
    assert doc["EndpointConfigName"] == "cfg-blue" and "error rate" in doc["FailureReason"]
    assert seen[-2:] == ["RollingBack", "InService"]
    assert failed == sum(traffic.failures.values()) > 0  # none after the rollback
    rollout = client_rollout(home, "ep-once")
    assert [e["state"] for e in rollout.log] == ["shifting", "rolled_back"]
    assert "full capacity" in rollout.log[0]["message"]


def test_a_rollout_survives_kill_9_of_the_process_that_started_it(home: Path) -> None:
    import os
    import signal
    import subprocess
    import sys

    from sagestep.local import LocalRuntime
    from sagestep.sagemaker.endpoints_api import restore_endpoints

    _start(home, "ep-kill")
    script = ("import sys, time, json\nfrom sagestep.local import client\n"
              "sm = client('sagemaker', home=sys.argv[1])\n"
              "sm.update_endpoint(EndpointName='ep-kill', EndpointConfigName='cfg-green',"
              " DeploymentConfig=json.loads(sys.argv[2]))\n"
              "from sagestep.serving.rollout import RolloutTable\n"
              "from sagestep.workspace import Workspace\n"
              "table = RolloutTable(Workspace.resolve(sys.argv[1]).db_path)\n"
              "while table.get('ep-kill').state != 'shifting':\n"
              "    time.sleep(0.05)\n"
              "print('shifting', flush=True)\n"
              "time.sleep(600)\n")
    import json

    policy = _policy({"Type": "LINEAR", "WaitIntervalInSeconds": 1,
                      "LinearStepSize": {"Type": "CAPACITY_PERCENT", "Value": 50}})
    proc = subprocess.Popen([sys.executable, "-c", script, str(home), json.dumps(policy)],
                            stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "shifting"
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
    restarted = LocalRuntime(Workspace.resolve(home))
    assert restore_endpoints(restarted) == []  # both generations serve: nothing to redeploy
    doc, _ = _settle(client("sagemaker", home=home), "ep-kill")
    assert doc["EndpointConfigName"] == "cfg-green" and "FailureReason" not in doc
    rollout = client_rollout(home, "ep-kill")
    assert rollout.state == "finished" and [e["step"] for e in rollout.log] == [0, 1, 1]
    assert [s.generation for s in RouteTable(Workspace(home).db_path).servers("ep-kill")] == [
        rollout.new_generation]

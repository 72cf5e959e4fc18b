"""A real promotion run: staging deployed and smoke-tested, prod after a manual approval.

Local backend, real endpoint servers, the generic state machine: the run waits at the prod
approval until `approve` answers its task token, records who approved and why, and both
endpoints end up serving this run's model on this run's endpoint configs.
"""

from __future__ import annotations

import contextlib
import textwrap
import time

import pytest
from botocore.exceptions import ClientError

from sagestep.backends.base import find_task_token
from sagestep.backends.local import LocalBackend
from tests.serving.helpers import ROLE, XGB_IMAGE, breast_cancer, tarball, xgboost_model_bytes

pytestmark = pytest.mark.slow
CONFIG = """
name: promo
defaults: {role_arn: "%s"}
stages:
  create_model:
    image: "%s"
    model_data: s3://models/promo/model.tar.gz
promotion:
  targets:
    - name: staging
      endpoint_name: promo-staging
      wait_seconds: 1
      smoke_test: {payloads: ["%s"], max_latency_ms: 5000}
    - name: prod
      endpoint_name: promo-prod
      wait_seconds: 1
      approval: {mode: manual, message: "staging passed: promote?"}
      smoke_test: {payloads: ["%s"]}
"""


@pytest.fixture
def backend(tmp_path):
    made = LocalBackend(tmp_path / "ws")
    yield made
    for endpoint in ("promo-staging", "promo-prod"):
        with contextlib.suppress(ClientError):  # a failed run may not have created it
            made.delete_endpoint(endpoint)
    made.runtime.engine.close()


def _wait_for(predicate, timeout=120.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError("timed out")


def test_staging_smoke_approval_then_prod(backend, tmp_path, capsys):
    s3 = backend.runtime.client("s3")
    s3.create_bucket(Bucket="models")
    s3.put_object(Bucket="models", Key="promo/model.tar.gz",
                  Body=tarball({"xgboost-model": xgboost_model_bytes(3)}))
    x, _ = breast_cancer()
    row = ",".join(f"{v:.6g}" for v in x[0])
    path = tmp_path / "promo.yaml"
    path.write_text(textwrap.dedent(CONFIG % (ROLE, XGB_IMAGE, row, row)))
    backend.register(path)
    (run,) = backend.send_event({"pipeline": "promo"})
    engine = backend.runtime.engine
    engine.worker.start()

    def waiting() -> bool:
        info = backend.describe_run(run.arn)
        assert info.status == "RUNNING", (info.error, info.cause, [
            (e.get("type"), e.get("name") or e.get("stateEnteredEventDetails", {}).get("name")) for e in backend.history(run.arn)][-8:])
        return find_task_token(backend.history(run.arn)) is not None

    _wait_for(waiting)
    sm = backend.runtime.client("sagemaker")
    staging = sm.describe_endpoint(EndpointName="promo-staging")
    assert staging["EndpointStatus"] == "InService"
    with pytest.raises(ClientError, match="Could not find endpoint"):  # waits for approval
        sm.describe_endpoint(EndpointName="promo-prod")
    backend.approve(run.name, "staging looked fine")
    engine.wait(run.arn, timeout=180)
    info = backend.describe_run(run.arn)
    assert info.status == "SUCCEEDED", (info.error, info.cause)
    output = info.output
    approval = output["results"]["target_2_approval"]
    assert approval["approved"] is True and approval["comment"] == "staging looked fine"
    assert approval["by"]
    smoke = output["results"]["target_1_smoke"]["report"]
    assert smoke["invocations"] == 1 and smoke["failed"] == 0
    targets = {t["name"]: t for t in info.input["promotion"]["targets"]}
    for name, endpoint in (("staging", "promo-staging"), ("prod", "promo-prod")):
        described = sm.describe_endpoint(EndpointName=endpoint)
        assert described["EndpointStatus"] == "InService"
        assert described["EndpointConfigName"] == targets[name]["names"]["endpoint_config"]

    from sagestep.cli.main import main

    with contextlib.suppress(SystemExit):
        main(["endpoints", "describe", "promo-prod", "--home", str(tmp_path / "ws")])
    shown = capsys.readouterr().out
    assert "promo-prod  InService  config " + targets["prod"]["names"]["endpoint_config"] in shown
    assert "AllTraffic" in shown and "(100%)" in shown

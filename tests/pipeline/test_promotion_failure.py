"""How a promotion run ends when an endpoint update rolls back or breaks: the compiled
machine on the local engine with a fake SageMaker whose updates roll back, as a user sees
the run (DescribeExecution's status, error and cause)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sagestep.backends.progress import stages
from sagestep.engine import callbacks
from sagestep.pipeline.loader import load_config
from tests.pipeline.conftest import write
from tests.pipeline.test_generic_run import FakeS3, FakeSageMaker, Harness

CONFIG = """
name: promo
defaults: {bucket: b, role_arn: "arn:aws:iam::123456789012:role/sm"}
stages:
  create_model:
    image: 683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1
    model_data: s3://b/model.tar.gz
promotion:
  targets:
    - {name: staging, endpoint_name: promo-staging, wait_seconds: 1}
    - name: prod
      endpoint_name: promo-prod
      wait_seconds: 1
      approval: {mode: manual}
      deployment: {strategy: CANARY, canary_percent: 20, wait_seconds: 60,
                   max_execution_seconds: 600}
"""
REASON = ("alarm promo-prod-5xx-errors: error rate 25.0% of 8 requests on the new fleet is "
          "over 5.0%")


class RollingBackSageMaker(FakeSageMaker):
    """Endpoints exist; the first update of ``endpoint`` goes Updating -> RollingBack ->
    ``end`` (on the old config, with a FailureReason); later updates go through."""

    def __init__(self, endpoint: str, end: str) -> None:
        super().__init__()
        self.endpoint, self.end = endpoint, end
        self.endpoints = {"promo-staging": "InService", "promo-prod": "InService"}
        self.configs = {"promo-staging": "old-staging", "promo-prod": "old-prod"}
        self.script: list[str] = []
        self.rolled_back = False  # only the first update of ``endpoint`` rolls back

    def update_endpoint(self, **p: Any) -> Any:
        out = super().update_endpoint(**p)
        if p["EndpointName"] == self.endpoint and not self.rolled_back:
            self.script, self.rolled_back = ["Updating", "RollingBack", self.end], True
        else:
            self.script = []  # the next update goes through
        return out

    def describe_endpoint(self, EndpointName: str) -> Any:  # noqa: N803
        if EndpointName != self.endpoint or not self.script:
            return super().describe_endpoint(EndpointName)
        status = self.script.pop(0) if len(self.script) > 1 else self.script[0]
        doc = {"EndpointName": EndpointName, "EndpointStatus": status,
               "EndpointConfigName": self.configs[EndpointName]}
        if status in ("InService", "UpdateRollbackFailed"):
            doc.update({"EndpointConfigName": "old-prod", "FailureReason": REASON})
        return doc


class Run(Harness):
    def history(self, arn: str) -> list[dict[str, Any]]:
        return [e.to_aws() for e in self.svc.history(arn, 0, 10_000, False)]


    def approve(self, arn: str) -> dict[str, Any]:
        """Answer the waiting approval (asserting there is one) and run on."""
        assert self.run(arn)["status"] == "RUNNING"
        token = self.svc.journal.one(
            "SELECT token FROM sfn_task_tokens WHERE status = 'WAITING'")[0]
        callbacks.send_success(self.svc.journal, token, json.dumps({"approved": True}),
                               self.clock.now())
        return self.run(arn)  # type: ignore[no-any-return]


def _run(tmp_path: Path, end: str) -> tuple[Run, dict[str, Any]]:
    item = load_config(write(tmp_path, CONFIG)).item
    h = Run(tmp_path, RollingBackSageMaker("promo-prod", end), FakeS3({}))
    return h, h.approve(h.start(item))


def test_a_rolled_back_update_fails_the_run_naming_the_alarm(tmp_path: Path) -> None:
    h, row = _run(tmp_path, "InService")
    assert row["status"] == "FAILED"
    assert row["error"] == "Sagestep.RolledBack"
    # The run fails in the helper's fail Task (so that redrive can resume): the cause is the
    # Lambda's error document, as DescribeExecution shows it on AWS.
    assert json.loads(row["cause"])["errorMessage"] == (
        f"endpoint promo-prod rolled back to old-prod: {REASON}")
    # `sagestep status` blames the deploy stage (promotion targets are deploys), not notify
    views = {v.stage: v for v in stages(h.history(row["arn"]), "FAILED")}
    assert views["deploy"].status == "FAILED", views
    assert "rolled back to old-prod: alarm promo-prod-5xx-errors" in views["deploy"].detail
    assert views["notify"].status != "FAILED"
    update = [p for k, p in h.sm.calls if k == "UpdateEndpoint"][-1]
    assert update["DeploymentConfig"]["AutoRollbackConfiguration"]["Alarms"] == [
        {"AlarmName": "promo-prod-5xx-errors"}]


def test_a_failed_rollback_fails_the_run_with_the_status(tmp_path: Path) -> None:
    h, row = _run(tmp_path, "UpdateRollbackFailed")
    assert row["status"] == "FAILED"
    assert row["error"] == "Sagestep.EndpointFailed"
    assert json.loads(row["cause"])["errorMessage"] == "endpoint promo-prod is UpdateRollbackFailed"
    views = {v.stage: v for v in stages(h.history(row["arn"]), "FAILED")}
    assert views["deploy"].status == "FAILED" and "UpdateRollbackFailed" in views["deploy"].detail


def test_redrive_resumes_at_the_target_that_failed(tmp_path: Path) -> None:
    """Staging is done and prod's approval was given: a redrive (after the fix, say) makes
    no second staging config nor update, asks no second approval, and updates prod again."""
    h, row = _run(tmp_path, "InService")
    assert row["status"] == "FAILED"
    calls = len(h.sm.calls)
    h.svc.redrive_execution(row["arn"])
    assert h.run(row["arn"])["status"] == "SUCCEEDED"  # no approval waits this time
    again = h.sm.calls[calls:]
    assert [(k, p["EndpointName"]) for k, p in again if k == "UpdateEndpoint"] == [
        ("UpdateEndpoint", "promo-prod")]
    assert not [k for k, _ in again if k == "EndpointConfig"]  # prod's exists: not made again
    output = json.loads(h.svc.journal.one("SELECT output FROM sfn_executions WHERE arn = ?",
                                          (row["arn"],))[0])
    done = {k: v for k, v in output["results"].items() if k.endswith("_done")}
    assert [v["endpoint"] for _, v in sorted(done.items())] == ["promo-staging", "promo-prod"]


def test_six_targets_are_refused_with_the_limit(tmp_path: Path) -> None:
    from sagestep.errors import SagestepError

    targets = "".join(f"\n    - {{name: t{i}, endpoint_name: ep-{i}}}" for i in range(6))
    config = CONFIG.split("  targets:")[0] + "  targets:" + targets + "\n"
    try:
        load_config(write(tmp_path, config))
    except SagestepError as exc:
        assert "6 targets, but a promotion holds at most 5" in str(exc)
    else:
        raise AssertionError("six targets were accepted")

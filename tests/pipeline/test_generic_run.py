"""The compiled generic state machine, run on the local engine with a fake SageMaker.

Drives the engine in the foreground with a clock that skips to the next timer, so retries
(back-off) and endpoint polling cost no wall time.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from sagestep.clock import FakeClock
from sagestep.engine import callbacks
from sagestep.engine.lambda_tasks import lambda_integrations
from sagestep.engine.lambdas import LambdaRegistry
from sagestep.engine.service import EngineService
from sagestep.integrations.services import (
    outbox_integrations,
    s3_integrations,
    sagemaker_integrations,
)
from sagestep.pipeline.compile import CompileOptions, compile_json
from sagestep.pipeline.loader import load_config
from sagestep.triggers.causes import run_cause
from sagestep.triggers.render import render_run
from sagestep.workspace import Workspace

FIXTURES = Path(__file__).parent / "fixtures"
ROLE = "arn:aws:iam::123456789012:role/sfn"


class SkipClock(FakeClock):
    def skip_to(self, when: float) -> None:
        self.advance(max(0.0, when - self.now()))


def _error(code: str, message: str) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": message}}, "Op")  # type: ignore[arg-type]


class FakeSageMaker:
    """Jobs complete at once; a job named in ``fail_jobs`` fails; endpoints exist once created."""

    def __init__(self, fail_jobs: set[str] | None = None, throttle: int = 0) -> None:
        self.jobs: dict[str, dict[str, Any]] = {}
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.endpoints: dict[str, str] = {}
        self.configs: dict[str, str] = {}
        self.other_configs: list[str] = []  # endpoint configs of other runs
        self.groups: set[str] = set()
        self.fail_jobs = fail_jobs or set()
        self.throttle = throttle
        self.refuse_endpoints = 0

    def _create(self, kind: str, name: str, params: dict[str, Any]) -> dict[str, Any]:
        self.calls.append((kind, params))
        if self.throttle:
            self.throttle -= 1
            raise _error("ThrottlingException", "Rate exceeded")
        status = "Failed" if name in self.fail_jobs else "Completed"
        record = {**params, f"{kind}Status": status}
        if status == "Failed":
            record["FailureReason"] = "AlgorithmError: boom"
        if kind == "TrainingJob":
            out = params["OutputDataConfig"]["S3OutputPath"].rstrip("/")
            record["ModelArtifacts"] = {"S3ModelArtifacts": f"{out}/{name}/output/model.tar.gz"}
            record["FinalMetricDataList"] = [{"MetricName": "validation:error", "Value": 0.05}]
        self.jobs[name] = record
        return {f"{kind}Arn": f"arn:aws:sagemaker:us-east-1:1:{kind.lower()}/{name}"}

    def _describe(self, name: str) -> dict[str, Any]:
        if name not in self.jobs:
            raise _error("ValidationException", f"Requested resource {name} not found")
        return self.jobs[name]

    def create_processing_job(self, **p: Any) -> Any:
        return self._create("ProcessingJob", p["ProcessingJobName"], p)

    def describe_processing_job(self, ProcessingJobName: str) -> Any:  # noqa: N803
        return self._describe(ProcessingJobName)

    def create_training_job(self, **p: Any) -> Any:
        return self._create("TrainingJob", p["TrainingJobName"], p)

    def describe_training_job(self, TrainingJobName: str) -> Any:  # noqa: N803
        return self._describe(TrainingJobName)

    def create_transform_job(self, **p: Any) -> Any:
        return self._create("TransformJob", p["TransformJobName"], p)

    def describe_transform_job(self, TransformJobName: str) -> Any:  # noqa: N803
        return self._describe(TransformJobName)

    def create_model(self, **p: Any) -> Any:
        self.calls.append(("Model", p))
        return {"ModelArn": "arn:model"}

    def create_endpoint_config(self, **p: Any) -> Any:
        made = [c["EndpointConfigName"] for k, c in self.calls if k == "EndpointConfig"]
        if p["EndpointConfigName"] in made:  # as SageMaker: names are unique
            raise _error("ValidationException", "Cannot create already existing endpoint "
                         f"configuration {p['EndpointConfigName']!r}")
        self.calls.append(("EndpointConfig", p))
        return {"EndpointConfigArn": "arn:epc"}

    def create_endpoint(self, **p: Any) -> Any:
        if self.refuse_endpoints:
            self.refuse_endpoints -= 1
            raise _error("ValidationException", "Account quota for endpoints reached")
        self.calls.append(("CreateEndpoint", p))
        self.endpoints[p["EndpointName"]] = "Creating"
        self.configs[p["EndpointName"]] = p["EndpointConfigName"]
        return {"EndpointArn": "arn:ep"}

    def update_endpoint(self, **p: Any) -> Any:
        self.calls.append(("UpdateEndpoint", p))
        self.endpoints[p["EndpointName"]] = "Updating"
        self.configs[p["EndpointName"]] = p["EndpointConfigName"]
        return {"EndpointArn": "arn:ep"}

    def describe_endpoint(self, EndpointName: str) -> Any:  # noqa: N803
        if EndpointName not in self.endpoints:
            raise _error("ValidationException", f"Could not find endpoint {EndpointName}")
        status = self.endpoints[EndpointName]
        self.endpoints[EndpointName] = "InService"  # ready at the next poll
        return {"EndpointName": EndpointName, "EndpointStatus": status,
                "EndpointConfigName": self.configs.get(EndpointName, "seeded-config")}

    def list_endpoint_configs(self, **p: Any) -> Any:
        self.calls.append(("ListEndpointConfigs", p))
        names = [c["EndpointConfigName"] for k, c in self.calls if k == "EndpointConfig"]
        names += self.other_configs
        return {"EndpointConfigs": [{"EndpointConfigName": n} for n in names
                                    if p.get("NameContains", "") in n]}

    def describe_model_package_group(self, ModelPackageGroupName: str) -> Any:  # noqa: N803
        if ModelPackageGroupName not in self.groups:
            raise _error("ValidationException", "ModelPackageGroup does not exist")
        return {"ModelPackageGroupArn": f"arn:group/{ModelPackageGroupName}"}

    def create_model_package_group(self, **p: Any) -> Any:
        self.groups.add(p["ModelPackageGroupName"])
        return {"ModelPackageGroupArn": "arn:group"}

    def create_model_package(self, **p: Any) -> Any:
        self.calls.append(("ModelPackage", p))
        return {"ModelPackageArn": "arn:package/1"}


class FakeS3:
    def __init__(self, objects: dict[tuple[str, str], str]) -> None:
        self.objects = objects

    def get_object(self, Bucket: str, Key: str) -> Any:  # noqa: N803
        if (Bucket, Key) not in self.objects:
            raise _error("NoSuchKey", f"{Key} not found")
        # boto3 returns a stream (StreamingBody), never a str
        return {"Body": io.BytesIO(self.objects[(Bucket, Key)].encode())}


class Harness:
    def __init__(self, tmp_path: Path, sm: FakeSageMaker, s3: FakeS3) -> None:
        self.ws = Workspace.resolve(tmp_path / "ws")
        self.sm, self.outbox = sm, []  # type: ignore[var-annotated]
        lambdas = LambdaRegistry(self.ws)
        lambdas.register("sagestep-helper", "sagestep.pipeline.helper:handler")
        table: dict[str, Any] = {}
        table.update(lambda_integrations(lambdas.invoke))
        table.update(sagemaker_integrations(lambda: sm, poll_seconds=5))
        table.update(s3_integrations(lambda: s3))
        table.update(outbox_integrations(lambda r, e, body: self.outbox.append((r, body))))
        self.clock = SkipClock()
        self.svc = EngineService(self.ws, table, self.clock, background=False)
        self.machine, _ = self.svc.machines.create(
            "sagestep", compile_json(CompileOptions(job_failure_retries=1)), ROLE, "STANDARD")

    def start(self, item: dict[str, Any], key: str = "input/data.csv") -> str:
        run = render_run({**item, "version": 7}, _trigger(key), self.clock.now())
        started = self.svc.start_execution(self.machine, run.execution_name, json.dumps(run.input))
        return str(started["executionArn"])

    def run(self, arn: str, limit: int = 500) -> Any:
        for _ in range(limit):
            row = self.svc.journal.one("SELECT status FROM sfn_executions WHERE arn = ?", (arn,))
            if row["status"] != "RUNNING":
                break
            if not self.svc.worker.run_once():
                due = self.svc.journal.next_due()
                if due is None or due - self.clock.now() > 3600:
                    break  # waiting for a callback (or only its timeout is left)
                self.clock.skip_to(due)
        return self.svc.journal.one("SELECT * FROM sfn_executions WHERE arn = ?", (arn,))


def report(mse: float) -> str:
    return json.dumps({"regression_metrics": {"mse": {"value": mse}}})


def _item(tmp_path: Path, **stage_patch: Any) -> dict[str, Any]:
    item = load_config(FIXTURES / "diabetes.yaml").item
    for stage, patch in stage_patch.items():
        item["stages"][stage].update(patch)
    return item


def _report_key(item: dict[str, Any], run_id: str) -> tuple[str, str]:
    rep = item["stages"]["gate"]["report"]
    return rep["bucket"], rep["key"].replace("{{ run.id }}", run_id)


def _harness(tmp_path: Path, item: dict[str, Any], mse: float, **sm: Any) -> tuple[Harness, str]:
    run_id = render_run({**item, "version": 7}, _trigger(), 0.0).input["run"]["id"]
    s3 = FakeS3({_report_key(item, run_id): report(mse)})
    return Harness(tmp_path, FakeSageMaker(**sm), s3), run_id


def test_full_pipeline_runs_every_stage(tmp_path: Path) -> None:
    item = _item(tmp_path)
    h, run_id = _harness(tmp_path, item, mse=3000.0)
    row = h.run(h.start(item))
    assert row["status"] == "SUCCEEDED", (row["error"], row["cause"])
    kinds = [k for k, _ in h.sm.calls]
    assert kinds == ["ProcessingJob", "TrainingJob", "ProcessingJob", "ModelPackage", "Model",
                     "EndpointConfig", "CreateEndpoint", "TransformJob"]
    training = dict(h.sm.calls)["TrainingJob"]
    assert training["TrainingJobName"].endswith("-0")
    assert run_id in training["InputDataConfig"][0]["DataSource"]["S3DataSource"]["S3Uri"]
    model = dict(h.sm.calls)["Model"]
    artifact = h.sm.jobs[training["TrainingJobName"]]["ModelArtifacts"]["S3ModelArtifacts"]
    assert model["PrimaryContainer"]["ModelDataUrl"] == artifact
    package = dict(h.sm.calls)["ModelPackage"]
    assert package["CustomerMetadataProperties"]["sagestep:config-version"] == "7"
    output = json.loads(row["output"])
    assert output["results"]["gate"]["passed"] is True
    assert [r for r, _ in h.outbox] == ["sns:publish"]
    assert "succeeded" in h.outbox[0][1]["Message"]


def test_second_run_updates_the_endpoint(tmp_path: Path) -> None:
    item = _item(tmp_path)
    h, _ = _harness(tmp_path, item, mse=3000.0)
    h.sm.endpoints["diabetes"] = "InService"
    assert h.run(h.start(item))["status"] == "SUCCEEDED"
    kinds = [k for k, _ in h.sm.calls]
    assert "UpdateEndpoint" in kinds and "CreateEndpoint" not in kinds


def test_gate_failure_stops_before_deploy_and_notifies(tmp_path: Path) -> None:
    item = _item(tmp_path)
    h, _ = _harness(tmp_path, item, mse=9999.0)
    row = h.run(h.start(item))
    assert row["status"] == "FAILED"
    assert row["error"] == "Sagestep.GateFailed"
    assert "regression_metrics.mse.value = 9999" in row["cause"]
    assert "Model" not in [k for k, _ in h.sm.calls]
    assert "stage gate failed" in h.outbox[-1][1]["Message"]


def test_failed_job_is_retried_under_a_fresh_name(tmp_path: Path) -> None:
    item = _item(tmp_path)
    h, run_id = _harness(tmp_path, item, mse=1.0)
    names = render_run({**item, "version": 7}, _trigger(), 0.0).input["names"]
    h.sm.fail_jobs = {names["training"] + "-0"}
    row = h.run(h.start(item))
    assert row["status"] == "SUCCEEDED", row["cause"]
    trained = [p["TrainingJobName"] for k, p in h.sm.calls if k == "TrainingJob"]
    assert trained == [names["training"] + "-0", names["training"] + "-1"]


def test_throttled_create_is_retried(tmp_path: Path) -> None:
    item = _item(tmp_path)
    h, _ = _harness(tmp_path, item, mse=1.0, throttle=2)
    assert h.run(h.start(item))["status"] == "SUCCEEDED"


def test_job_failure_fails_the_run_with_the_cause(tmp_path: Path) -> None:
    item = _item(tmp_path)
    h, _ = _harness(tmp_path, item, mse=1.0)
    names = render_run({**item, "version": 7}, _trigger(), 0.0).input["names"]
    h.sm.fail_jobs = {names["preprocessing"] + "-0", names["preprocessing"] + "-1"}
    row = h.run(h.start(item))
    assert row["status"] == "FAILED"
    assert row["error"] == "States.TaskFailed"
    assert "AlgorithmError: boom" in row["cause"]
    message = h.outbox[-1][1]["Message"]
    assert "stage preprocessing failed" in message


def test_redrive_resumes_the_failed_stage_with_fresh_job_names(tmp_path: Path) -> None:
    item = _item(tmp_path)
    h, _ = _harness(tmp_path, item, mse=1.0)
    names = render_run({**item, "version": 7}, _trigger(), 0.0).input["names"]
    train = names["training"]
    h.sm.fail_jobs = {train + "-0", train + "-1", train + "-r1-0", train + "-r1-1"}
    arn = h.start(item)
    row = h.run(arn)
    assert (row["status"], row["error"]) == ("FAILED", "States.TaskFailed")
    assert "AlgorithmError: boom" in run_cause(row["error"], row["cause"])
    # The first redrive fails in training again: the run fails (no loop), notified again.
    h.svc.redrive_execution(arn)
    row = h.run(arn)
    assert (row["status"], row["error"]) == ("FAILED", "States.TaskFailed")
    assert sum("stage training failed" in body["Message"] for _, body in h.outbox) == 2
    h.sm.fail_jobs = set()
    h.svc.redrive_execution(arn)
    row = h.run(arn)
    assert row["status"] == "SUCCEEDED", (row["error"], row["cause"])
    jobs = [(k, p) for k, p in h.sm.calls if k in ("ProcessingJob", "TrainingJob")]
    trained = [p["TrainingJobName"] for k, p in jobs if k == "TrainingJob"]
    assert trained == [train + s for s in ("-0", "-1", "-r1-0", "-r1-1", "-r2-0")]
    # Preprocessing ran once: the redrives kept its result.
    processed = [p["ProcessingJobName"] for k, p in jobs if k == "ProcessingJob"]
    assert processed.count(names["preprocessing"] + "-0") == 1
    assert not any(n.startswith(names["preprocessing"] + "-r") for n in processed)


def test_redrive_of_a_failed_deploy_keeps_its_endpoint_config(tmp_path: Path) -> None:
    item = _item(tmp_path)
    h, _ = _harness(tmp_path, item, mse=1.0)
    h.sm.refuse_endpoints = 1
    arn = h.start(item)
    row = h.run(arn)
    assert row["status"] == "FAILED"
    assert "quota for endpoints" in run_cause(row["error"], row["cause"])
    h.svc.redrive_execution(arn)
    row = h.run(arn)
    assert row["status"] == "SUCCEEDED", (row["error"], row["cause"])
    kinds = [k for k, _ in h.sm.calls]
    assert (kinds.count("EndpointConfig"), kinds.count("CreateEndpoint")) == (1, 1)
    assert kinds.count("TrainingJob") == 1 and kinds.count("Model") == 1


def test_manual_approval_waits_for_the_token(tmp_path: Path) -> None:
    item = _item(tmp_path, approval={"mode": "manual"})
    h, _ = _harness(tmp_path, item, mse=1.0)
    arn = h.start(item)
    assert h.run(arn)["status"] == "RUNNING"
    assert "ModelPackage" not in [k for k, _ in h.sm.calls]
    assert any("waits for approval" in body["Message"] for _, body in h.outbox)
    token = h.svc.journal.one("SELECT token FROM sfn_task_tokens WHERE status = 'WAITING'")[0]
    callbacks.send_success(h.svc.journal, token, json.dumps({"approved": True}), h.clock.now())
    assert h.run(arn)["status"] == "SUCCEEDED"


@pytest.mark.parametrize("stage", ["training", "deploy"])
def test_stage_switched_off_is_skipped(tmp_path: Path, stage: str) -> None:
    item = _item(tmp_path)
    item["stages"]["gate"]["source"] = "evaluation"
    if stage == "training":
        item["stages"]["create_model"]["model_data"] = "s3://b/fixed/model.tar.gz"
    item["stages"][stage]["run"] = False
    h, _ = _harness(tmp_path, item, mse=1.0)
    assert h.run(h.start(item))["status"] == "SUCCEEDED"
    kinds = [k for k, _ in h.sm.calls]
    assert ("TrainingJob" in kinds) == (stage != "training")
    assert ("EndpointConfig" in kinds) == (stage != "deploy")


def _trigger(key: str = "input/data.csv") -> Any:
    from sagestep.triggers.events import Trigger

    return Trigger(type="manual", identity="event-1", bucket="demo-bucket", key=key,
                   time="2026-01-02T03:04:05Z")


@pytest.mark.parametrize("fixture", ["seed000_item.json", "seed002_input.yaml"])
def test_seed_configs_run_as_they_are(tmp_path: Path, fixture: str) -> None:
    item = load_config(FIXTURES / fixture).item
    h = Harness(tmp_path, FakeSageMaker(), FakeS3({}))
    row = h.run(h.start(item))
    assert row["status"] == "SUCCEEDED", (row["error"], row["cause"])
    kinds = [k for k, _ in h.sm.calls]
    runs = {s: b["run"] for s, b in item["stages"].items()}
    assert ("TrainingJob" in kinds) == runs["training"]
    assert ("TransformJob" in kinds) == runs["batch_transform"]
    assert ("CreateEndpoint" in kinds) == runs["deploy"]
    if runs["create_model"]:
        training = dict(h.sm.calls)["TrainingJob"]
        artifact = h.sm.jobs[training["TrainingJobName"]]["ModelArtifacts"]["S3ModelArtifacts"]
        assert dict(h.sm.calls)["Model"]["PrimaryContainer"]["ModelDataUrl"] == artifact


def test_rejected_approval_fails_the_run(tmp_path: Path) -> None:
    item = _item(tmp_path, approval={"mode": "manual"})
    h, _ = _harness(tmp_path, item, mse=1.0)
    arn = h.start(item)
    h.run(arn)
    token = h.svc.journal.one("SELECT token FROM sfn_task_tokens WHERE status = 'WAITING'")[0]
    callbacks.send_failure(h.svc.journal, token, "Sagestep.Rejected", "metrics look off",
                           h.clock.now())
    row = h.run(arn)
    # The run fails in the helper's "fail" Task: Lambda wraps the cause (run_cause unwraps).
    assert (row["status"], row["error"], run_cause(row["error"], row["cause"])) == (
        "FAILED", "Sagestep.Rejected", "metrics look off")
    assert "ModelPackage" not in [k for k, _ in h.sm.calls]


def test_gate_on_training_metric_and_stop_on_fail(tmp_path: Path) -> None:
    item = _item(tmp_path, gate={"source": "training", "metric": "validation:error",
                                 "threshold": 0.01, "comparison": "less_than_or_equal",
                                 "on_fail": "stop"})
    h, _ = _harness(tmp_path, item, mse=1.0)
    row = h.run(h.start(item))
    assert row["status"] == "SUCCEEDED"
    out = json.loads(row["output"])
    assert out["results"]["gate"]["passed"] is False
    assert "Model" not in [k for k, _ in h.sm.calls]


def test_stage_retry_policy_runs_a_failed_job_again_under_a_new_name(tmp_path: Path) -> None:
    item = _item(tmp_path)
    item["stages"]["preprocessing"]["retry"] = {"max_attempts": 1, "interval_seconds": 60,
                                               "backoff_rate": 2.0}
    h, _ = _harness(tmp_path, item, mse=1.0)
    names = render_run({**item, "version": 7}, _trigger(), 0.0).input["names"]
    base = names["preprocessing"]
    # attempts -0 and -1 are this entry's native retries (job_failure_retries=1 in Harness)
    h.sm.fail_jobs = {f"{base}-0", f"{base}-1"}
    row = h.run(h.start(item))
    assert row["status"] == "SUCCEEDED", (row["error"], row["cause"])
    tried = [p["ProcessingJobName"] for k, p in h.sm.calls if k == "ProcessingJob"][:3]
    assert tried == [f"{base}-0", f"{base}-1", f"{base}-6"]  # 1 loop x 6 native attempts + 0
    out = json.loads(row["output"])
    assert out["work"]["retries"]["preprocessing"] == {"retry": True, "count": 1, "wait": 60}


def test_unanswered_approval_times_out(tmp_path: Path) -> None:
    item = _item(tmp_path, approval={"mode": "manual", "timeout_seconds": 7200})
    h, _ = _harness(tmp_path, item, mse=1.0)
    arn = h.start(item)
    assert h.run(arn)["status"] == "RUNNING"
    h.clock.advance(7201)
    row = h.run(arn)
    assert (row["status"], row["error"]) == ("FAILED", "States.Timeout")


def _later_config(names: dict[str, str]) -> str:
    """An endpoint config name of the same pipeline from a run triggered later."""
    return names["endpoint_config_family"] + "99991231235959999-ffffffff"


def _states(h: Harness, arn: str) -> list[str]:
    return [str(e.details.get("name", "")) for e in h.svc.history(arn, 0, 10_000, False)
            if isinstance(e.details, dict)]


def test_a_deploy_waits_while_another_run_updates_the_endpoint(tmp_path: Path) -> None:
    item = _item(tmp_path)
    h, _ = _harness(tmp_path, item, mse=3000.0)
    h.sm.endpoints["diabetes"] = "Updating"  # another run's update; InService at the next look
    arn = h.start(item)
    row = h.run(arn)
    assert row["status"] == "SUCCEEDED", (row["error"], row["cause"])
    assert "Wait For Endpoint Turn" in _states(h, arn)
    assert [k for k, _ in h.sm.calls].count("UpdateEndpoint") == 1


def test_a_deploy_never_replaces_a_later_runs_model(tmp_path: Path) -> None:
    item = _item(tmp_path)
    h, _ = _harness(tmp_path, item, mse=3000.0)
    names = render_run({**item, "version": 7}, _trigger(), 0.0).input["names"]
    h.sm.endpoints["diabetes"] = "InService"
    h.sm.configs["diabetes"] = _later_config(names)
    row = h.run(h.start(item))
    assert row["status"] == "SUCCEEDED", (row["error"], row["cause"])
    assert "UpdateEndpoint" not in [k for k, _ in h.sm.calls]
    deploy = json.loads(row["output"])["results"]["deploy"]
    assert deploy["Skipped"] is True and "triggered after this one" in deploy["Reason"]


def test_latest_wins_skips_when_a_later_run_waits_to_deploy(tmp_path: Path) -> None:
    item = _item(tmp_path, deploy={"latest_wins": True})
    h, _ = _harness(tmp_path, item, mse=3000.0)
    names = render_run({**item, "version": 7}, _trigger(), 0.0).input["names"]
    h.sm.endpoints["diabetes"] = "InService"  # serves an older model
    h.sm.other_configs = [_later_config(names)]
    row = h.run(h.start(item))
    assert row["status"] == "SUCCEEDED", (row["error"], row["cause"])
    assert "UpdateEndpoint" not in [k for k, _ in h.sm.calls]
    listed = [p for k, p in h.sm.calls if k == "ListEndpointConfigs"]
    assert listed and listed[0]["NameContains"] == names["endpoint_config_family"]
    assert json.loads(row["output"])["results"]["deploy"]["Reason"].startswith(
        "skipped (latest_wins)")
    # Without latest_wins the same run applies its update (order is kept, nothing newer is live).
    item2 = _item(tmp_path)
    h2, _ = _harness(tmp_path / "2", item2, mse=3000.0)
    h2.sm.endpoints["diabetes"] = "InService"
    h2.sm.other_configs = [_later_config(names)]
    assert h2.run(h2.start(item2))["status"] == "SUCCEEDED"
    assert "UpdateEndpoint" in [k for k, _ in h2.sm.calls]

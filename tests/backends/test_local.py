"""LocalBackend over the real local engine and a real SQLite workspace.

A small state machine stands in for the compiled generic one (its states are named like the
generic machine's, "<stage>: ..."), so these tests exercise the backend, router, engine and
progress view without depending on SageMaker jobs.
"""

import json
from pathlib import Path

import pytest

from sagestep.backends.local import LocalBackend
from sagestep.errors import BackendError, RouterError
from sagestep.triggers.watcher import upload

DEFINITION = {
    "StartAt": "preprocessing: job",
    "States": {
        "preprocessing: job": {"Type": "Pass", "Result": {"ok": 1}, "ResultPath": "$.results.pre",
                               "Next": "training: run?"},
        "training: run?": {"Type": "Choice", "Choices": [
            {"Variable": "$.stages.training.run", "BooleanEquals": True, "Next": "training: job"}],
            "Default": "approval: wait?"},
        "training: job": {"Type": "Pass", "Parameters": {"TrainingJobName.$": "$.names.training"},
                          "ResultPath": "$.results.training", "Next": "approval: wait?"},
        "approval: wait?": {"Type": "Choice", "Choices": [
            {"Variable": "$.stages.approval.run", "BooleanEquals": True, "Next": "approval: ask"}],
            "Default": "Done"},
        "approval: ask": {
            "Type": "Task", "Resource": "arn:aws:states:::sns:publish.waitForTaskToken",
            "Parameters": {"TopicArn": "arn:aws:sns:us-east-1:123456789012:t",
                           "Message": {"action": "approval", "token.$": "$$.Task.Token"}},
            "ResultPath": "$.results.approval", "Next": "Done"},
        "Done": {"Type": "Succeed"},
    },
}


class Registry:
    def __init__(self, *items):
        self.items = {i["name"]: i for i in items}

    def get(self, name, version=None):
        return self.items.get(name)

    def list(self):
        return list(self.items.values())


def pipeline(name="churn", training=True, approval=False, **extra):
    return {"name": name, "version": 2,
            "triggers": {"s3": [{"bucket": "landing", "prefix": "in/"}]},
            "stages": {"training": {"run": training}, "approval": {"run": approval}}, **extra}


@pytest.fixture
def backend(tmp_path):
    made = []

    def make(*items):
        b = LocalBackend(tmp_path / "ws", registry=Registry(*items), definition=DEFINITION)
        made.append(b)
        return b

    yield make
    for b in made:
        if "runtime" in b.__dict__:
            b.runtime.engine.close()


def wait(b, arn):
    b.runtime.engine.wait(arn, timeout=20)
    return b.describe_run(arn)


def until_waiting(b, arn, timeout=10.0):
    """Poll until the run waits for its approval (a task token is out)."""
    import time

    deadline = time.monotonic() + timeout
    while not any(s.status == "WAITING_FOR_APPROVAL" for s in b.stages(arn)):
        assert time.monotonic() < deadline, "the run never reached its approval"
        time.sleep(0.05)


def test_start_run_follows_to_success_with_stage_progress(backend):
    b = backend(pipeline())
    ref = b.start_run("churn", dataset_date="2024-05-01", params={"x": 1})
    assert ref.name.startswith("churn-20240501-") and not ref.duplicate
    info = wait(b, ref.arn)
    assert info.status == "SUCCEEDED" and info.pipeline == "churn" and info.config_version == 2
    assert info.input["run"]["params"] == {"x": 1}
    stages = {s.stage: s for s in b.stages(ref.name)}  # names work as well as ARNs
    # approval's run flag is off: passing its Choice is not shown
    assert list(stages) == ["preprocessing", "training"]
    assert stages["preprocessing"].status == "SUCCEEDED"
    assert stages["training"].status == "SUCCEEDED"
    assert [r.name for r in b.list_runs("churn")] == [ref.name]
    assert b.list_runs("other") == []
    assert b.history(ref.arn)[0]["type"] == "ExecutionStarted"


def test_same_run_key_starts_one_execution(backend):
    b = backend(pipeline())
    first = b.start_run("churn", run_key="k")
    wait(b, first.arn)
    second = b.start_run("churn", run_key="k")
    assert second.duplicate and second.arn == first.arn
    assert len(b.list_runs()) == 1


def test_manual_approval_approve_and_reject(backend):
    b = backend(pipeline(approval=True))
    ref = b.start_run("churn")
    until_waiting(b, ref.arn)
    assert {s.stage: s.status for s in b.stages(ref.arn)}["approval"] == "WAITING_FOR_APPROVAL"
    b.approve(ref.name, comment="looks good")
    info = wait(b, ref.arn)
    assert info.status == "SUCCEEDED"
    assert info.output["results"]["approval"]["comment"] == "looks good"
    with pytest.raises(BackendError, match="was already answered: approved"):
        b.approve(ref.name)
    other = b.start_run("churn")
    until_waiting(b, other.arn)
    b.reject(other.arn, comment="metrics regressed")
    rejected = wait(b, other.arn)
    assert (rejected.status, rejected.error, rejected.cause) == (
        "FAILED", "Sagestep.Rejected", "metrics regressed")


def test_upload_routes_the_s3_event_with_bucket_and_key(backend, tmp_path):
    b = backend(pipeline())
    data = tmp_path / "day 1.csv"
    data.write_text("a,b\n1,2\n")
    (ref,) = upload(b, data, "s3://landing/in/day 1.csv")
    info = wait(b, ref.arn)
    assert info.input["run"]["trigger"]["uri"] == "s3://landing/in/day 1.csv"
    assert b.runtime.object_store.get_bytes("landing", "in/day 1.csv") == b"a,b\n1,2\n"
    assert upload(b, data, "s3://landing/other/x.csv") == []


def test_unknown_run_and_pipeline_are_clear_errors(backend):
    b = backend(pipeline())
    with pytest.raises(BackendError, match="no run 'nope'"):
        b.describe_run("nope")
    with pytest.raises(RouterError, match="no pipeline named 'ghost'"):
        b.start_run("ghost")


def test_definition_is_updated_when_it_changes(tmp_path):
    first = LocalBackend(tmp_path / "ws", registry=Registry(), definition=DEFINITION)
    arn = first.state_machine_arn
    changed = json.loads(json.dumps(DEFINITION))
    changed["States"]["Done"] = {"Type": "Pass", "End": True}
    second = LocalBackend(tmp_path / "ws", registry=Registry(), definition=changed)
    assert second.state_machine_arn == arn
    described = second.sfn.describe_state_machine(stateMachineArn=arn)
    assert json.loads(described["definition"])["States"]["Done"]["Type"] == "Pass"


def test_manual_approval_with_the_compiled_generic_machine(tmp_path):
    config = tmp_path / "approve.yaml"
    config.write_text("name: approve-only\nstages:\n  approval:\n    mode: manual\n")
    b = LocalBackend(tmp_path / "ws")
    try:
        assert b.register(config).version == 1
        ref = b.start_run("approve-only")
        until_waiting(b, ref.arn)
        assert [(s.stage, s.status) for s in b.stages(ref.arn)] == [("approval", "WAITING_FOR_APPROVAL")]
        b.approve(ref.name, "fine")
        assert wait(b, ref.arn).status == "SUCCEEDED"
        other = b.start_run("approve-only")
        until_waiting(b, other.arn)
        b.reject(other.name, "not this one")
        rejected = wait(b, other.arn)
        assert (rejected.status, rejected.error, rejected.cause) == (
            "FAILED", "Sagestep.Rejected", "not this one")
        assert [(s.stage, s.status) for s in b.stages(other.arn)] == [("approval", "FAILED")]
    finally:
        b.runtime.engine.close()


def test_local_runs_poll_endpoints_every_second():
    from sagestep.backends.local import local_adjustments

    payload = {"stages": {"deploy": {"run": True, "wait_seconds": 30}}}
    local_adjustments(payload)
    assert payload["stages"]["deploy"]["wait_seconds"] == 1
    off = {"stages": {"deploy": {"run": False}}}
    local_adjustments(off)
    assert off == {"stages": {"deploy": {"run": False}}}


def test_seed000_item_registered_and_started_by_its_own_event(tmp_path):
    """Seed 000's DynamoDB item as it is, started by its routing Lambda's body (via SQS shape)."""
    fixture = Path(__file__).resolve().parents[1] / "pipeline" / "fixtures" / "seed000_item.json"
    b = LocalBackend(tmp_path / "ws")
    try:
        done = b.register(fixture)
        event = {"Records": [{"body": json.dumps({"consumption_pipeline_name": done.name,
                                                  "dataset_date": "2024-03-09T14:00:00Z",
                                                  "event_source": "event-bridge"}),
                              "eventSource": "event-bridge"}]}
        (ref,) = b.send_event(event)
        assert ref.pipeline == done.name and ref.name.startswith(f"{done.name}-20240309-"[:60])
        info = b.describe_run(ref.arn)
        assert info.input["run"]["dataset_date"] == "2024-03-09"
        assert info.input["config_version"] == 1
        b.sfn.stop_execution(executionArn=ref.arn)  # its jobs need seed 000's AWS images and data
    finally:
        b.runtime.engine.close()

"""The notification Lambda: execution status changes -> SNS, with custom messages."""

from __future__ import annotations

import json
from typing import Any

import pytest

from sagestep.triggers import notify

MACHINE = "arn:aws:states:eu-west-1:123456789012:stateMachine:sagestep-dev-pipeline"
EXECUTION = "arn:aws:states:eu-west-1:123456789012:execution:sagestep-dev-pipeline:churn-1"
SEED001_CONFIG = [  # seed 001's custom_notification_config shape
    {
        "step_name": "training",
        "step_status": "Failed",
        "step_custom_message": "Training failed: check the data drift dashboard.",
    },
    {
        "step_name": "execution",
        "step_status": "TIMED_OUT",
        "step_custom_message": "Run took too long.",
    },
]


def _status_event(status: str, notify_run: bool = False, **detail: Any) -> dict[str, Any]:
    run_input = {"pipeline": "churn", "stages": {"notify": {"run": notify_run}}}
    return {
        "version": "0",
        "id": "e1",
        "detail-type": "Step Functions Execution Status Change",
        "source": "aws.states",
        "account": "123456789012",
        "region": "eu-west-1",
        "resources": [EXECUTION],
        "detail": {
            "executionArn": EXECUTION,
            "stateMachineArn": MACHINE,
            "name": "churn-1",
            "status": status,
            "input": json.dumps(run_input),
            **detail,
        },
    }


def _entered(*names: str) -> list[dict[str, Any]]:
    return [
        {
            "type": "TaskStateEntered" if not n.endswith("?") else "ChoiceStateEntered",
            "stateEnteredEventDetails": {"name": n},
        }
        for n in names
    ]


class FakeSns:
    def __init__(self) -> None:
        self.published: list[dict[str, Any]] = []

    def publish(self, **kwargs: Any) -> dict[str, str]:
        self.published.append(kwargs)
        return {"MessageId": f"m{len(self.published)}"}


class FakeSfn:
    def __init__(self, events: list[dict[str, Any]]) -> None:
        self.events = events
        self.calls: list[dict[str, Any]] = []

    def get_execution_history(self, **kwargs: Any) -> dict[str, Any]:
        self.calls.append(kwargs)
        return {"events": self.events}


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SAGESTEP_TOPIC_ARN", "arn:aws:sns:eu-west-1:123456789012:t")
    monkeypatch.setenv("SAGESTEP_CUSTOM_NOTIFICATION_CONFIG", json.dumps(SEED001_CONFIG))


def test_failed_run_names_the_stage_and_adds_its_custom_message(env: None) -> None:
    sns = FakeSns()
    history = _entered(
        "Preprocessing?",
        "Preprocessing",
        "Run Preprocessing",
        "Training?",
        "Training",
        "Run Training",
        "Training Failed",
        "Notify Failure?",
        "Failed",
    )
    event = _status_event("FAILED", error="SageMaker.AmazonSageMakerException", cause="boom")
    result = notify.handler(event, None, sns=sns, sfn=FakeSfn(history))
    assert result["published"] is True
    (message,) = sns.published
    assert message["Subject"] == "sagestep churn: execution FAILED - Action Required"
    body = message["Message"]
    assert body.startswith("Training failed: check the data drift dashboard.")
    assert "Ended in stage: training" in body and "Cause: boom" in body
    assert "  preprocessing: Succeeded\n  training: Failed" in body
    assert message["MessageAttributes"]["status"] == {"DataType": "String", "StringValue": "FAILED"}


def test_timed_out_and_aborted_runs_are_reported_here_only(env: None) -> None:
    sns = FakeSns()
    history = _entered("Training?", "Training", "Run Training")
    notify.handler(_status_event("TIMED_OUT", notify_run=True), None, sns=sns, sfn=FakeSfn(history))
    notify.handler(_status_event("ABORTED", notify_run=True), None, sns=sns, sfn=FakeSfn(history))
    timed_out, aborted = sns.published
    assert timed_out["Message"].startswith("Run took too long.")
    assert "  training: TimedOut" in timed_out["Message"]
    assert aborted["Subject"] == "sagestep churn: execution ABORTED"
    assert "  training: Aborted" in aborted["Message"]


def test_runs_whose_notify_stage_published_are_not_told_twice(env: None) -> None:
    sns = FakeSns()
    history = _entered("Training?", "Training", "Run Training", "Notify Success?", "Notify Success")
    result = notify.handler(
        _status_event("SUCCEEDED", notify_run=True), None, sns=sns, sfn=FakeSfn(history)
    )
    assert result == {
        "published": False,
        "reason": "the state machine notified",
        "subject": "sagestep churn: execution SUCCEEDED",
    }
    assert sns.published == []
    # Without a notify stage, this Lambda is the only voice.
    notify.handler(_status_event("SUCCEEDED"), None, sns=sns, sfn=FakeSfn(history))
    assert "  training: Succeeded\n  notify: Succeeded" in sns.published[0]["Message"]


def test_wildcards_and_case_insensitive_statuses() -> None:
    change = notify.StatusChange(
        pipeline="p", stage="execution", status="FAILED", stages=(("gate", "Failed"),)
    )
    config = [
        {"step_name": "*", "step_status": "failed", "step_custom_message": "any failure"},
        {"step_name": "gate", "step_status": "*", "step_custom_message": "gate news"},
        {"step_name": "deploy", "step_status": "*", "step_custom_message": "never"},
    ]
    assert notify.custom_messages(change, config) == ["any failure", "gate news"]


def test_direct_calls_publish_with_their_message(env: None) -> None:
    sns = FakeSns()
    notify.handler(
        {
            "pipeline": "churn",
            "stage": "approval",
            "status": "Waiting",
            "message": "approve run churn-1",
        },
        None,
        sns=sns,
    )
    assert sns.published[0]["Subject"] == "sagestep churn: approval Waiting"
    assert sns.published[0]["Message"].startswith("approve run churn-1")


def test_subjects_fit_sns_limits() -> None:
    change = notify.StatusChange(pipeline="p" * 150 + "é", stage="execution", status="FAILED")
    note = notify.build_notification(
        change, [{"step_name": "*", "step_status": "*", "step_custom_message": "x"}]
    )
    assert len(note.subject) <= 100 and note.subject.isascii()
    assert note.subject.endswith(" - Action Required")


def test_other_events_are_ignored_and_bad_config_names_the_fix(
    env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert notify.handler({"source": "aws.ec2"}, None, sns=FakeSns())["published"] is False
    monkeypatch.setenv("SAGESTEP_CUSTOM_NOTIFICATION_CONFIG", "{not json")
    with pytest.raises(ValueError, match="JSON list of \\{step_name, step_status"):
        notify.handler(_status_event("FAILED"), None, sns=FakeSns(), sfn=FakeSfn([]))
    monkeypatch.delenv("SAGESTEP_TOPIC_ARN")
    with pytest.raises(ValueError, match="SAGESTEP_TOPIC_ARN is not set"):
        notify.handler(_status_event("FAILED"), None, sns=FakeSns(), sfn=FakeSfn([]))


def test_stage_names_of_the_compiled_machine_map_to_stages() -> None:
    from sagestep.pipeline.compile import compile_state_machine

    names = list(compile_state_machine()["States"])
    stages = {notify.stage_of(n) for n in names} - {None}
    assert stages == {
        "preprocessing",
        "baseline",
        "training",
        "tuning",
        "evaluation",
        "gate",
        "approval",
        "register",
        "create_model",
        "deploy",
        "batch_transform",
        "data_quality",
        "model_quality",
        "postprocessing",
        "notify",
    }
    assert notify.stage_of("Training?") is None and notify.stage_of("Notify Failure") is None


def test_publishes_to_a_real_topic_on_moto(env: None, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.motostack import MotoStack

    with MotoStack(execute_state_machines=False) as stack:
        sns, sqs = stack.client("sns"), stack.client("sqs")
        topic = sns.create_topic(Name="t")["TopicArn"]
        queue = sqs.create_queue(QueueName="inbox")["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])
        sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn["Attributes"]["QueueArn"])
        monkeypatch.setenv("SAGESTEP_TOPIC_ARN", topic)
        event = {"pipeline": "churn", "stage": "training", "status": "Failed"}
        notify.handler(event, None, sns=sns)
        (received,) = sqs.receive_message(QueueUrl=queue)["Messages"]
        envelope = json.loads(received["Body"])
        assert envelope["Subject"] == "sagestep churn: training Failed - Action Required"
        assert envelope["Message"].startswith("Training failed: check the data drift dashboard.")


def test_a_redriven_run_reports_the_stage_that_failed_before_by_its_new_outcome() -> None:
    events = [*_entered("Preprocessing", "Training", "Training Failed", "Failure Attempt",
                        "Failed"),
              {"type": "ExecutionRedriven"},
              *_entered("Failed", "Resume Stage?", "Training?", "Training", "Training Result",
                        "Evaluation")]
    assert notify.stages_from_history(events, "SUCCEEDED") == [
        ("preprocessing", "Succeeded"), ("training", "Succeeded"), ("evaluation", "Succeeded")]
    assert notify.stages_from_history(events[:6], "FAILED") == [
        ("preprocessing", "Succeeded"), ("training", "Failed")]

"""Viewer reads over the real local engine: paging and filters, incremental run views, control."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sagestep.backends.run_view import reason
from tests.backends.test_local import backend, pipeline, until_waiting, wait  # noqa: F401


def test_runs_page_pages_and_filters_newest_first(backend):  # noqa: F811
    b = backend(pipeline(), pipeline("churn-eu"), pipeline("gated", approval=True))
    churn = [b.start_run("churn").name for _ in range(7)]
    eu = [b.start_run("churn-eu").name for _ in range(3)]
    gated = b.start_run("gated")
    until_waiting(b, gated.arn)
    for name in churn + eu:
        wait(b, name)
    first = b.runs_page(limit=4)
    assert [r.name for r in first.runs] == [gated.name, *eu[::-1][:3]]
    assert first.next_offset == 4 and set(first.pipelines) == {"churn", "churn-eu", "gated"}
    every = []
    offset: int | None = 0
    while offset is not None:
        page = b.runs_page(offset=offset, limit=4)
        every += [r.name for r in page.runs]
        offset = page.next_offset
    assert every == [gated.name, *eu[::-1], *churn[::-1]]
    # "churn" is a prefix of "churn-eu": the name prefix only narrows, the input decides
    assert [r.name for r in b.runs_page(pipeline="churn", limit=50).runs] == churn[::-1]
    assert [r.name for r in b.runs_page(status="RUNNING").runs] == [gated.name]
    later = datetime.now(UTC) + timedelta(days=1)
    assert b.runs_page(since=later).runs == ()
    assert len(b.runs_page(until=later, limit=50).runs) == 11


def test_run_view_reads_new_events_only_and_matches_the_history(backend):  # noqa: F811
    b = backend(pipeline("gated", approval=True))
    ref = b.start_run("gated")
    seen = b.run_view(ref.name)
    until_waiting(b, ref.arn)
    view = b.run_view(ref.name)  # built on the cached view plus the newer events
    assert view.waiting_approval and [e["id"] for e in view.events] == [
        e["id"] for e in b.history(ref.name)]
    assert {s.stage: s.status for s in view.stages}["approval"] == "WAITING_FOR_APPROVAL"
    tail = b.run_view(ref.name, after_event=seen.last_event)
    assert all(e["id"] > seen.last_event for e in tail.events)
    b.approve(ref.name, "ok")
    wait(b, ref.arn)
    done = b.run_view(ref.name)
    assert done.info.status == "SUCCEEDED" and not done.waiting_approval and done.failure is None
    assert [e["id"] for e in done.events] == [e["id"] for e in b.history(ref.name)]
    assert b.run_view(ref.name, after_event=done.last_event).events == ()


def test_stop_gives_an_aborted_run_with_its_summary(backend):  # noqa: F811
    b = backend(pipeline("gated", approval=True))
    ref = b.start_run("gated")
    until_waiting(b, ref.arn)
    b.stop_run(ref.name, "not today")
    view = b.run_view(ref.name)
    assert view.info.status == "ABORTED"
    assert view.failure == {"stage": "approval", "error": "Sagestep.Stopped", "cause": "not today"}


def test_a_failed_job_cause_is_its_failure_reason():
    cause = ('{"ProcessingJobName": "p-1", "FailureReason": "AlgorithmError: exit 1", '
             '"ProcessingJobStatus": "Failed"}')
    assert reason(cause) == "p-1: AlgorithmError: exit 1"
    assert reason("plain words") == "plain words"


def _event(i, kind, **details):
    event = {"id": i, "type": kind, "timestamp": float(i)}
    if kind.endswith("StateEntered"):
        event["stateEnteredEventDetails"] = details
    elif kind.endswith("StateExited"):
        event["stateExitedEventDetails"] = details
    elif details:
        event[kind[0].lower() + kind[1:] + "EventDetails"] = details
    return event


def test_a_stage_whose_task_failed_and_runs_again_is_retrying():
    from sagestep.backends.base import RunInfo
    from sagestep.backends.run_view import build_view

    events = [
        _event(1, "ExecutionStarted"),
        _event(2, "TaskStateEntered", name="Run Training"),
        _event(3, "TaskScheduled", resource="createTrainingJob.sync",
               resourceType="sagemaker", parameters='{"TrainingJobName": "t-1"}'),
        _event(4, "TaskFailed", error="SageMaker.ThrottlingException", cause="slow down"),
        _event(5, "TaskScheduled", resource="createTrainingJob.sync",
               resourceType="sagemaker", parameters='{"TrainingJobName": "t-1"}'),
    ]
    info = RunInfo(arn="a", name="r", status="RUNNING", input={"stages": {"training": {}}})
    (training,) = build_view(info, events).stages
    assert (training.stage, training.status, training.failed_attempts) == ("training", "RETRYING", 1)
    events.append(_event(6, "TaskSucceeded", output="{}"))
    (training,) = build_view(info, events).stages
    # the retry worked: no longer RETRYING (RUNNING or SUCCEEDED is progress.stages' call)
    assert training.status != "RETRYING" and training.failed_attempts == 1

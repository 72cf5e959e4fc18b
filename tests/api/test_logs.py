"""CloudWatch Logs over HTTP with boto3: a real processing job's output, paged as AWS pages it."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.api.conftest import make_client
from tests.sagemaker.conftest import ROLE, SKLEARN

pytestmark = pytest.mark.slow

GROUP = "/aws/sagemaker/ProcessingJobs"
JOB = "logs-wire"
ROWS = 3000
# ~1.3 MB of output: more than one GetLogEvents page (1 MB at most)
# One line: SageMaker's pattern for entrypoint members (.*) matches no newline. The pause
# (flushed first) puts the second half in a later millisecond than the first.
SCRIPT = (f"import sys, time; [print(f'row {{i:05d}} ' + 'x' * 400) for i in range({ROWS} // 2)]; "
          f"sys.stdout.flush(); time.sleep(0.3); "
          f"[print(f'row {{i:05d}} ' + 'x' * 400) for i in range({ROWS} // 2, {ROWS})]; "
          "print('ERROR disk full'); print('done')")


@pytest.fixture(scope="module")
def job(api) -> dict[str, Any]:
    """A finished processing job whose stdout is the stream under test."""
    sm = make_client(api[1], "sagemaker")
    sm.create_processing_job(
        ProcessingJobName=JOB, RoleArn=ROLE,
        AppSpecification={"ImageUri": SKLEARN, "ContainerEntrypoint": ["python3", "-c", SCRIPT]},
        ProcessingResources={"ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.large",
                                               "VolumeSizeInGB": 5}})
    deadline = time.monotonic() + 120
    while (desc := sm.describe_processing_job(ProcessingJobName=JOB))["ProcessingJobStatus"] == "InProgress":
        assert time.monotonic() < deadline, "the processing job did not finish"
        time.sleep(0.3)
    assert desc["ProcessingJobStatus"] == "Completed", desc.get("FailureReason")
    return desc


@pytest.fixture(scope="module")
def logs(api) -> Any:
    return make_client(api[1], "logs")


def _stream(logs: Any) -> str:
    streams = logs.describe_log_streams(logGroupName=GROUP, logStreamNamePrefix=f"{JOB}/")
    assert "nextToken" not in streams  # the SDK re-asks while nextToken is present
    (only,) = streams["logStreams"]
    return str(only["logStreamName"])


def _forward(logs: Any, stream: str, **kw: Any) -> tuple[list[dict[str, Any]], int]:
    """All events from the head, following nextForwardToken until it comes back unchanged."""
    events: list[dict[str, Any]] = []
    page = logs.get_log_events(logGroupName=GROUP, logStreamName=stream, startFromHead=True, **kw)
    pages = 1
    while page["events"]:
        events += page["events"]
        assert sum(len(e["message"].encode()) + 26 for e in page["events"]) <= 1_048_576
        token = page["nextForwardToken"]
        page = logs.get_log_events(logGroupName=GROUP, logStreamName=stream, nextToken=token, **kw)
        pages += 1
    assert page["nextForwardToken"] == token  # the end: AWS returns the token it was given
    return events, pages


def test_groups_and_streams_are_named_as_sagemaker_names_them(job, logs) -> None:
    groups = logs.describe_log_groups(logGroupNamePrefix="/aws/sagemaker/")["logGroups"]
    mine = next(g for g in groups if g["logGroupName"] == GROUP)
    assert mine["arn"] == f"arn:aws:logs:us-east-1:123456789012:log-group:{GROUP}:*"
    assert mine["storedBytes"] > 1_000_000
    stream = _stream(logs)
    assert re.fullmatch(rf"{JOB}/algo-1-\d{{10}}", stream)
    (desc,) = logs.describe_log_streams(logGroupName=GROUP, logStreamNamePrefix=stream)["logStreams"]
    started, ended = (int(job[k].timestamp() * 1000) for k in ("ProcessingStartTime", "ProcessingEndTime"))
    assert started - 1000 <= desc["firstEventTimestamp"] <= desc["lastEventTimestamp"] <= ended + 1000
    assert desc["arn"].endswith(f":log-group:{GROUP}:log-stream:{stream}")
    by_arn = logs.describe_log_streams(logGroupIdentifier=mine["logGroupArn"], logStreamNamePrefix=stream)
    assert [s["logStreamName"] for s in by_arn["logStreams"]] == [stream]
    paged = logs.get_paginator("describe_log_streams").paginate(
        logGroupName=GROUP, PaginationConfig={"PageSize": 1})
    assert stream in [s["logStreamName"] for page in paged for s in page["logStreams"]]


def test_get_log_events_pages_forward_in_ms_until_the_same_token(job, logs) -> None:
    stream = _stream(logs)
    events, pages = _forward(logs, stream)
    messages = [e["message"] for e in events]
    rows = [m for m in messages if m.startswith("row ")]
    assert rows == [f"row {i:05d} " + "x" * 400 for i in range(ROWS)]
    assert messages[-2:] == ["ERROR disk full", "done"]
    assert pages >= 3  # two full pages by the 1 MB cap, then the empty one at the end
    stamps = [e["timestamp"] for e in events]
    assert stamps == sorted(stamps) and all(isinstance(t, int) and t > 10**12 for t in stamps)
    small, small_pages = _forward(logs, stream, limit=1000)
    assert small == events and small_pages > len(events) // 1000


def test_default_read_is_the_tail_and_backward_tokens_reach_the_head(job, logs) -> None:
    stream = _stream(logs)
    everything, _ = _forward(logs, stream)
    page = logs.get_log_events(logGroupName=GROUP, logStreamName=stream, limit=500)
    assert page["events"] == everything[-500:]  # newest events, oldest first within the page
    collected = page["events"]
    while True:
        token = page["nextBackwardToken"]
        page = logs.get_log_events(logGroupName=GROUP, logStreamName=stream, nextToken=token, limit=500)
        if not page["events"]:
            break
        collected = page["events"] + collected
    assert page["nextBackwardToken"] == token and collected == everything


def test_start_and_end_time_bound_the_events(job, logs) -> None:
    stream = _stream(logs)
    everything, _ = _forward(logs, stream)
    stamps = sorted({e["timestamp"] for e in everything})
    assert len(stamps) > 1
    cut = stamps[len(stamps) // 2]
    after, _ = _forward(logs, stream, startTime=cut)
    before, _ = _forward(logs, stream, endTime=cut)
    assert after == [e for e in everything if e["timestamp"] >= cut]
    assert before == [e for e in everything if e["timestamp"] < cut]


def test_filter_log_events_interleaves_pages_and_matches_terms(job, logs) -> None:
    stream = _stream(logs)
    pages = list(logs.get_paginator("filter_log_events").paginate(
        logGroupName=GROUP, logStreamNamePrefix=f"{JOB}/", PaginationConfig={"PageSize": 700}))
    events = [e for p in pages for e in p["events"]]
    assert len(pages) > 4 and "nextToken" not in pages[-1]
    assert len({e["eventId"] for e in events}) == len(events)
    again = logs.filter_log_events(logGroupName=GROUP, limit=50)["events"]
    assert [e["eventId"] for e in again] == [e["eventId"] for e in events[:50]]  # stable: followers dedupe by id
    everything, _ = _forward(logs, stream)
    assert [e["message"] for e in events] == [e["message"] for e in everything]
    assert {e["logStreamName"] for e in events} == {stream}
    found = logs.filter_log_events(logGroupName=GROUP, logStreamNames=[stream],
                                   filterPattern='ERROR "disk full"')["events"]
    assert [e["message"] for e in found] == ["ERROR disk full"]
    found = logs.filter_log_events(logGroupName=GROUP, filterPattern="?done ?ERROR -disk")["events"]
    assert [e["message"] for e in found] == ["done"]


def test_events_written_after_the_end_arrive_with_the_same_forward_token(api, job, logs) -> None:
    rt, _ = api
    store = rt.sagemaker.logs  # the writer jobs and endpoint log shippers use
    store.append(GROUP, "tail-job/algo-1-1700000000", ["first"])
    page = logs.get_log_events(logGroupName=GROUP, logStreamName="tail-job/algo-1-1700000000",
                               startFromHead=True)
    token = page["nextForwardToken"]
    idle = logs.get_log_events(logGroupName=GROUP, logStreamName="tail-job/algo-1-1700000000",
                               nextToken=token)
    assert idle["events"] == [] and idle["nextForwardToken"] == token
    store.append(GROUP, "tail-job/algo-1-1700000000", ["second", "third"])
    fresh = logs.get_log_events(logGroupName=GROUP, logStreamName="tail-job/algo-1-1700000000",
                                nextToken=token)
    assert [e["message"] for e in fresh["events"]] == ["second", "third"]


def _code(call: Any, **kw: Any) -> tuple[str, str]:
    with pytest.raises(ClientError) as exc:
        call(**kw)
    return exc.value.response["Error"]["Code"], exc.value.response["Error"]["Message"]


def test_errors_are_cloudwatch_logs_errors(job, logs) -> None:
    stream = _stream(logs)
    missing_group = ("ResourceNotFoundException", "The specified log group does not exist.")
    assert _code(logs.get_log_events, logGroupName="/aws/sagemaker/Nope", logStreamName=stream) == missing_group
    assert _code(logs.describe_log_streams, logGroupName="/aws/sagemaker") == missing_group
    assert _code(logs.filter_log_events, logGroupName="/nope") == missing_group
    assert _code(logs.get_log_events, logGroupName=GROUP, logStreamName=f"{JOB}/algo-9") == (
        "ResourceNotFoundException", "The specified log stream does not exist.")
    for token in ("f/123/s", "b/" + "9" * 56 + "/s", "garbage"):
        assert _code(logs.get_log_events, logGroupName=GROUP, logStreamName=stream, nextToken=token) == (
            "InvalidParameterException", "The specified nextToken is invalid.")
    assert _code(logs.filter_log_events, logGroupName=GROUP, nextToken="garbage")[0] == "InvalidParameterException"
    assert _code(logs.describe_log_streams, logGroupName=GROUP, limit=51)[0] == "InvalidParameterException"
    code, message = _code(logs.describe_log_streams, logGroupName=GROUP, orderBy="LastEventTime",
                          logStreamNamePrefix=JOB)
    assert code == "InvalidParameterException" and "LastEventTime" in message
    code, message = _code(logs.filter_log_events, logGroupName=GROUP, filterPattern="{ $.level = 1 }")
    assert code == "InvalidParameterException" and "term patterns only" in message


def test_names_cannot_reach_files_outside_the_log_groups(api, job, logs) -> None:
    """A stream or endpoint name with ".." segments names no stream, even where a readable
    .jsonl file lies at the end of that path."""
    rt, _ = api
    (rt.workspace.root / "outside.jsonl").write_text('{"timestamp": 1, "message": "secret"}\n')
    not_found = ("ResourceNotFoundException", "The specified log stream does not exist.")
    for name in ("../../../../outside", "/../../../../outside", "a//b", "./x"):
        assert _code(logs.get_log_events, logGroupName=GROUP, logStreamName=name) == not_found
        assert logs.filter_log_events(logGroupName=GROUP, logStreamNames=[name])["events"] == []
    assert logs.describe_log_streams(logGroupName=GROUP, logStreamNamePrefix="../../")["logStreams"] == []
    assert _code(logs.describe_log_streams, logGroupName="/aws/sagemaker/Endpoints/..")[0] == \
        "ResourceNotFoundException"

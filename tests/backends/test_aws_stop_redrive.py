"""AwsBackend stop and redrive against a moto server (issue 16).

moto 5.2.1's interpreter ignores StopExecution and has no RedriveExecution, so stop runs on a
non-interpreting server (the execution stays RUNNING until stopped, as a long run would) and
redrive's request is checked against the real API model with botocore's Stubber.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from botocore.stub import Stubber

from sagestep.backends.aws import AwsBackend
from sagestep.errors import BackendError
from tests.backends.test_aws import ROLE, _backend
from tests.motostack import MotoStack

MACHINE = {"StartAt": "Wait", "States": {"Wait": {"Type": "Wait", "Seconds": 3600, "End": True}}}


@pytest.fixture
def running() -> Iterator[tuple[AwsBackend, str]]:
    with MotoStack(execute_state_machines=False) as moto:
        sfn = moto.client("stepfunctions")
        machine = sfn.create_state_machine(name="long", definition=json.dumps(MACHINE),
                                           roleArn=ROLE)["stateMachineArn"]
        arn = sfn.start_execution(stateMachineArn=machine, name="run-1",
                                  input=json.dumps({"pipeline": "p"}))["executionArn"]
        yield _backend(moto, machine), str(arn)


def test_stop_aborts_a_running_run(running) -> None:
    backend, arn = running
    info = backend.stop_run("run-1", "not needed")
    assert (info.status, info.arn) == ("ABORTED", arn)
    with pytest.raises(BackendError, match="already ABORTED; nothing to stop"):
        backend.stop_run("run-1")


def test_redrive_refuses_a_running_run_and_sends_redrive_execution_for_a_stopped_one(running) -> None:
    backend, arn = running
    with pytest.raises(BackendError, match="is RUNNING; only a FAILED, ABORTED or TIMED_OUT"):
        backend.redrive_run("run-1")
    backend.stop_run("run-1")
    sfn = backend.runs.sfn
    # A stopped run, and a run that failed in a stage (the compiled machine fails in its
    # helper "fail" Task, which a redrive re-runs to resume the stage): both are redriven.
    for status in ("ABORTED", "FAILED"):
        with Stubber(sfn) as stub:
            stub.add_response("describe_execution", _described(arn, status), {"executionArn": arn})
            stub.add_response("redrive_execution", {"redriveDate": "2026-12-04T00:00:00Z"},
                              {"executionArn": arn})
            stub.add_response("describe_execution", _described(arn, "RUNNING"),
                              {"executionArn": arn})
            info = backend.redrive_run("run-1")
            stub.assert_no_pending_responses()
        assert info.status == "RUNNING"


def _described(arn: str, status: str) -> dict[str, object]:
    return {"executionArn": arn, "stateMachineArn": arn.replace(":execution:", ":stateMachine:")
            .rsplit(":", 1)[0], "name": "run-1", "status": status,
            "startDate": "2026-12-04T00:00:00Z", "input": "{}"}

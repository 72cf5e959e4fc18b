"""AwsBackend approve/reject/logs against runs that really wait at a callback task (moto).

moto 5.2.1's interpreter runs one execution per reset, so each test gets a fresh server.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Iterator
from typing import Any

import pytest

from sagestep.backends.aws import AwsBackend
from sagestep.errors import BackendError
from tests.backends.test_aws import ROLE, _backend
from tests.motostack import MotoStack


def _approval_machine() -> dict[str, Any]:
    # The callback shape the compiled machine uses, on an integration moto can run (SQS).
    return {
        "StartAt": "Training",
        "States": {
            "Training": {
                "Type": "Task",
                "Resource": "arn:aws:states:::sagemaker:createTrainingJob",
                "Parameters": {
                    "TrainingJobName.$": "$.job",
                    "RoleArn": "arn:aws:iam::123456789012:role/sagestep-dev-sagemaker",
                    "AlgorithmSpecification": {"TrainingImage": "img", "TrainingInputMode": "File"},
                    "OutputDataConfig": {"S3OutputPath": "s3://sagestep-examples/out/"},
                    "ResourceConfig": {
                        "InstanceCount": 1,
                        "InstanceType": "ml.m5.large",
                        "VolumeSizeInGB": 1,
                    },
                    "StoppingCondition": {"MaxRuntimeInSeconds": 60},
                },
                "ResultPath": None,
                "Next": "Approval",
            },
            "Approval": {
                "Type": "Task",
                "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
                "Parameters": {
                    "QueueUrl.$": "$.queue",
                    "MessageBody": {"token.$": "$$.Task.Token", "pipeline.$": "$.pipeline"},
                },
                "End": True,
            },
        },
    }


def _wait_for_token(backend: AwsBackend, run: str) -> None:
    for _ in range(400):
        if any(e["type"] == "TaskSubmitted" for e in backend.history(run)):
            return
        time.sleep(0.05)
    raise AssertionError(f"run {run} never reached its approval task")


@contextlib.contextmanager
def _waiting_run(name: str) -> Iterator[tuple[MotoStack, AwsBackend, str]]:
    """A fresh interpreting moto server with one run of the approval machine, started."""
    with MotoStack(execute_state_machines=True) as moto:
        sfn = moto.client("stepfunctions")
        machine = sfn.create_state_machine(
            name="approvals", definition=json.dumps(_approval_machine()), roleArn=ROLE
        )["stateMachineArn"]
        queue = moto.client("sqs").create_queue(QueueName="approvals")["QueueUrl"]
        payload = {"queue": queue, "pipeline": "p", "job": f"job-{name}"}
        started = sfn.start_execution(stateMachineArn=machine, name=name, input=json.dumps(payload))
        backend = _backend(moto, machine)
        _wait_for_token(backend, name)
        yield moto, backend, str(started["executionArn"])


def _final(backend: AwsBackend, run: str) -> Any:
    for _ in range(400):
        info = backend.describe_run(run)
        if info.done:
            return info
        time.sleep(0.05)
    raise AssertionError(f"run {run} did not finish")


def test_approve_answers_the_waiting_task_with_success() -> None:
    with _waiting_run("run-yes") as (_, backend, arn):
        assert backend.approve("run-yes", "looks good")  # names and ARNs are both accepted
        approved = _final(backend, arn)
        assert approved.status == "SUCCEEDED"
        assert approved.output["approved"] is True and approved.output["comment"] == "looks good"
        with pytest.raises(BackendError, match="was already answered: approved"):
            backend.approve("run-yes")


def test_reject_fails_the_waiting_task() -> None:
    with _waiting_run("run-no") as (_, backend, arn):
        assert backend.reject(arn, "metric too low")
        rejected = _final(backend, arn)
        assert (rejected.status, rejected.error) == ("FAILED", "Sagestep.Rejected")
        failed = [e for e in backend.history(arn) if e["type"] == "TaskFailed"]
        # (moto keeps the error of SendTaskFailure but drops its cause)
        assert failed[-1]["taskFailedEventDetails"]["error"] == "Sagestep.Rejected"


def test_logs_come_from_cloudwatch_for_the_stage_jobs() -> None:
    with _waiting_run("run-logs") as (moto, backend, run):
        _put_job_log(moto.client("logs"))
        chunks = list(backend.logs(run, "training"))
        assert [(c.stage, c.job) for c in chunks] == [("training", "job-run-logs")]
        assert "train-rmse: 0.25" in "\n".join(chunks[0].lines)
        backend.reject(run)


def _put_job_log(logs: Any) -> None:
    logs.create_log_group(logGroupName="/aws/sagemaker/TrainingJobs")
    logs.create_log_stream(
        logGroupName="/aws/sagemaker/TrainingJobs", logStreamName="job-run-logs/algo-1-1700000000"
    )
    logs.put_log_events(
        logGroupName="/aws/sagemaker/TrainingJobs",
        logStreamName="job-run-logs/algo-1-1700000000",
        logEvents=[{"timestamp": int(time.time() * 1000), "message": "[0] train-rmse: 0.25"}],
    )

"""aws-sdk:s3, nested executions, aws-sdk:sfn and SQS callbacks on the local engine, with the
shapes AWS recorded (LocalStack parity suite: test_aws_sdk_task_service, test_callback,
test_sfn_task_service, test_sqs_task_service)."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

from sagestep.stores.queues import LocalQueues
from tests.engine.helpers import machine, run, runtime

SDK_S3 = "arn:aws:states:::aws-sdk:s3:"


@pytest.fixture
def rt(tmp_path: Path) -> Any:
    runtime_ = runtime(tmp_path)
    yield runtime_
    runtime_.engine.close()


def _task(resource: str, parameters: dict[str, Any]) -> dict[str, Any]:
    return {"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": resource,
                                             "Parameters": parameters, "End": True}}}


@pytest.mark.parametrize(("body", "etag", "crc"), [
    ("text data", "2b5df3712557f503a9977a8ea893b2c9", "KUmHvQ=="),
    ({"Dict": "Value"}, "49e31cee5aec8faf3345893addb14346", "hnEfWw=="),
    (["List", "Data"], "6b23860357f6e63a0272b7f1143a663a", "1F2MPA=="),
    (False, "68934a3e9455fa72420237eb05902327", "K81oMA=="),
    (0, "cfcd208495d565ef66e7dff9f98764da", "9NvfIQ=="),
])
def test_put_object_as_recorded_on_aws(rt: Any, body: Any, etag: str, crc: str) -> None:
    """ETag and CRC32 are those AWS returned for the same Body (test_s3_put_object[...])."""
    rt.client("s3").create_bucket(Bucket="bucket-name")
    desc = run(rt, _task(SDK_S3 + "putObject",
                         {"Bucket": "bucket-name", "Key": "file-key", "Body": body}))
    assert json.loads(desc["output"]) == {"ChecksumCRC32": crc, "ChecksumType": "FULL_OBJECT",
                                          "ETag": f'"{etag}"', "ServerSideEncryption": "AES256"}


def test_get_object_and_missing_key(rt: Any) -> None:
    rt.client("s3").put_object(Bucket="bucket-name", Key="file_key", Body=b"text data")
    desc = run(rt, _task(SDK_S3 + "getObject", {"Bucket": "bucket-name", "Key": "file_key"}))
    out = json.loads(desc["output"])
    out.pop("LastModified")
    assert out == {"AcceptRanges": "bytes", "ContentLength": 9,
                   "ContentType": "binary/octet-stream",
                   "ETag": '"332eec544317a6d340b8e77da7fe54ad"', "Metadata": {},
                   "ServerSideEncryption": "AES256", "Body": "text data"}
    desc = run(rt, _task(SDK_S3 + "getObject", {"Bucket": "bucket-name", "Key": "nope"}))
    assert desc["error"] == "S3.NoSuchKeyException"
    assert "Status Code: 404" in desc["cause"]
    desc = run(rt, _task(SDK_S3 + "listObjectsV2", {"Bucket": "no-such-bucket"}))
    assert desc["error"] == "S3.NoSuchBucketException"


def test_list_objects_keeps_botocore_output_members(rt: Any) -> None:
    rt.client("s3").put_object(Bucket="bucket-name", Key="a.txt", Body=b"x")
    desc = run(rt, _task(SDK_S3 + "listObjectsV2", {"Bucket": "bucket-name"}))
    out = json.loads(desc["output"])
    assert out["KeyCount"] == 1 and out["Contents"][0]["Key"] == "a.txt"
    assert isinstance(out["Contents"][0]["LastModified"], int)
    assert "ResponseMetadata" not in out


CHILD = {"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": {"Arg1": "argument1"},
                                          "End": True}}}


@pytest.mark.parametrize("suffix", [".sync", ".sync:2"])
def test_sync_child_input_and_fields_as_aws(rt: Any, suffix: str) -> None:
    child = machine(rt.client("stepfunctions"), CHILD, name="child")
    desc = run(rt, _task("arn:aws:states:::states:startExecution" + suffix,
                         {"StateMachineArn": child, "Input": None, "Name": "TestStartTarget"}))
    out = json.loads(desc["output"])
    assert set(out) == {"ExecutionArn", "Input", "InputDetails", "Name", "Output",
                        "OutputDetails", "StartDate", "StateMachineArn", "Status", "StopDate"}
    assert out["InputDetails"] == {"Included": True} and out["Status"] == "SUCCEEDED"
    if suffix == ".sync":
        assert (out["Input"], out["Output"]) == ("{}", '{"Arg1":"argument1"}')
    else:
        assert (out["Input"], out["Output"]) == ({}, {"Arg1": "argument1"})


def test_start_execution_request_response_and_sdk_sfn(rt: Any) -> None:
    sfn = rt.client("stepfunctions")
    child = machine(sfn, CHILD, name="child")
    desc = run(rt, _task("arn:aws:states:::states:startExecution",
                         {"StateMachineArn": child, "Name": "one"}))
    out = json.loads(desc["output"])
    assert set(out) == {"ExecutionArn", "StartDate", "SdkHttpMetadata", "SdkResponseMetadata"}
    assert out["ExecutionArn"].endswith(":execution:child:one")
    definition = {"StartAt": "S", "States": {
        "S": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:sfn:startExecution",
              "Parameters": {"StateMachineArn": child, "Input": {"a": 1}}, "Next": "D"},
        "D": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:sfn:describeExecution",
              "Parameters": {"ExecutionArn.$": "$.ExecutionArn"}, "End": True}}}
    out = json.loads(run(rt, definition, name="sdk")["output"])
    assert out["Input"] == '{"a":1}' and out["StateMachineArn"] == child
    desc = run(rt, _task("arn:aws:states:::aws-sdk:sfn:describeExecution",
                         {"ExecutionArn": child.replace("stateMachine", "execution") + ":x"}),
               name="missing")
    assert desc["error"] == "Sfn.ExecutionDoesNotExistException"


def test_sqs_wait_for_task_token_through_the_cli(rt: Any, tmp_path: Path) -> None:
    """A callback over the local queue, consumed by ``sagestep sqs receive`` in a process."""
    definition = _task("arn:aws:states:::sqs:sendMessage.waitForTaskToken",
                       {"QueueUrl": "https://sqs.us-east-1.amazonaws.com/123456789012/jobs",
                        "MessageBody": {"Message": "test_message_txt",
                                        "TaskToken.$": "$$.Task.Token"}})
    result: dict[str, Any] = {}
    waiter = threading.Thread(target=lambda: result.update(run(rt, definition, timeout=60)))
    waiter.start()
    message = None
    for _ in range(100):
        proc = subprocess.run([sys.executable, "-m", "sagestep", "sqs", "receive", "jobs",
                               "--home", str(tmp_path)], capture_output=True, text=True,
                              check=True, timeout=60)
        if proc.stdout.strip():
            message = json.loads(proc.stdout.splitlines()[0])
            break
        waiter.join(0.1)
    assert message is not None
    body = json.loads(message["Body"])
    assert body["Message"] == "test_message_txt"
    rt.client("stepfunctions").send_task_success(taskToken=body["TaskToken"],
                                                 output=json.dumps(body["Message"]))
    waiter.join(60)
    assert result["status"] == "SUCCEEDED" and json.loads(result["output"]) == "test_message_txt"
    assert LocalQueues(rt.workspace.db_path).count("jobs") == 0  # receive deleted it


def test_send_message_result_and_redelivery(rt: Any) -> None:
    desc = run(rt, _task("arn:aws:states:::sqs:sendMessage",
                         {"QueueUrl": "q1", "MessageBody": "hello"}))
    out = json.loads(desc["output"])
    assert out["MD5OfMessageBody"] == "5d41402abc4b2a76b9719d911017c592"
    assert set(out) == {"MD5OfMessageBody", "MessageId", "SdkHttpMetadata",
                        "SdkResponseMetadata"}
    queues = LocalQueues(rt.workspace.db_path)
    [first] = queues.receive("q1", visibility_timeout=0)
    [again] = queues.receive("q1")  # not deleted: it comes back
    assert again["MessageId"] == first["MessageId"] == out["MessageId"]
    assert queues.receive("q1") == []  # hidden now
    assert queues.delete("q1", again["ReceiptHandle"]) and queues.count("q1") == 0

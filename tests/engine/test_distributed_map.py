"""Distributed Map over the local object store: every ItemReader, the ItemBatcher, the
ResultWriter layout, tolerated failures and the map run records, on generated data, against
AWS's documented (and recorded) shapes."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pytest

from tests.engine.helpers import run, runtime, types

DISTRIBUTED = {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"}}


def _map(reader: dict[str, Any] | None = None, body: dict[str, Any] | None = None,
         **fields: Any) -> dict[str, Any]:
    state: dict[str, Any] = {
        "Type": "Map", "End": True,
        "ItemProcessor": {**DISTRIBUTED, **(body or {
            "StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})},
        **fields}
    if reader is not None:
        state["ItemReader"] = reader
    return {"StartAt": "M", "States": {"M": state}}


def _get(input_type: str | None, **config: Any) -> dict[str, Any]:
    reader: dict[str, Any] = {"Resource": "arn:aws:states:::s3:getObject",
                              "Parameters": {"Bucket.$": "$.Bucket", "Key.$": "$.Key"}}
    if input_type:
        reader["ReaderConfig"] = {"InputType": input_type, **config}
    return reader


@pytest.fixture
def rt(tmp_path: Path) -> Any:
    runtime_ = runtime(tmp_path)
    yield runtime_
    runtime_.engine.close()


def _put(rt: Any, key: str, body: str | bytes, bucket: str = "data") -> None:
    rt.client("s3").put_object(Bucket=bucket, Key=key, Body=body)


def _output(desc: dict[str, Any]) -> Any:
    assert desc["status"] == "SUCCEEDED", desc
    return json.loads(desc["output"])


def test_json_array_reader(rt: Any) -> None:
    _put(rt, "items.json", json.dumps([{"n": i} for i in range(5)]))
    desc = run(rt, _map(_get("JSON")), {"Bucket": "data", "Key": "items.json"})
    assert _output(desc) == [{"n": i} for i in range(5)]
    kinds = types(rt, desc["executionArn"])
    assert kinds[:4] == ["ExecutionStarted", "MapStateEntered", "MapStateStarted",
                         "MapRunStarted"]
    assert kinds[-4:] == ["MapRunSucceeded", "MapStateSucceeded", "MapStateExited",
                          "ExecutionSucceeded"]


def test_json_reader_on_an_object_fails_as_aws(rt: Any) -> None:
    _put(rt, "obj.json", json.dumps({"not": "a list"}))
    desc = run(rt, _map(_get("JSON")), {"Bucket": "data", "Key": "obj.json"})
    assert (desc["status"], desc["error"], desc["cause"]) == (
        "FAILED", "States.ItemReaderFailed", "Attempting to map over non-iterable node.")


def test_missing_object_fails_the_reader(rt: Any) -> None:
    _put(rt, "other.json", "[]")
    desc = run(rt, _map(_get("JSON")), {"Bucket": "data", "Key": "absent.json"})
    assert desc["status"] == "FAILED" and desc["error"] == "States.ItemReaderFailed"


def test_jsonl_reader_skips_blank_lines(rt: Any) -> None:
    _put(rt, "items.jsonl", '{"a":1}\n\n[2]\n"three"\n')
    desc = run(rt, _map(_get("JSONL")), {"Bucket": "data", "Key": "items.jsonl"})
    assert _output(desc) == [{"a": 1}, [2], "three"]


CSV = ("Col1,Col2,Col3\nValue1,Value2,Value3\nValue4,Value5,Value6\n,,,\n"
       "true,1,'HelloWorld'\nNull,None,\n   \n")


def test_csv_first_row_as_recorded_on_aws(rt: Any) -> None:
    """The recording of test_map_item_reader_base_csv_headers_first_line (LocalStack)."""
    _put(rt, "file.csv", CSV)
    desc = run(rt, _map(_get("CSV", CSVHeaderLocation="FIRST_ROW"), MaxConcurrency=1),
               {"Bucket": "data", "Key": "file.csv"})
    assert _output(desc) == [
        {"Col1": "Value1", "Col2": "Value2", "Col3": "Value3"},
        {"Col1": "Value4", "Col2": "Value5", "Col3": "Value6"},
        {"Col1": "", "Col2": "", "Col3": ""},
        {"Col1": "true", "Col2": "1", "Col3": "'HelloWorld'"},
        {"Col1": "Null", "Col2": "None", "Col3": ""},
        {"Col1": "   ", "Col2": "", "Col3": ""}]


def test_csv_given_headers_and_delimiter(rt: Any) -> None:
    _put(rt, "rows.csv", "a|b\nc|d|e\n")
    reader = _get("CSV", CSVHeaderLocation="GIVEN", CSVHeaders=["x", "y"], CSVDelimiter="PIPE")
    desc = run(rt, _map(reader), {"Bucket": "data", "Key": "rows.csv"})
    assert _output(desc) == [{"x": "a", "y": "b"}, {"x": "c", "y": "d"}]


def test_csv_duplicate_headers_fail_as_aws(rt: Any) -> None:
    _put(rt, "rows.csv", "a,b\n")
    reader = _get("CSV", CSVHeaderLocation="GIVEN", CSVHeaders=["x", "x"])
    desc = run(rt, _map(reader), {"Bucket": "data", "Key": "rows.csv"})
    assert (desc["error"], desc["cause"]) == ("States.ItemReaderFailed",
                                              "CSV headers cannot contain duplicates.")


def test_max_items_and_max_items_path(rt: Any) -> None:
    _put(rt, "rows.csv", "h\n" + "".join(f"{i}\n" for i in range(10)))
    desc = run(rt, _map(_get("CSV", MaxItems=3)), {"Bucket": "data", "Key": "rows.csv"})
    assert _output(desc) == [{"h": "0"}, {"h": "1"}, {"h": "2"}]
    desc = run(rt, _map(_get("CSV", MaxItemsPath="$.max")),
               {"Bucket": "data", "Key": "rows.csv", "max": 2})
    assert len(_output(desc)) == 2
    desc = run(rt, _map(_get("CSV", MaxItemsPath="$.max")),
               {"Bucket": "data", "Key": "rows.csv", "max": -1})
    assert (desc["error"], desc["cause"]) == ("States.ItemReaderFailed",
                                              "field MaxItems must be positive")


def test_list_objects_v2_pages_through_every_object(rt: Any) -> None:
    for i in range(1005):  # more than one page of 1,000 keys
        _put(rt, f"in/f{i:05d}.txt", f"{i}HelloWorld!")
    _put(rt, "elsewhere.txt", "x")
    reader = {"Resource": "arn:aws:states:::s3:listObjectsV2",
              "Parameters": {"Bucket": "data", "Prefix": "in/"}}
    desc = run(rt, _map(reader, ItemSelector={"key.$": "$$.Map.Item.Value.Key",
                                              "size.$": "$$.Map.Item.Value.Size"}))
    out = _output(desc)
    assert len(out) == 1005
    assert out[0] == {"key": "in/f00000.txt", "size": 12}
    desc = run(rt, _map(None, MaxConcurrency=1, ItemReader={**reader, "ReaderConfig": {
        "MaxItems": 1}}))
    item = _output(desc)[0]
    assert set(item) == {"Etag", "Key", "LastModified", "Size", "StorageClass"}
    assert item["Etag"].startswith('"') and item["StorageClass"] == "STANDARD"


def test_s3_inventory_manifest(rt: Any) -> None:
    rows = "".join(f'"data","obj/{i}.txt","{i}"\n' for i in range(4))
    _put(rt, "inv/data/1.csv.gz", gzip.compress(rows.encode()), bucket="inventory")
    manifest = {"sourceBucket": "data", "destinationBucket": "arn:aws:s3:::inventory",
                "fileFormat": "CSV", "fileSchema": "Bucket, Key, Size",
                "files": [{"key": "inv/data/1.csv.gz", "size": 1, "MD5checksum": "x"}]}
    _put(rt, "inv/manifest.json", json.dumps(manifest), bucket="inventory")
    desc = run(rt, _map(_get("MANIFEST")), {"Bucket": "inventory", "Key": "inv/manifest.json"})
    assert _output(desc) == [{"Bucket": "data", "Key": f"obj/{i}.txt", "Size": str(i)}
                             for i in range(4)]


def test_item_batcher_with_selector_and_batch_input(rt: Any) -> None:
    definition = _map(None, ItemsPath="$.items", ItemSelector={"v.$": "$$.Map.Item.Value",
                                                              "i.$": "$$.Map.Item.Index"},
                      ItemBatcher={"MaxItemsPerBatchPath": "$.per", "BatchInput": {"b.$": "$.b"}})
    desc = run(rt, definition, {"items": ["a", "b", "c"], "per": 2, "b": 7})
    assert _output(desc) == [
        {"BatchInput": {"b": 7}, "Items": [{"v": "a", "i": 0}, {"v": "b", "i": 1}]},
        {"BatchInput": {"b": 7}, "Items": [{"v": "c", "i": 2}]}]


def test_item_batcher_by_bytes(rt: Any) -> None:
    _put(rt, "items.json", json.dumps(["x" * 10] * 5))  # 12 bytes each as JSON
    definition = _map(_get("JSON"), ItemBatcher={"MaxInputBytesPerBatch": 30})
    desc = run(rt, definition, {"Bucket": "data", "Key": "items.json"})
    assert [len(b["Items"]) for b in _output(desc)] == [2, 2, 1]


FAILING_BODY = {"StartAt": "C", "States": {
    "C": {"Type": "Choice", "Choices": [{"Variable": "$.n", "NumericEquals": 1, "Next": "F"}],
          "Default": "P"},
    "P": {"Type": "Pass", "End": True},
    "F": {"Type": "Fail", "Error": "Bad", "Cause": "n is 1"}}}


def _writer(prefix: str = "runs") -> dict[str, Any]:
    return {"Resource": "arn:aws:states:::s3:putObject",
            "Parameters": {"Bucket": "results", "Prefix": prefix}}


def test_result_writer_layout_and_tolerated_failures(rt: Any) -> None:
    definition = _map(None, body=FAILING_BODY, ResultWriter=_writer(),
                      ToleratedFailureCountPath="$.tolerate", Label="Work")
    desc = run(rt, definition, [{"n": 0}, {"n": 1}, {"n": 2}])
    assert desc["status"] == "FAILED"  # $.tolerate cannot be read from an array input
    definition["States"]["M"]["ItemsPath"] = "$.items"
    desc = run(rt, definition, {"tolerate": 1, "items": [{"n": 0}, {"n": 1}, {"n": 2}]})
    out = _output(desc)
    run_id = out["MapRunArn"].rsplit(":", 1)[-1]
    assert ":mapRun:m/Work:" in out["MapRunArn"]
    assert out["ResultWriterDetails"] == {"Bucket": "results",
                                          "Key": f"runs/{run_id}/manifest.json"}
    s3 = rt.client("s3")

    def read(key: str) -> Any:
        return json.loads(s3.get_object(Bucket="results", Key=key)["Body"].read())

    manifest = read(f"runs/{run_id}/manifest.json")
    assert manifest["DestinationBucket"] == "results"
    assert manifest["MapRunArn"] == out["MapRunArn"]
    assert manifest["ResultFiles"]["PENDING"] == []
    [ok_file] = manifest["ResultFiles"]["SUCCEEDED"]
    [failed_file] = manifest["ResultFiles"]["FAILED"]
    assert ok_file["Key"] == f"runs/{run_id}/SUCCEEDED_0.json"
    succeeded, failed = read(ok_file["Key"]), read(failed_file["Key"])
    assert ok_file["Size"] == len(s3.get_object(Bucket="results", Key=ok_file["Key"])["Body"]
                                  .read())
    assert sorted(json.loads(r["Input"])["n"] for r in succeeded) == [0, 2]
    record = succeeded[0]
    assert set(record) == {"ExecutionArn", "Input", "InputDetails", "Name", "Output",
                           "OutputDetails", "RedriveCount", "RedriveStatus", "StartDate",
                           "StateMachineArn", "Status", "StopDate"}
    assert record["Status"] == "SUCCEEDED" and record["StateMachineArn"].endswith(":m/Work")
    assert failed[0]["Error"] == "Bad" and failed[0]["Cause"] == "n is 1"
    assert failed[0]["Status"] == "FAILED"
    sfn = rt.client("stepfunctions")
    [summary] = sfn.list_map_runs(executionArn=desc["executionArn"])["mapRuns"]
    assert summary["mapRunArn"] == out["MapRunArn"]
    described = sfn.describe_map_run(mapRunArn=out["MapRunArn"])
    assert described["status"] == "SUCCEEDED"
    assert described["itemCounts"]["total"] == 3 and described["itemCounts"]["failed"] == 1
    assert described["toleratedFailureCount"] == 1


def test_tolerated_percentage_exceeded(rt: Any) -> None:
    definition = _map(None, body=FAILING_BODY, ToleratedFailurePercentage=10)
    desc = run(rt, definition, [{"n": 0}, {"n": 1}, {"n": 2}])
    assert desc["status"] == "FAILED"
    assert desc["error"] == "States.ExceedToleratedFailureThreshold"


def test_result_writer_jsonl_compact(rt: Any) -> None:
    writer = {**_writer("c"), "WriterConfig": {"OutputType": "JSONL",
                                               "Transformation": "COMPACT"}}
    desc = run(rt, _map(None, ResultWriter=writer), [{"a": 1}, {"a": 2}])
    key = _output(desc)["ResultWriterDetails"]["Key"].replace("manifest", "SUCCEEDED_0")
    body = rt.client("s3").get_object(Bucket="results", Key=key)["Body"].read().decode()
    assert [json.loads(line) for line in body.splitlines()] == [{"a": 1}, {"a": 2}]


def test_describe_unknown_map_run(rt: Any) -> None:
    from botocore.exceptions import ClientError

    with pytest.raises(ClientError) as info:
        rt.client("stepfunctions").describe_map_run(
            mapRunArn="arn:aws:states:us-east-1:123456789012:mapRun:m/M:nope")
    assert info.value.response["Error"]["Code"] == "ResourceNotFound"


def test_failed_map_run_still_writes_its_results(rt: Any) -> None:
    definition = _map(None, body=FAILING_BODY, ResultWriter=_writer("failed"), MaxConcurrency=1)
    desc = run(rt, definition, [{"n": 0}, {"n": 1}, {"n": 2}])
    assert desc["status"] == "FAILED"
    assert desc["error"] == "States.ExceedToleratedFailureThreshold"
    sfn = rt.client("stepfunctions")
    [summary] = sfn.list_map_runs(executionArn=desc["executionArn"])["mapRuns"]
    assert sfn.describe_map_run(mapRunArn=summary["mapRunArn"])["status"] == "FAILED"
    run_id = summary["mapRunArn"].rsplit(":", 1)[-1]
    s3 = rt.client("s3")
    manifest = json.loads(s3.get_object(Bucket="results",
                                        Key=f"failed/{run_id}/manifest.json")["Body"].read())
    [failed_file] = manifest["ResultFiles"]["FAILED"]
    [record] = json.loads(s3.get_object(Bucket="results", Key=failed_file["Key"])["Body"].read())
    assert (record["Error"], json.loads(record["Input"])) == ("Bad", {"n": 1})
    assert len(manifest["ResultFiles"]["SUCCEEDED"]) == 1


def test_map_run_counts_while_children_wait_on_sqs_callbacks(rt: Any) -> None:
    """150 children each send their task token to a local queue and wait; a consumer answers
    100 of them, DescribeMapRun reports a RUNNING run with 100 succeeded, then the rest."""
    from sagestep.stores.queues import LocalQueues

    body = {"StartAt": "Ask", "States": {"Ask": {
        "Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
        "Parameters": {"QueueUrl": "work", "MessageBody": {"n.$": "$.n",
                                                           "token.$": "$$.Task.Token"}},
        "End": True}}}
    sfn = rt.client("stepfunctions")
    arn = sfn.create_state_machine(name="waits", roleArn="arn:aws:iam::123456789012:role/t",
                                   definition=json.dumps(_map(None, body=body)))[
                                       "stateMachineArn"]
    ex = sfn.start_execution(stateMachineArn=arn, input=json.dumps(
        [{"n": i} for i in range(150)]))["executionArn"]
    queues = LocalQueues(rt.workspace.db_path)

    def answer(limit: int) -> int:
        done = 0
        while done < limit and (messages := queues.receive("work", min(10, limit - done))):
            for message in messages:
                data = json.loads(message["Body"])
                sfn.send_task_success(taskToken=data["token"], output=json.dumps(data["n"] * 2))
                queues.delete("work", message["ReceiptHandle"])
                done += 1
        return done

    def until(check: Any) -> Any:
        for _ in range(400):
            rt.engine.wait(ex, timeout=0.05)
            found = check()
            if found:
                return found
        raise AssertionError("timed out")

    until(lambda: queues.count("work") == 150)
    assert answer(100) == 100
    run_arn = sfn.list_map_runs(executionArn=ex)["mapRuns"][0]["mapRunArn"]
    running = until(lambda: (d := sfn.describe_map_run(mapRunArn=run_arn))["itemCounts"][
        "succeeded"] == 100 and d)
    assert running["status"] == "RUNNING" and running["itemCounts"]["total"] == 150
    assert answer(50) == 50
    desc = until(lambda: (d := sfn.describe_execution(executionArn=ex))["status"] != "RUNNING"
                 and d)
    assert json.loads(desc["output"]) == [2 * i for i in range(150)]
    described = sfn.describe_map_run(mapRunArn=run_arn)
    assert described["status"] == "SUCCEEDED" and described["itemCounts"]["succeeded"] == 150


def test_parquet_reader(rt: Any) -> None:
    import io

    import pyarrow as pa
    import pyarrow.parquet as pq

    buffer = io.BytesIO()
    pq.write_table(pa.table({"id": [1, 2, 3], "name": ["a", "b", None]}), buffer)
    _put(rt, "rows.parquet", buffer.getvalue())
    desc = run(rt, _map(_get("PARQUET")), {"Bucket": "data", "Key": "rows.parquet"})
    assert _output(desc) == [{"id": 1, "name": "a"}, {"id": 2, "name": "b"},
                             {"id": 3, "name": None}]
    _put(rt, "bad.parquet", b"not parquet")
    desc = run(rt, _map(_get("PARQUET")), {"Bucket": "data", "Key": "bad.parquet"})
    assert desc["error"] == "States.ItemReaderFailed"

"""Distributed Map: the map run (ARN, DescribeMapRun record) and its ``ResultWriter``.

A distributed Map runs its items as child executions of a map run,
``arn:aws:states:<region>:<account>:mapRun:<machine>/<label>:<id>``; locally the children are
the execution's own threads (durable the same way) and are presented as child executions
(``<machine>/<label>:<child id>``) in the map run record and in the result files.

``ResultWriter`` writes AWS's layout under ``<Prefix>/<id>/``: ``SUCCEEDED_0.json``,
``FAILED_0.json``, ``PENDING_0.json`` (JSON arrays of child execution records; only non-empty
ones) and ``manifest.json`` listing them; the Map's result is then
``{"MapRunArn", "ResultWriterDetails": {"Bucket", "Key"}}``. The files are written by the
``arn:aws:states:::s3:putObject`` integration, so a pass replayed after a crash rewrites the
same keys with the same bytes (written once, in effect).
https://docs.aws.amazon.com/step-functions/latest/dg/input-output-resultwriter.html
"""

from __future__ import annotations

import contextlib
import json
import uuid
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sagestep.engine import jsonata_eval, payload, state_fields
from sagestep.engine.dataflow import jsonata_env
from sagestep.engine.failure import TaskError
from sagestep.engine.integration import CallContext, lookup
from sagestep.engine.payload import Scope
from sagestep.engine.states_error import StatesError, runtime
from sagestep.engine.threads import Fan

if TYPE_CHECKING:
    from sagestep.engine.interpreter import Interpreter

PUT = "arn:aws:states:::s3:putObject"
WRITER_FAILED = "States.ResultWriterFailed"


def start(run: Interpreter, state: Any, started_event: int, limits: Any) -> dict[str, Any]:
    """The map run of ``state`` (deterministic: a replayed pass gets the same ARN)."""
    parts = run.info.machine_arn.split(":")
    region, account = parts[3], parts[4]
    label = state.label or state.name
    run_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{run.info.arn}/{state.name}/{started_event}"))
    prefix = f"arn:aws:states:{region}:{account}"
    return {"arn": f"{prefix}:mapRun:{run.info.machine_name}/{label}:{run_id}", "id": run_id,
            "machine": f"{prefix}:stateMachine:{run.info.machine_name}/{label}",
            "start": run.now, "drop_items": state.result_writer is None, "max_concurrency": limits.max_concurrency,
            "tolerated_count": limits.tolerated_count or 0,
            "tolerated_pct": float(limits.tolerated_percentage or 0.0)}


def record(run: Interpreter, fan: Fan, status: str, written: int = 0) -> None:
    """Upsert the DescribeMapRun row of ``fan``'s map run."""
    info = fan.map_run
    if info is None:
        return
    succeeded = len(fan.ok) if status != "RUNNING" else fan.done - fan.failures
    counts = {"aborted": fan.total - fan.done if status == "ABORTED" else 0,
              "failed": fan.failures, "pending": max(0, fan.total - fan.started),
              "resultsWritten": written, "running": fan.running if status == "RUNNING" else 0,
              "succeeded": succeeded, "timedOut": 0, "total": fan.total}
    data = {"executionArn": run.info.arn, "mapRunArn": info["arn"],
            "stateMachineArn": info["machine"], "status": status, "startDate": info["start"],
            "maxConcurrency": info["max_concurrency"],
            "toleratedFailureCount": info["tolerated_count"],
            "toleratedFailurePercentage": info["tolerated_pct"],
            "itemCounts": counts, "executionCounts": dict(counts)}
    if status != "RUNNING":
        data["stopDate"] = run.now
    run.journal.put_map_run(info["arn"], run.info.arn, json.dumps(data))


def child_arn(info: Mapping[str, Any], index: int) -> tuple[str, str]:
    name = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{info['arn']}/{index}"))
    execution = info["machine"].replace(":stateMachine:", ":execution:") + ":" + name
    return execution, name


def _iso(seconds: float) -> str:
    stamp = datetime.fromtimestamp(seconds, UTC)
    return stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{stamp.microsecond // 1000:03d}Z"


def _writer_params(run: Interpreter, state: Any, raw_input: Any, ctx: Mapping[str, Any],
                   variables: Any) -> dict[str, Any]:
    writer: Mapping[str, Any] = state.result_writer or {}
    if state.jsonata:
        value = jsonata_eval.render(writer.get("Arguments") or {},
                                    jsonata_env(raw_input, ctx, variables), "Arguments")
    else:
        value = payload.render(writer.get("Parameters") or {}, Scope(raw_input, ctx, variables))
    if not isinstance(value, dict) or not isinstance(value.get("Bucket"), str):
        raise runtime("The ResultWriter needs Parameters with a Bucket (and an optional Prefix)")
    return value


def _records(fan: Fan, info: Mapping[str, Any], now: float, ok: bool,
             input_of: Callable[[int, Any], Any]) -> Iterator[dict[str, Any]]:
    """The child execution records of the slots that succeeded (or failed)."""
    items = fan.items or []
    for index in range(fan.total):
        aborted = not ok and fan.results[index] is None
        if index >= fan.started or (index in fan.ok) != ok or aborted:
            continue  # not started, the other kind, or aborted while running
        arn, name = child_arn(info, index)
        child_input = input_of(index, items[index] if index < len(items) else None)
        rec: dict[str, Any] = {
            "ExecutionArn": arn, "Input": json.dumps(child_input, separators=(",", ":")),
            "InputDetails": {"Included": True}, "Name": name}
        result = fan.results[index]
        if ok:
            rec["Output"] = json.dumps(result, separators=(",", ":"))
            rec["OutputDetails"] = {"Included": True}
        else:
            if isinstance(result, dict):
                rec.update({k: result[k] for k in ("Error", "Cause") if k in result})
        rec.update({"RedriveCount": 0, "RedriveStatus": "NOT_REDRIVABLE",
                    "StartDate": _iso(info["start"]), "StateMachineArn": info["machine"],
                    "Status": "SUCCEEDED" if ok else "FAILED", "StopDate": _iso(now)})
        yield rec


def _encode(records: Iterator[dict[str, Any]], config: Mapping[str, Any]) -> bytes:
    """One result file: a JSON array (or JSON lines), streamed record by record."""
    transformation = config.get("Transformation", "NONE")
    jsonl = config.get("OutputType") == "JSONL"
    chunks: list[bytes] = []
    for rec in records:
        value: Any = rec
        if transformation in ("COMPACT", "FLATTEN"):
            value = json.loads(rec["Output"]) if "Output" in rec else {
                k: rec[k] for k in ("Error", "Cause") if k in rec}
        if transformation == "FLATTEN" and isinstance(value, list):
            chunks.extend(json.dumps(v).encode() for v in value)
            continue
        chunks.append(json.dumps(value).encode())
    if jsonl:
        return b"".join(c + b"\n" for c in chunks)
    return b"[" + b",".join(chunks) + b"]"


def write_results(run: Interpreter, t: Any, state: Any, fan: Fan) -> dict[str, Any]:
    """Write the result files and manifest; the Map's result."""
    info = fan.map_run
    assert info is not None
    params = _writer_params(run, state, t.input, run.context(t), run.variables(t))
    bucket, prefix = params["Bucket"], str(params.get("Prefix", "")).rstrip("/")
    base = f"{prefix}/{info['id']}" if prefix else info["id"]
    config: Mapping[str, Any] = (state.result_writer or {}).get("WriterConfig") or {}
    files: dict[str, list[dict[str, Any]]] = {"FAILED": [], "PENDING": [], "SUCCEEDED": []}
    call = CallContext(PUT, run.info.arn, state.name)
    put = lookup(run.integrations, PUT)
    base_ctx, variables = run.context(t), run.variables(t)

    def input_of(index: int, item: Any) -> Any:
        """The child's input: the item after ItemSelector (batches are inputs already)."""
        if fan.prepared:
            return item
        ctx = {**base_ctx, "Map": {"Item": {"Index": index, "Value": item}}}
        return state_fields.item_input(state, item, t.input, ctx, variables)

    for status, ok in (("SUCCEEDED", True), ("FAILED", False)):
        if not (len(fan.ok) if ok else fan.failures):
            continue
        body = _encode(_records(fan, info, run.now, ok, input_of), config)
        key = f"{base}/{status}_0.json"
        _put(put, call, bucket, key, body)
        files[status].append({"Key": key, "Size": len(body)})
    manifest = {"DestinationBucket": bucket, "MapRunArn": info["arn"], "ResultFiles": files}
    key = f"{base}/manifest.json"
    _put(put, call, bucket, key, json.dumps(manifest).encode())
    return {"MapRunArn": info["arn"], "ResultWriterDetails": {"Bucket": bucket, "Key": key}}


def _put(put: Any, call: CallContext, bucket: str, key: str, body: bytes) -> None:
    try:
        put.invoke({"Bucket": bucket, "Key": key, "Body": body}, call)
    except TaskError as exc:
        raise StatesError(WRITER_FAILED, exc.failure.cause or str(exc.failure.error),
                          prefixed=False) from exc


def write_on_failure(run: Interpreter, t: Any, state: Any, fan: Fan) -> None:
    """A failed map run still writes what its children did (best effort: the state fails
    with its own error either way)."""
    if state.result_writer is None or fan.map_run is None:
        return
    with contextlib.suppress(StatesError):
        write_results(run, t, state, fan)

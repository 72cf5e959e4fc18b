"""Smoke test of a freshly deployed target: real invocations, checked status, latency, answers.

What the AWS deploy template's ``test.py`` only pretends to do: invoke the endpoint with each
sample payload (from the config, or the first lines of a dataset such as the evaluation data)
and check the status code, the latency and, when given, the exact expected answer. The result
(one row per invocation) is the promotion's record of what was tested.

Standard library only (a boto3-shaped ``sagemaker-runtime`` client is passed in): it runs in
the helper Lambda on AWS and in-process locally.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

# Where the helper gets its clients: boto3 on AWS; the local facade installs its own
# (the helper runs in-process there), see sagestep.local.
_clients: dict[str, Callable[[], Any]] = {}


def install(runtime: Callable[[], Any], read_text: Callable[[str], str]) -> None:
    """Use these clients instead of boto3 (the local runtime calls this)."""
    _clients["runtime"], _clients["read_text"] = runtime, lambda: read_text


def handle(event: Mapping[str, Any]) -> dict[str, Any]:
    """The helper Lambda's ``smoke`` action: ``{spec, endpoint}`` -> the report."""
    runtime = _clients["runtime"]() if "runtime" in _clients else _boto("sagemaker-runtime")
    reader = _clients["read_text"]() if "read_text" in _clients else _s3_text
    return run(event.get("spec") or {}, str(event["endpoint"]), runtime, reader)


def _boto(service: str) -> Any:
    import boto3

    return boto3.client(service)


def _s3_text(uri: str) -> str:
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    body = _boto("s3").get_object(Bucket=bucket, Key=key)["Body"].read()
    return str(body.decode(errors="replace"))


class SmokeTestFailed(Exception):
    """The endpoint gave a bad answer; the message lists every failed invocation."""


def payloads(spec: Mapping[str, Any], read_text: Callable[[str], str] | None) -> list[str]:
    """The request bodies: the configured payloads, else the dataset's first lines."""
    found = [str(p) for p in spec.get("payloads") or []]
    if found or not spec.get("dataset"):
        return found
    if read_text is None:
        raise SmokeTestFailed(f"smoke_test.dataset {spec['dataset']}: no object store to read")
    lines = [line for line in read_text(str(spec["dataset"])).splitlines() if line.strip()]
    return lines[: int(spec.get("max_records") or 5)]


def run(spec: Mapping[str, Any], endpoint: str, runtime: Any,
        read_text: Callable[[str], str] | None = None,
        clock: Callable[[], float] = time.perf_counter) -> dict[str, Any]:
    """Invoke ``endpoint`` with every payload; the report, or SmokeTestFailed naming failures."""
    bodies = payloads(spec, read_text)
    if not bodies:
        raise SmokeTestFailed(f"smoke test of {endpoint}: no payloads (the dataset is empty)")
    expected = spec.get("expected")
    limit = float(spec.get("max_latency_ms") or 2000)
    rows = [_invoke(runtime, endpoint, body, {**spec, "_index": i}, limit,
                    expected[i] if expected else None, clock) for i, body in enumerate(bodies)]
    failed = [r for r in rows if not r["ok"]]
    report = {"endpoint": endpoint, "invocations": len(rows), "failed": len(failed),
              "max_latency_ms": max(r["latency_ms"] for r in rows), "results": rows}
    if failed:
        reasons = "; ".join(f"payload {r['index']}: {r['reason']}" for r in failed[:5])
        raise SmokeTestFailed(f"smoke test of {endpoint}: {len(failed)} of {len(rows)} "
                              f"invocations failed: {reasons}")
    return report


def _invoke(runtime: Any, endpoint: str, body: str, spec: Mapping[str, Any], limit: float,
            expected: str | None, clock: Callable[[], float]) -> dict[str, Any]:
    request = {"EndpointName": endpoint, "Body": body.encode(),
               "ContentType": str(spec.get("content_type") or "text/csv")}
    if spec.get("accept"):
        request["Accept"] = str(spec["accept"])
    start = clock()
    status, answer = 200, ""
    try:
        response = runtime.invoke_endpoint(**request)
        raw = response["Body"].read() if hasattr(response["Body"], "read") else response["Body"]
        answer = raw.decode(errors="replace") if isinstance(raw, bytes) else str(raw)
    except Exception as exc:  # ModelError and friends carry the container's status code
        status, answer = _status(exc), str(exc)[:300]
    latency = round((clock() - start) * 1000, 2)
    index = int(spec.get("_index", 0))
    reason = ""
    if status != 200:
        reason = f"status {status}: {answer}"
    elif latency > limit:
        reason = f"took {latency} ms (limit {limit:g} ms)"
    elif expected is not None and answer.strip() != str(expected).strip():
        reason = f"answered {answer.strip()[:80]!r}, expected {str(expected).strip()[:80]!r}"
    return {"index": index, "status": status, "latency_ms": latency, "ok": not reason,
            "reason": reason, "response": answer[:200]}


def _status(exc: Exception) -> int:
    response = getattr(exc, "response", None)
    if isinstance(response, Mapping):
        original = response.get("OriginalStatusCode")
        if original:
            return int(original)
        meta = response.get("ResponseMetadata") or {}
        if meta.get("HTTPStatusCode"):
            return int(meta["HTTPStatusCode"])
    return 500

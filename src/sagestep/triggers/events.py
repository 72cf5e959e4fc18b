"""Trigger events in every shape the seeds send, reduced to one record: :class:`Trigger`.

Accepted: EventBridge S3 "Object Created"; native S3 notifications (``Records[].s3``,
URL-encoded keys); SQS-style ``Records[].body`` (a JSON string or an object) and SNS
``Records[].Sns.Message`` wrapping any of these; EventBridge "Scheduled Event"; seed 002's
``{"config": {"bucket", "prefix"}}``; seed 000's ``{"consumption_pipeline_name",
"dataset_date"}``; and a manual ``{"pipeline": NAME, ...}``.

Standard library only: this module ships inside the router Lambda.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote_plus

from sagestep.errors import RouterError
from sagestep.triggers import breach, package_event

SHAPES = (
    "EventBridge S3 'Object Created' ({source: aws.s3, detail: {bucket, object}})",
    "S3 notification ({Records: [{s3: {bucket, object}}]})",
    "SQS/SNS records wrapping any accepted shape ({Records: [{body: ...}]})",
    "EventBridge 'Scheduled Event' ({detail-type: Scheduled Event, resources: [rule ARN]})",
    "EventBridge 'Step Functions Execution Status Change' (a monitoring breach: retraining)",
    "EventBridge 'SageMaker Model Package State Change' (an approved package: deploy it)",
    "seed 002 {config: {bucket, prefix}}",
    "seed 000 {consumption_pipeline_name, dataset_date}",
    "manual {pipeline: NAME, dataset_date?, params?, run_key?, object?: s3://bucket/key}",
)
_MAX_DEPTH = 4


@dataclass(frozen=True)
class Trigger:
    """One routable occurrence: what happened, where, and its identity for idempotency."""

    type: str  # "s3" | "schedule" | "manual" | "config" | "breach" | "model_package"
    identity: str  # stable across redeliveries of the same event
    time: str = ""  # ISO-8601 of the occurrence ("" when the event carries none)
    bucket: str = ""
    key: str = ""
    pipeline: str = ""  # named explicitly by the event
    rule: str = ""  # schedule rule name
    dataset_date: str = ""
    params: Mapping[str, Any] = field(default_factory=dict)
    detail: Mapping[str, Any] = field(default_factory=dict)  # S3 / package detail, for patterns

    @property
    def uri(self) -> str:
        return f"s3://{self.bucket}/{self.key}" if self.bucket else ""


@dataclass(frozen=True)
class Ignored:
    """An event that is well-formed but starts nothing (S3 test event, Object Deleted)."""

    reason: str


def parse(event: Any, request_id: str = "") -> list[Trigger | Ignored]:
    """Every trigger in ``event``; RouterError naming the accepted shapes otherwise."""
    return _parse(event, request_id, 0)


def _parse(event: Any, request_id: str, depth: int) -> list[Trigger | Ignored]:
    if depth > _MAX_DEPTH:
        raise RouterError("event nests records more than 4 levels deep; send the event itself")
    if isinstance(event, str | bytes):
        event = _json(event, "event")
    if not isinstance(event, Mapping):
        raise _unroutable(f"the event is a {type(event).__name__}, not a JSON object")
    if isinstance(event.get("Records"), list):
        return _records(event["Records"], request_id, depth)
    if event.get("source") == "aws.s3" or event.get("detail-type") == "Object Created":
        return [_eventbridge_s3(event)]
    if event.get("detail-type") == "Scheduled Event":
        return [_scheduled(event)]
    if event.get("detail-type") == breach.DETAIL_TYPE:
        return [_breach(event)]
    if event.get("detail-type") == package_event.DETAIL_TYPE:
        return [_package(event)]
    if event.get("Event") == "s3:TestEvent":
        return [Ignored("S3 test event")]
    if isinstance(event.get("config"), Mapping):
        return [_seed002(event, request_id)]
    if "consumption_pipeline_name" in event:
        return [_seed000(event, request_id)]
    if "pipeline" in event:
        return [_manual(event, request_id)]
    raise _unroutable(f"no known shape matches keys {sorted(event)[:8]}")


def _records(records: list[Any], request_id: str, depth: int) -> list[Trigger | Ignored]:
    found: list[Trigger | Ignored] = []
    for i, record in enumerate(records):
        if not isinstance(record, Mapping):
            raise _unroutable(f"Records[{i}] is not an object")
        if isinstance(record.get("s3"), Mapping):
            found.append(_s3_record(record, i))
        elif "body" in record:
            rid = str(record.get("messageId") or request_id)
            found.extend(_parse(record["body"], f"{rid}#{i}", depth + 1))
        elif isinstance(record.get("Sns"), Mapping):
            rid = str(record["Sns"].get("MessageId") or request_id)
            found.extend(_parse(record["Sns"].get("Message"), f"{rid}#{i}", depth + 1))
        else:
            raise _unroutable(f"Records[{i}] has none of s3, body, Sns")
    return found


def _eventbridge_s3(event: Mapping[str, Any]) -> Trigger | Ignored:
    if event.get("detail-type") != "Object Created":
        return Ignored(f"S3 event {event.get('detail-type')!r} is not 'Object Created'")
    detail = event.get("detail")
    bucket = _dig(detail, "bucket", "name")
    key = _dig(detail, "object", "key")
    if not bucket or not key:
        raise RouterError("S3 'Object Created' event lacks detail.bucket.name or detail.object.key")
    assert isinstance(detail, Mapping)
    ident = str(event.get("id") or f"{bucket}/{key}@{_dig(detail, 'object', 'sequencer')}")
    return Trigger(
        "s3", ident, time=str(event.get("time") or ""), bucket=bucket, key=key, detail=detail
    )


def _s3_record(record: Mapping[str, Any], index: int) -> Trigger | Ignored:
    name = str(record.get("eventName") or "")
    if name and not name.startswith("ObjectCreated"):
        return Ignored(f"S3 notification {name!r} is not ObjectCreated")
    s3 = record["s3"]
    bucket = _dig(s3, "bucket", "name")
    raw_key = _dig(s3, "object", "key")
    if not bucket or not raw_key:
        raise RouterError(f"Records[{index}].s3 lacks bucket.name or object.key")
    # Notification keys are form-encoded: "+" is a space and "%2B" a plus.
    key = unquote_plus(raw_key)
    obj = s3.get("object") or {}
    request = _dig(record, "responseElements", "x-amz-request-id") or ""
    ident = f"{bucket}/{key}@{obj.get('sequencer') or obj.get('eTag') or ''}#{request}"
    detail = {
        "bucket": {"name": bucket},
        "object": {
            "key": key, "size": obj.get("size"), "etag": obj.get("eTag"),
            "sequencer": obj.get("sequencer"),
        },
        "reason": name,
    }
    return Trigger(
        "s3", ident, time=str(record.get("eventTime") or ""), bucket=bucket, key=key, detail=detail
    )


def _scheduled(event: Mapping[str, Any]) -> Trigger:
    resources = event.get("resources")
    arn = str(resources[0]) if isinstance(resources, list) and resources else ""
    if ":rule/" not in arn:
        raise RouterError(
            "scheduled event lacks resources[0] naming its rule (arn:aws:events:...:rule/NAME); "
            "target the router from a schedule rule without an input transformer"
        )
    rule = arn.rsplit("/", 1)[-1]
    ident = str(event.get("id") or f"{arn}@{event.get('time')}")
    return Trigger("schedule", ident, time=str(event.get("time") or ""), rule=rule)


def _seed002(event: Mapping[str, Any], request_id: str) -> Trigger:
    config = event["config"]
    bucket, prefix = config.get("bucket"), config.get("prefix")
    if not bucket or not prefix:
        raise RouterError("event.config needs 'bucket' and 'prefix' (the S3 key of the config)")
    extras = {k: v for k, v in event.items() if k != "config"}
    return Trigger(
        "config", _identity(event, request_id), bucket=str(bucket), key=str(prefix),
        params=extras, time=str(event.get("time") or ""),
    )


def _seed000(event: Mapping[str, Any], request_id: str) -> Trigger:
    name = event.get("consumption_pipeline_name")
    if not isinstance(name, str) or not name:
        raise RouterError("consumption_pipeline_name must be the pipeline's name (a string)")
    date = str(event.get("dataset_date") or "")
    known = {"consumption_pipeline_name", "dataset_date", "event_source"}
    params = {k: v for k, v in event.items() if k not in known}
    # Seed 000's EventBridge transformer sends the ingestion time as dataset_date.
    return Trigger(
        "manual", _identity(event, request_id), pipeline=name, dataset_date=date[:10],
        time=date if "T" in date else "", params=params,
    )


def _manual(event: Mapping[str, Any], request_id: str) -> Trigger:
    name = event.get("pipeline")
    if not isinstance(name, str) or not name:
        raise RouterError("'pipeline' must name a registered pipeline (a string)")
    params = dict(event.get("params") or {})
    known = {"pipeline", "params", "dataset_date", "run_key", "time", "object", "trigger", "rule"}
    params.update({k: v for k, v in event.items() if k not in known})
    bucket, key = _object(event.get("object"))
    # A schedule rule's constant input ({"pipeline", "trigger": "schedule"}, as the Terraform
    # module sends it) names the pipeline itself; keep its kind for the run.
    kind = "schedule" if event.get("trigger") == "schedule" else "manual"
    return Trigger(
        kind, _identity(event, request_id), pipeline=name, rule=str(event.get("rule") or ""),
        dataset_date=str(event.get("dataset_date") or "")[:10], time=str(event.get("time") or ""),
        params=params, bucket=bucket, key=key,
    )


def _breach(event: Mapping[str, Any]) -> Trigger | Ignored:
    detail = event.get("detail")
    found = breach.breach(detail if isinstance(detail, Mapping) else {})
    if isinstance(found, str):
        return Ignored(found)
    pipeline, identity, params = found
    return Trigger("breach", identity, time=str(event.get("time") or ""), pipeline=pipeline,
                   params=params)


def _package(event: Mapping[str, Any]) -> Trigger | Ignored:
    detail = event.get("detail")
    detail = detail if isinstance(detail, Mapping) else {}
    ident = package_event.identity(detail)
    if ident is None:
        raise RouterError("'SageMaker Model Package State Change' event lacks "
                          "detail.ModelPackageArn or detail.ModelApprovalStatus")
    # The package's creation date names the run, so a redelivery on another day (or a
    # second approval) renders the same execution name as the first.
    created = str(detail.get("CreationTime") or "")
    return Trigger("model_package", ident, time=str(event.get("time") or ""),
                   dataset_date=created[:10] if created[:4].isdigit() else "", detail=detail)


def _object(uri: Any) -> tuple[str, str]:
    # A manual run may name the object it is about, as an S3 trigger would.
    if uri in (None, ""):
        return "", ""
    if not isinstance(uri, str) or not uri.startswith("s3://") or "/" not in uri[5:]:
        raise RouterError(f"'object' must be an s3://bucket/key URI, got {uri!r}")
    bucket, _, key = uri[5:].partition("/")
    return bucket, key


def _identity(event: Mapping[str, Any], request_id: str) -> str:
    # An explicit run_key wins; else the delivery id (SQS messageId, Lambda request id, which
    # Lambda keeps across its async retries); else the event's own content.
    if event.get("run_key"):
        return f"key:{event['run_key']}"
    if request_id:
        return f"req:{request_id}"
    return "body:" + json.dumps(event, sort_keys=True, default=str)


def _dig(obj: Any, *keys: str) -> str:
    for key in keys:
        if not isinstance(obj, Mapping):
            return ""
        obj = obj.get(key)
    return str(obj) if obj not in (None, "") else ""


def _json(text: str | bytes, what: str) -> Any:
    try:
        return json.loads(text)
    except ValueError as exc:
        raise _unroutable(f"{what} is not JSON ({exc})") from exc


def _unroutable(why: str) -> RouterError:
    return RouterError(f"cannot route event: {why}. Accepted shapes: " + "; ".join(SHAPES))

"""Render one run of a pipeline: run values, names, placeholders, the execution input.

Placeholders are ``{{ name }}`` inside any string of a config's stages (``{{`` rather than
``${`` so Terraform's templatefile leaves them alone). Seed 002's bare ``SFN_EXECUTION_ID``
is the execution name. Placeholders this module does not know (``{{ stages.* }}``, outputs
of earlier stages known only while the run executes) are left as they are.

Standard library only: this module ships inside the router Lambda.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sagestep.triggers import names
from sagestep.triggers.events import Trigger

PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_.\-]*)\s*\}\}")
SEED002_EXECUTION_ID = "SFN_EXECUTION_ID"
KNOWN = (
    "pipeline", "config_version", "run.id", "run.execution_name", "run.dataset_date",
    "run.date", "run.time", "trigger.type", "trigger.bucket", "trigger.key", "trigger.uri",
    "trigger.prefix", "trigger.filename", "trigger.rule", "params.<name>", "names.<stage>",
)


@dataclass(frozen=True)
class Run:
    """What the router starts: the execution name and its input."""

    pipeline: str
    execution_name: str
    input: dict[str, Any]


def render_run(item: Mapping[str, Any], trigger: Trigger, now: float,
               extra: Mapping[str, Any] | None = None) -> Run:
    """The execution input of ``item`` run by ``trigger`` (``now`` only fills missing dates)."""
    pipeline = str(item["name"])
    when = _event_time(trigger.time) or datetime.fromtimestamp(now, tz=UTC)
    dataset_date = trigger.dataset_date or when.strftime("%Y-%m-%d")
    rid = names.run_id(pipeline, trigger.identity)
    execution = names.execution_name(pipeline, dataset_date, rid)
    endpoint = _configured_endpoint(item)
    # Deploy order: when the router handled the trigger (milliseconds). Event times have whole
    # seconds (EventBridge), so a batch of uploads would tie; a redelivered event renders a
    # new order but its StartExecution is refused as a duplicate (same execution name).
    order = names.deploy_order(datetime.fromtimestamp(now, tz=UTC))
    run_names = names.run_names(pipeline, rid, endpoint, order)
    prefix, _, filename = trigger.key.rpartition("/")
    values: dict[str, Any] = {
        "pipeline": pipeline,
        "config_version": item.get("version"),
        "run": {
            "id": rid, "execution_name": execution, "dataset_date": dataset_date,
            "date": dataset_date.replace("-", ""), "time": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
        },
        "trigger": {
            "type": trigger.type, "bucket": trigger.bucket, "key": trigger.key,
            "uri": trigger.uri, "prefix": prefix, "filename": filename, "rule": trigger.rule,
        },
        "params": dict(trigger.params),
        "names": run_names,
        **(extra or {}),  # looked up by the router: model_package
    }
    if trigger.type == "model_package":  # which change started it (a rejection: a rollback)
        values["trigger"].update(package=trigger.detail.get("ModelPackageArn"),
                                 status=trigger.detail.get("ModelApprovalStatus"))
    stages = substitute(item.get("stages") or {}, values)
    payload = {
        "pipeline": pipeline,
        "config_version": item.get("version"),
        "run": {**values["run"], "trigger": values["trigger"], "params": values["params"]},
        "names": run_names,
        "stages": stages,
        **(extra or {}),
    }
    for key, value in item.items():  # pass other top-level settings through, rendered
        if key not in payload and key not in ("name", "version", "triggers", "created"):
            payload[key] = substitute(value, values)
    _target_names(payload, rid)
    return Run(pipeline, execution, payload)


def _target_names(payload: dict[str, Any], rid: str) -> None:
    # Each promotion target gets its own endpoint config name per run (the model is shared).
    promotion = payload.get("promotion")
    if not isinstance(promotion, Mapping):
        return
    for target in promotion.get("targets") or []:
        if isinstance(target, dict):
            endpoint = str(target.get("endpoint_name") or "endpoint")
            config = names.fit(f"{endpoint}-epc", rid, names.JOB_LIMIT - names.ATTEMPT_RESERVE)
            target["names"] = {"endpoint": endpoint, "endpoint_config": config}


def substitute(value: Any, values: Mapping[str, Any]) -> Any:
    """``value`` with known placeholders replaced in every string, recursively."""
    if isinstance(value, str):
        return _render_string(value, values)
    if isinstance(value, Mapping):
        return {k: substitute(v, values) for k, v in value.items()}
    if isinstance(value, list):
        return [substitute(v, values) for v in value]
    return value


def _render_string(text: str, values: Mapping[str, Any]) -> Any:
    whole = PLACEHOLDER.fullmatch(text.strip())
    if whole:  # a string that is only a placeholder keeps the value's type (numbers, lists)
        found = lookup(values, whole.group(1))
        if found is not _UNKNOWN:
            return found
    text = PLACEHOLDER.sub(lambda m: _as_text(lookup(values, m.group(1)), m.group(0)), text)
    if SEED002_EXECUTION_ID in text:
        text = text.replace(SEED002_EXECUTION_ID, str(values["run"]["execution_name"]))
    return text


_UNKNOWN = object()


def lookup(values: Mapping[str, Any], dotted: str) -> Any:
    """The value at ``a.b.c`` in ``values``, or a private sentinel when absent."""
    current: Any = values
    for part in dotted.split("."):
        if not isinstance(current, Mapping) or part not in current:
            return _UNKNOWN
        current = current[part]
    return current


def is_known(dotted: str) -> bool:
    """True when ``dotted`` names a run value the router fills in (for config validation)."""
    head = dotted.split(".", 1)[0]
    if head in ("params", "names", "model_package"):
        return "." in dotted
    return dotted in KNOWN


def _as_text(found: Any, original: str) -> str:
    if found is _UNKNOWN:
        return original
    return "" if found is None else str(found)


def _configured_endpoint(item: Mapping[str, Any]) -> str | None:
    deploy = (item.get("stages") or {}).get("deploy")
    if isinstance(deploy, Mapping):
        name = deploy.get("endpoint_name") or deploy.get("EndpointName")
        if isinstance(name, str) and name and "{{" not in name:
            return name
    return None


def _event_time(text: str) -> datetime | None:
    if not text:
        return None
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        try:  # seed 000 sends <aws.events.event.ingestion-time>, milliseconds since epoch
            return datetime.fromtimestamp(float(text) / 1000, tz=UTC)
        except (ValueError, OverflowError, OSError):  # not a time at all: use the clock's
            return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)

"""The router: the Lambda handler that turns trigger events into pipeline executions.

    handle(event, context)                      # on AWS (config from the environment)
    Router(configs, sfn, state_machine_arn).route(event)   # anywhere (locally: local clients)

It finds each event's pipeline config (by name, or by matching the configs' S3 triggers and
schedules), renders the run (names, dates, placeholders; see render.py) and starts one
execution per (event, pipeline). Execution names are deterministic per event, so a
duplicate delivery gets ExecutionAlreadyExists, which counts as success: one execution.

This module ships as a Lambda: it imports only the standard library and (lazily) boto3.
Environment (read at each call, never at import): SAGESTEP_STATE_MACHINE_ARN (or seed 002's
STATE_MACHINE_ARN), SAGESTEP_CONFIG_TABLE, AWS_REGION.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any, Protocol

from sagestep.errors import RouterError
from sagestep.triggers import eventpattern, names, package_event
from sagestep.triggers.events import Ignored, Trigger, parse
from sagestep.triggers.model_source import NothingToStart
from sagestep.triggers.render import Run, render_run

log = logging.getLogger("sagestep.router")
STATE_MACHINE_ENV = ("SAGESTEP_STATE_MACHINE_ARN", "STATE_MACHINE_ARN")
TABLE_ENV = "SAGESTEP_CONFIG_TABLE"


class ConfigSource(Protocol):
    """Read side of the config registry: latest normalised item per pipeline."""

    def get(self, name: str) -> Mapping[str, Any] | None: ...

    def items(self) -> Iterable[Mapping[str, Any]]: ...


class Starter(Protocol):
    """The part of a boto3 ``stepfunctions`` client the router uses."""

    def start_execution(self, **kwargs: Any) -> Mapping[str, Any]: ...


@dataclass(frozen=True)
class Started:
    """One execution the router started (or found already started for the same event)."""

    pipeline: str
    name: str
    arn: str
    duplicate: bool

    def to_dict(self) -> dict[str, Any]:
        return {"pipeline": self.pipeline, "name": self.name, "executionArn": self.arn,
                "duplicate": self.duplicate}


class Router:
    """Routes events to executions through injected config source and starter."""

    def __init__(
        self, configs: ConfigSource, sfn: Starter, state_machine_arn: str,
        clock: Callable[[], float] = time.time,
        adjust: Callable[[dict[str, Any]], None] | None = None,
        sagemaker: Callable[[], Any] | None = None,
    ) -> None:
        self.configs = configs
        self.sfn = sfn
        self.state_machine_arn = state_machine_arn
        self.clock = clock
        self.adjust = adjust  # a backend's last word on the input (e.g. local poll intervals)
        self.sagemaker = sagemaker  # a client factory, used only by configs with model_source

    def route(self, event: Any, request_id: str = "") -> dict[str, Any]:
        """Start the executions ``event`` asks for; RouterError if any part is unroutable."""
        started: list[Started] = []
        ignored: list[str] = []
        errors: list[RouterError] = []
        for trigger in parse(event, request_id):
            if isinstance(trigger, Ignored):
                ignored.append(trigger.reason)
                continue
            try:
                _check_key(trigger)
                items = self.find(trigger)
                if not items:
                    ignored.append("no pipeline's trigger matches "
                                   + (trigger.uri or trigger.rule or trigger.identity))
                for item, params in items:
                    started.append(self.start(item, _with_params(trigger, params)))
            except NothingToStart as exc:
                ignored.append(str(exc))
            except RouterError as exc:
                errors.append(exc)
            except (KeyError, TypeError, AttributeError, ValueError) as exc:
                # A hand-edited (DynamoDB) item can hold anything; report it, route the rest.
                problem = RouterError(
                    f"a registered config is malformed for this event ({type(exc).__name__}: "
                    f"{exc}); fix it and re-register it with `sagestep register`"
                )
                problem.__cause__ = exc
                errors.append(problem)
        result = {"started": [s.to_dict() for s in started], "ignored": ignored}
        log.info("router: %s", json.dumps(result))
        if errors:
            done = f" (started {len(started)} other)" if started else ""
            cause = errors[0].__cause__ or errors[0]
            raise RouterError("; ".join(str(e) for e in errors) + done) from cause
        return result

    def find(self, trigger: Trigger) -> list[tuple[Mapping[str, Any], Mapping[str, Any]]]:
        """The configs ``trigger`` runs, each with extra params (a schedule's input)."""
        if trigger.pipeline:
            item = self.configs.get(trigger.pipeline)
            if item is None:
                raise RouterError(
                    f"no pipeline named {trigger.pipeline!r} is registered; registered: "
                    f"{_names(self.configs.items())}. Register it with `sagestep register`"
                )
            return [(item, {})]
        if trigger.type == "s3":
            return [(i, {}) for i in self.configs.items() if _safely(s3_trigger_matches, i, trigger)]
        if trigger.type == "schedule":
            return [(i, p) for i in self.configs.items()
                    for p in _safely(_schedule_inputs, i, trigger.rule) or []]
        if trigger.type == "model_package":
            return [(i, {}) for i in self.configs.items()
                    if _safely(package_trigger_matches, i, trigger)]
        return [(self._by_source(trigger), {})]

    def start(self, item: Mapping[str, Any], trigger: Trigger) -> Started:
        """Render and start one run of ``item``; an already-started duplicate is success."""
        run = render_run(item, trigger, self.clock(), self._model_values(item, trigger))
        if self.adjust is not None:
            self.adjust(run.input)
        arn = self._state_machine(item)
        try:
            response = self.sfn.start_execution(
                stateMachineArn=arn, name=run.execution_name,
                input=json.dumps(run.input, sort_keys=True, default=_json_default),
            )
        except Exception as exc:
            if _error_code(exc) != "ExecutionAlreadyExists":
                raise RouterError(
                    f"starting {run.execution_name} of pipeline {run.pipeline!r} on {arn} "
                    f"failed: {exc}"
                ) from exc
            return Started(run.pipeline, run.execution_name, _execution_arn(arn, run), True)
        return Started(run.pipeline, run.execution_name, str(response["executionArn"]), False)

    def _model_values(self, item: Mapping[str, Any], trigger: Trigger) -> dict[str, Any]:
        from sagestep.triggers.model_source import after_rejection, describe, latest_approved

        if trigger.type == "model_package":
            if trigger.detail.get("ModelApprovalStatus") == "Rejected":
                if self.sagemaker is None:
                    raise RouterError("a Rejected model_package trigger needs a SageMaker "
                                      "client, which this router lacks")
                return {"model_package": after_rejection(self.sagemaker(), trigger.detail)}
            return {"model_package": describe(trigger.detail)}  # exactly the event's package
        source = item.get("model_source")
        if not isinstance(source, Mapping) or not source.get("model_package_group"):
            return {}
        if self.sagemaker is None:
            raise RouterError("model_source needs a SageMaker client, which this router lacks")

        group = str(source["model_package_group"])
        return {"model_package": latest_approved(self.sagemaker(), group)}

    def _state_machine(self, item: Mapping[str, Any]) -> str:
        configured = str(item.get("state_machine") or "")
        if configured.startswith("arn:"):
            return configured
        if configured and ":stateMachine:" in self.state_machine_arn:
            return self.state_machine_arn.rsplit(":", 1)[0] + ":" + configured
        if not self.state_machine_arn:
            raise RouterError(
                "no state machine to start: set SAGESTEP_STATE_MACHINE_ARN on the router "
                "or 'state_machine' (an ARN) in the pipeline config"
            )
        return self.state_machine_arn

    def _by_source(self, trigger: Trigger) -> Mapping[str, Any]:
        for item in self.configs.items():
            if item.get("source_uri") == trigger.uri:
                return item
        raise RouterError(
            f"no registered pipeline was loaded from {trigger.uri}; register that file first "
            f"(`sagestep register {trigger.uri}`) so the router can find it"
        )


def _check_key(trigger: Trigger) -> None:
    """RouterError for an object key with '.' or '..' segments, before any run starts.

    S3 accepts such keys, but a run's steps turn keys into paths (the local store, a
    job's input channel) where ``..`` climbs out of its directory.
    """
    if trigger.key and any(part in (".", "..") for part in trigger.key.split("/")):
        raise RouterError(f"object key {trigger.key!r} of s3://{trigger.bucket} has a '.' or "
                          "'..' segment; refused (rename the object)")


def _safely(check: Callable[..., Any], item: Mapping[str, Any], *args: Any) -> Any:
    """``check(item, ...)``, or None (logged) when the item's triggers are malformed."""
    try:
        return check(item, *args)
    except (KeyError, TypeError, AttributeError, ValueError) as exc:
        log.warning("router: skipping config %r, malformed triggers: %s", item.get("name"), exc)
        return None


def s3_trigger_matches(item: Mapping[str, Any], trigger: Trigger) -> bool:
    """True when one of ``item``'s S3 triggers matches the object ``trigger`` names."""
    for spec in (item.get("triggers") or {}).get("s3") or []:
        if eventpattern.matches(s3_pattern(spec), trigger.detail):
            return True
    return False


def package_trigger_matches(item: Mapping[str, Any], trigger: Trigger) -> bool:
    """True when one of ``item``'s model_package triggers matches the event's package."""
    for spec in (item.get("triggers") or {}).get("model_package") or []:
        if eventpattern.matches(package_event.pattern(spec), trigger.detail):
            return True
    return False


def s3_pattern(spec: Mapping[str, Any]) -> dict[str, Any]:
    """The EventBridge pattern (on the S3 event's ``detail``) of one S3 trigger spec."""
    pattern: dict[str, Any] = {"bucket": {"name": [spec["bucket"]]}}
    key_ops: list[dict[str, Any]] = []
    if spec.get("prefix"):
        key_ops.append({"prefix": spec["prefix"]})
    if spec.get("suffix"):
        key_ops.append({"suffix": spec["suffix"]})
    if len(key_ops) == 1:
        pattern["object"] = {"key": key_ops}
    elif key_ops:  # prefix AND suffix on one field: a wildcard says both
        prefix, suffix = spec["prefix"].replace("*", "\\*"), spec["suffix"].replace("*", "\\*")
        pattern["object"] = {"key": [{"wildcard": f"{prefix}*{suffix}"}]}
    extra = spec.get("pattern")
    if isinstance(extra, Mapping):
        pattern = _merge(extra, pattern)
    return pattern


def _merge(a: Mapping[str, Any], b: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(a)
    for key, value in b.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def _schedule_inputs(item: Mapping[str, Any], rule: str) -> list[Mapping[str, Any]]:
    found = []
    schedules = (item.get("triggers") or {}).get("schedules") or []
    for index, spec in enumerate(schedules):
        own = spec.get("name") or names.schedule_rule_name(str(item["name"]), index)
        if own == rule:
            found.append(spec.get("input") or {})
    return found


def _with_params(trigger: Trigger, params: Mapping[str, Any]) -> Trigger:
    if not params:
        return trigger
    return replace(trigger, params={**params, **trigger.params})


def _names(items: Iterable[Mapping[str, Any]]) -> str:
    found = sorted(str(i.get("name")) for i in items)
    return ", ".join(found) if found else "(none)"


def _error_code(exc: Exception) -> str:
    response = getattr(exc, "response", None)
    if isinstance(response, Mapping):
        return str((response.get("Error") or {}).get("Code") or "")
    return type(exc).__name__


def _execution_arn(state_machine_arn: str, run: Run) -> str:
    return state_machine_arn.replace(":stateMachine:", ":execution:") + ":" + run.execution_name


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):  # DynamoDB numbers
        return int(value) if value == value.to_integral_value() else float(value)
    raise TypeError(f"cannot serialise {type(value).__name__} into the execution input")


# --- AWS: DynamoDB config source and the Lambda entry point ------------------------------


class DynamoDBConfigSource:
    """Latest config items from the registry table (see stores/registry.py for the layout)."""

    def __init__(self, table: Any) -> None:
        self.table = table

    def get(self, name: str) -> Mapping[str, Any] | None:
        from boto3.dynamodb.conditions import Key

        response = self.table.query(
            KeyConditionExpression=Key("name").eq(name), ScanIndexForward=False, Limit=1
        )
        rows = response.get("Items") or []
        return _item(rows[0]) if rows else None

    def items(self) -> Iterable[Mapping[str, Any]]:
        latest: dict[str, Mapping[str, Any]] = {}
        kwargs: dict[str, Any] = {}
        while True:
            response = self.table.scan(**kwargs)
            for row in response.get("Items") or []:
                item = _item(row)
                name = str(item.get("name"))
                if name not in latest or _version(item) > _version(latest[name]):
                    latest[name] = item
            if "LastEvaluatedKey" not in response:
                return list(latest.values())
            kwargs["ExclusiveStartKey"] = response["LastEvaluatedKey"]


def _item(row: Mapping[str, Any]) -> Mapping[str, Any]:
    body = row.get("item")
    if isinstance(body, str):
        return dict(json.loads(body))
    return row


def _version(item: Mapping[str, Any]) -> int:
    return int(item.get("version") or 0)


_clients: dict[tuple[str, str], Any] = {}


def _boto(service: str, region: str | None) -> Any:
    # Clients are safe to reuse across warm invocations; run names are not (seed 000's bug).
    key = (service, region or "")
    if key not in _clients:
        import boto3

        if service == "dynamodb":
            _clients[key] = boto3.resource("dynamodb", region_name=region)
        else:
            _clients[key] = boto3.client(service, region_name=region)
    return _clients[key]


def handle(event: Any, context: Any = None) -> dict[str, Any]:
    """Lambda entry point: route ``event`` with DynamoDB configs and AWS Step Functions."""
    env = os.environ
    region = env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION")
    table = env.get(TABLE_ENV)
    if not table:
        raise RouterError(f"the router needs {TABLE_ENV} (the config registry table) set")
    arn = next((env[k] for k in STATE_MACHINE_ENV if env.get(k)), "")
    router = Router(
        DynamoDBConfigSource(_boto("dynamodb", region).Table(table)),
        _boto("stepfunctions", region), arn, sagemaker=lambda: _boto("sagemaker", region),
    )
    return router.route(event, request_id=str(getattr(context, "aws_request_id", "") or ""))


handler = handle  # the name Terraform's Lambda handler setting uses

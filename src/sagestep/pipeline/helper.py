"""The helper Lambda of the generic state machine: what ASL intrinsics cannot express.

Actions (``event["action"]``), each a pure function of the event (no AWS calls, so the
function needs no permissions and runs the same in-process locally):

- ``render``: the SageMaker request of a stage for one attempt: the stage's request
  template with runtime placeholders (``{{ state.model_data }}``) resolved and the job name
  ``<names.x>-<attempt>`` set. Intrinsics cannot do this: ``States.JsonMerge`` is shallow and
  the model artifact sits inside lists (ProcessingInputs, InferenceSpecification.Containers).
- ``gate``: the metric of the gate (a key path into evaluation.json, or a training job's
  FinalMetricDataList) compared with the threshold. A Choice needs a static path; the path
  here is config data.
- ``retry``: whether a failed job runs again under the stage's ``retry`` policy (data, so
  one generic machine serves every config), counting loops in ``$.work.retries.<stage>``.
- ``approval``: the callback task of a manual approval; it only acknowledges (the token is
  in the execution history where ``sagestep approve``/``reject`` find it).
- ``fail``: where a failed run ends: raises the failed stage's error (the run fails in this
  Task), or, in a later redrive of the run, returns so that the machine resumes the stage.
- ``deploy_turn``: whether a deploy that waited for its endpoint applies its update or is
  superseded by a later run's model (``pipeline.deployqueue``).

Standard library only (plus sagestep.pipeline.stages and pipeline.deployqueue): this module
ships in the router Lambda's zip.
"""

from __future__ import annotations

import json
import operator
import os
import re
from collections.abc import Callable, Mapping
from typing import Any

from sagestep.pipeline.deployqueue import deploy_turn
from sagestep.pipeline.stages import JOB_STAGES

STACK_ENV = "SAGESTEP_STACK"
STACK_TAG = "sagestep:stack"
# https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateTrainingJob.html
JOB_LIMIT = 63
TUNING_LIMIT = 32

# stage -> (names key, request name field, limit)
JOB_NAMES: dict[str, tuple[str, str, int]] = {
    stage: (key, field, TUNING_LIMIT if stage == "tuning" else JOB_LIMIT)
    for stage, (key, field, _) in JOB_STAGES.items()
}
OPERATORS: dict[str, tuple[Callable[[float, float], bool], str]] = {
    "less_than": (operator.lt, "<"),
    "less_than_or_equal": (operator.le, "<="),
    "greater_than": (operator.gt, ">"),
    "greater_than_or_equal": (operator.ge, ">="),
}
RUNTIME = re.compile(r"\{\{\s*state\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
LEFTOVER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_.\-]*)\s*\}\}")


class RenderError(Exception):
    """A stage's request cannot be rendered (the Lambda's errorType names this class)."""


class GateError(Exception):
    """The gate's metric cannot be read."""


def handler(event: Mapping[str, Any], context: Any = None) -> Any:
    """Lambda entry point."""
    action = event.get("action")
    if action == "render":
        stage, state = str(event["stage"]), event["state"]
        attempt = int(event.get("attempt") or 0)
        # Each loop of the stage's retry policy re-enters the stage with a fresh RetryCount.
        loops = int((_retries(state, stage)).get("count") or 0)
        index = loops * int(event.get("attempts") or 1) + attempt
        request = render(stage, index, state, int(event.get("redrive") or 0))
        # Config enters here: the Terraform module sets the stack name on the Lambda.
        return tag_with_stack(request, os.environ.get(STACK_ENV, ""))
    if action == "retry":
        return retry(str(event["stage"]), event["state"])
    if action == "gate":
        return gate(event["state"])
    if action == "approval":
        return {"waiting": True, "execution": event.get("execution"), "token": event.get("token")}
    if action == "fail":
        return fail(event)
    if action == "deploy_turn":
        return deploy_turn(event)
    if action == "smoke":
        from sagestep.pipeline import smoke

        return smoke.handle(event)
    raise ValueError(f"helper: unknown action {action!r}; expected render, retry, gate, "
                     "approval, deploy_turn or smoke")


def render(stage: str, attempt: int, state: Mapping[str, Any], redrive: int = 0) -> dict[str, Any]:
    """The request of ``stage`` for attempt ``attempt`` (of redrive ``redrive``) of the run."""
    config = state["stages"][stage]
    names = state.get("names") or {}
    if stage in JOB_NAMES:
        key, field, limit = JOB_NAMES[stage]
        request = dict(_resolve(config["request"], state, stage))
        request[field] = attempt_name(str(names[key]), attempt, limit, redrive)
    elif stage == "create_model":
        request = {**_resolve(config["request"], state, stage), "ModelName": names["model"]}
    elif stage == "deploy":
        request = {**_resolve(config["endpoint_config"], state, stage),
                   "EndpointConfigName": names["endpoint_config"]}
    elif stage == "register":
        request = dict(_resolve(config["request"], state, stage))
        request["CustomerMetadataProperties"] = {
            **(request.get("CustomerMetadataProperties") or {}), **lineage(state)}
    else:
        raise RenderError(f"stage {stage!r} has no SageMaker request to render")
    leftover = sorted(set(LEFTOVER.findall(json.dumps(request))))
    if leftover:
        raise RenderError(
            f"stage {stage}: placeholders without a value: {', '.join(leftover)}; "
            "check their spelling in the pipeline config"
        )
    return request


def tag_with_stack(request: dict[str, Any], stack: str) -> dict[str, Any]:
    """``request`` with the tag ``sagestep:stack = stack`` (replacing one the config set).

    The state machine role of a stack may create and use only SageMaker resources with its
    own tag (terraform/modules/sagestep/iam.tf); without a stack (locally) nothing changes.
    """
    if not stack:
        return request
    tags = [t for t in request.get("Tags") or [] if not (isinstance(t, Mapping)
                                                          and t.get("Key") == STACK_TAG)]
    return {**request, "Tags": [*tags, {"Key": STACK_TAG, "Value": stack}]}


# On AWS the optimized SageMaker integration reports throttling and internal errors under the
# generic SageMaker.AmazonSageMakerException, as it does a ValidationException; only the Cause
# (the service's message, with its error code) tells them apart.
_TRANSIENT = re.compile(r"throttl|rate exceeded|too many requests|internalfailure|"
                        r"internal ?server ?error|internalerror|serviceunavailable|"
                        r"service unavailable", re.IGNORECASE)
API_ATTEMPTS = 4  # as the compiled Retry on the exact throttling/capacity names
API_INTERVAL_S = 5


def retry(stage: str, state: Mapping[str, Any]) -> dict[str, Any]:
    """Whether a failed job of ``stage`` runs again (its ``retry`` policy), and after how long.

    A generic SageMaker API error is retried only when it is transient (throttling, internal
    errors); a validation error fails the stage at once, with SageMaker's message.
    """
    policy = state["stages"][stage].get("retry") or {}
    count = int(_retries(state, stage).get("count") or 0)
    error = state.get("error") or {}
    name = str(error.get("Error", ""))
    if name == "SageMaker.AmazonSageMakerException":
        if count < API_ATTEMPTS and _TRANSIENT.search(str(error.get("Cause", ""))):
            return {"retry": True, "count": count + 1,
                    "wait": int(min(API_INTERVAL_S * 2.0 ** count, 120))}
        return {"retry": False, "count": count, "wait": 0}
    # Only a job that failed: render errors and the like would fail the same way again.
    if name != "States.TaskFailed" or count >= int(policy.get("max_attempts") or 0):
        return {"retry": False, "count": count, "wait": 0}
    wait = float(policy.get("interval_seconds") or 60) * float(policy.get("backoff_rate") or 2.0) ** count
    return {"retry": True, "count": count + 1, "wait": int(min(wait, 3600))}


def _retries(state: Mapping[str, Any], stage: str) -> Mapping[str, Any]:
    found = ((state.get("work") or {}).get("retries") or {}).get(stage)
    return found if isinstance(found, Mapping) else {}


def attempt_name(base: str, attempt: int, limit: int, redrive: int = 0) -> str:
    """``<base>-<attempt>`` (``<base>-r<redrive>-<attempt>`` in a redriven run) within
    ``limit`` characters (the base is shortened, not the suffix)."""
    suffix = f"-r{redrive}-{attempt}" if redrive else f"-{attempt}"
    return base[: limit - len(suffix)].rstrip("-") + suffix


class StageFailed(Exception):
    """A run's failure, raised by the ``fail`` action; its subclass is named after the error."""


def fail(event: Mapping[str, Any]) -> dict[str, Any]:
    """Fail the run with its stage's error, unless this is a later redrive of the run.

    The Lambda error's type is the stage's error name (``States.TaskFailed``,
    ``SageMaker.ValidationException``), its message the stage's cause.
    """
    failure = event.get("failure") or {}
    now, failed_in = int(event.get("redrive_count") or 0), int(event.get("failed_in") or 0)
    if now > failed_in:
        return {"resumed": str(failure.get("Stage", "")), "redrive_count": now}
    error = str(failure.get("Error") or "Sagestep.Unknown")
    raise type(error, (StageFailed,), {})(str(failure.get("Cause") or "no cause was given"))


def lineage(state: Mapping[str, Any]) -> dict[str, str]:
    """CustomerMetadataProperties linking a model package to its config and run."""
    run = state.get("run") or {}
    return {
        "sagestep:pipeline": str(state.get("pipeline", "")),
        "sagestep:config-version": str(state.get("config_version", "")),
        "sagestep:execution": str(run.get("execution_name", "")),
        "sagestep:run-id": str(run.get("id", "")),
    }


def model_data(state: Mapping[str, Any], stage: str) -> str:
    """S3 URI of the run's model artifact: tuning's best job, else training, else configured."""
    results = state.get("results") or {}
    for source in ("best_training", "training"):
        uri = ((results.get(source) or {}).get("ModelArtifacts") or {}).get("S3ModelArtifacts")
        if uri:
            return str(uri)
    configured = (state["stages"].get("create_model") or {}).get("model_data")
    if configured:
        return str(configured)
    raise RenderError(
        f"stage {stage} needs the model artifact, but neither training nor tuning ran in this "
        "run; set stages.create_model.model_data to an S3 URI of a model.tar.gz"
    )


def _resolve(template: Any, state: Mapping[str, Any], stage: str) -> Any:
    if isinstance(template, str):
        return RUNTIME.sub(lambda m: _runtime_value(m.group(1), state, stage), template)
    if isinstance(template, Mapping):
        return {k: _resolve(v, state, stage) for k, v in template.items()}
    if isinstance(template, list):
        return [_resolve(v, state, stage) for v in template]
    return template


def _runtime_value(name: str, state: Mapping[str, Any], stage: str) -> str:
    if name == "model_data":
        return model_data(state, stage)
    raise RenderError(f"stage {stage}: unknown runtime placeholder state.{name}")


def gate(state: Mapping[str, Any]) -> dict[str, Any]:
    """Compare the gate's metric with its threshold."""
    config = state["stages"]["gate"]
    metric = str(config["metric"])
    value = _metric(state, config, metric)
    threshold = float(config["threshold"])
    comparison = str(config.get("comparison") or "less_than_or_equal")
    check, symbol = OPERATORS[comparison]
    passed = bool(check(value, threshold))
    verdict = "passed" if passed else "failed"
    return {
        "passed": passed, "metric": metric, "value": value, "threshold": threshold,
        "comparison": comparison,
        "summary": f"gate {verdict}: {metric} = {value:g}, required {symbol} {threshold:g}",
    }


def _metric(state: Mapping[str, Any], config: Mapping[str, Any], metric: str) -> float:
    if config.get("source", "evaluation") == "evaluation":
        body = ((state.get("work") or {}).get("report") or {}).get("Body")
        try:
            report = json.loads(body) if isinstance(body, str | bytes) else body
        except ValueError as exc:
            raise GateError(f"evaluation report is not JSON: {exc}") from exc
        return _number(lookup_path(report, metric), metric)
    results = state.get("results") or {}
    job = results.get("best_training") or results.get("training") or {}
    metrics = {m.get("MetricName"): m.get("Value") for m in job.get("FinalMetricDataList") or []}
    if metric not in metrics:
        raise GateError(f"training reported no metric {metric!r}; it reported: "
                        f"{', '.join(sorted(map(str, metrics))) or 'none'}")
    return _number(metrics[metric], metric)


def lookup_path(document: Any, path: str) -> Any:
    """The value at dotted ``path`` (list items by index) in ``document``; GateError if absent."""
    current = document
    for depth, part in enumerate(path.split(".")):
        if isinstance(current, Mapping) and part in current:
            current = current[part]
        elif isinstance(current, list) and part.isdigit() and int(part) < len(current):
            current = current[int(part)]
        else:
            where = ".".join(path.split(".")[:depth]) or "the top level"
            keys = sorted(current) if isinstance(current, Mapping) else []
            raise GateError(f"evaluation report has no {path!r}: at {where} the keys are "
                            f"{', '.join(map(str, keys)) or '(not an object)'}")
    return current


def _number(value: Any, metric: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise GateError(f"metric {metric!r} is {value!r}, not a number")
    try:
        return float(value)
    except ValueError as exc:
        raise GateError(f"metric {metric!r} is {value!r}, not a number") from exc

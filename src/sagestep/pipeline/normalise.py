"""A typed PipelineConfig -> the stored plain-JSON item (see ``pipeline.item``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sagestep.pipeline import monitoring
from sagestep.pipeline import requests as build
from sagestep.pipeline.blocks import Evaluation, Notify, Processing
from sagestep.pipeline.botocheck import validate_stage
from sagestep.pipeline.checks import static_checks
from sagestep.pipeline.document import Document, Loc
from sagestep.pipeline.item import ITEM_VERSION, JOB_STAGES, STAGES
from sagestep.pipeline.model import PipelineConfig, Schedule
from sagestep.pipeline.placeholders import Resolver
from sagestep.pipeline.problems import Problems

MONITOR_STAGES = ("baseline", "data_quality", "model_quality")
SYMBOLS = {"<": "less_than", "<=": "less_than_or_equal", ">": "greater_than",
           ">=": "greater_than_or_equal", "max": "less_than_or_equal",
           "min": "greater_than_or_equal"}
NAME_FIELDS = {"create_model": "ModelName", "deploy": "EndpointConfigName",
               **{s: v[1] for s, v in JOB_STAGES.items()}}


@dataclass(frozen=True)
class Normalised:
    """The item to store and the local code directories to upload first."""

    item: dict[str, Any]
    uploads: tuple[build.Upload, ...]


def normalise(config: PipelineConfig, *, base_dir: str | None = None,
              document: Document | None = None, path: str = "<config>") -> Normalised:
    """Build the stored item of ``config``; SpecError lists every problem with file:line."""
    problems = Problems()
    d = config.defaults
    ctx = build.Context(pipeline=config.pipeline, region=d.region, role_arn=d.role_arn,
                        bucket=d.bucket, base_dir=base_dir, problems=problems)
    resolver = Resolver(d.model_dump(), {}, problems)
    stages: dict[str, dict[str, Any]] = {}
    for stage in STAGES:
        block = stage_block(config, stage)
        loc: Loc = ("stages", stage)
        if stage == "notify":
            stages[stage] = notify_block(block, d.topic_arn, loc, problems)
        elif block is None:
            stages[stage] = {"run": False}
        else:
            # Report placeholder problems at the user's own keys, then resolve the request.
            resolver.problems = problems
            resolver.resolve(_written(document, config, stage), loc, stage)
            built = _stage(stage, block, config, ctx, loc, stages)
            resolver.problems = Problems()
            stages[stage] = resolver.resolve(built, loc, stage)
            if stage in ("preprocessing", "evaluation", "postprocessing", *MONITOR_STAGES):
                outputs = processing_outputs(stages[stage].get("request") or {})
                stages[stage]["outputs"] = outputs
                resolver.outputs = {**resolver.outputs, stage: outputs}
    _check_schedules(config, problems)
    _finish(stages, config, problems)
    check_stages(stages, problems)
    static_checks(config, document.data if document else {}, base_dir, problems)
    problems.raise_if_any(document, path)
    item = {
        "name": config.pipeline,
        "item_version": ITEM_VERSION,
        "source": "sagestep",
        "description": config.description,
        "triggers": triggers(config),
        "defaults": d.model_dump(exclude_none=True),
        "stages": stages,
    }
    if config.model_source is not None:
        item["model_source"] = config.model_source.model_dump()
    if config.promotion is not None:
        from sagestep.pipeline.promotion import normalise_promotion

        item["promotion"] = normalise_promotion(config.promotion, problems)
        if not stages["create_model"].get("run"):
            problems.add(("promotion",), "promotion deploys the run's model, but create_model "
                         "does not run; add a create_model stage (model_data from training, "
                         "or {{ model_package.model_data }})")
        problems.raise_if_any(document, path)
    return Normalised(item, tuple(ctx.uploads))


def _written(document: Document | None, config: PipelineConfig, stage: str) -> Any:
    data = document.data if document is not None else None
    if isinstance(data, dict) and isinstance(data.get("stages"), dict) and stage in data["stages"]:
        return data["stages"][stage]
    return config.stages.model_dump(by_alias=True).get(stage)


def stage_block(config: PipelineConfig, stage: str) -> Any:
    """The config block of ``stage`` (None when absent)."""
    return getattr(config.stages, "register_" if stage == "register" else stage)


def _check_schedules(config: PipelineConfig, problems: Problems) -> None:
    from sagestep.errors import SpecError
    from sagestep.triggers.schedules import parse

    for i, s in enumerate(config.triggers.schedules):
        try:
            parse(s if isinstance(s, str) else s.expression)
        except SpecError as exc:
            problems.add(("triggers", "schedules", i), str(exc))


def triggers(config: PipelineConfig) -> dict[str, Any]:
    """The item's triggers block."""
    schedules = []
    for s in config.triggers.schedules:
        sched = s if isinstance(s, Schedule) else Schedule(expression=s)
        schedules.append(sched.model_dump(exclude_none=True))
    found: dict[str, Any] = {"s3": [t.model_dump() for t in config.triggers.s3],
                             "schedules": schedules}
    if config.triggers.model_package:
        found["model_package"] = [t.model_dump() for t in config.triggers.model_package]
    return found


def _stage(stage: str, block: Any, config: PipelineConfig, ctx: build.Context, loc: Loc,
           done: dict[str, dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {"run": block.run}
    raw = block.request
    if stage in ("preprocessing", "evaluation", "postprocessing"):
        request = raw if raw is not None else build.processing(stage, block, ctx, loc)[0]
        out["request"] = request
        if isinstance(block, Evaluation):
            out["report"] = {"output": block.report.output, "file": block.report.file}
    elif stage == "training":
        out["request"] = raw if raw is not None else build.training(block, ctx, loc)
    elif stage == "tuning":
        out["request"] = raw if raw is not None else _tuning(block, config, ctx, loc)
    elif stage == "gate":
        out.update(source=block.source, metric=block.metric, threshold=block.threshold,
                   comparison=SYMBOLS.get(block.comparison, block.comparison),
                   on_fail=block.on_fail)
    elif stage == "approval":
        out.update(mode=block.mode, message=block.message,
                   timeout_seconds=block.timeout_hours * 3600)
    elif stage == "create_model":
        out["request"] = raw if raw is not None else build.create_model(
            block, _training_image(config, ctx), _serving_env(done), ctx)
        if block.model_data:
            out["model_data"] = block.model_data
    elif stage == "deploy":
        out["endpoint_name"] = block.endpoint_name or config.pipeline
        out["endpoint_config"] = raw if raw is not None else build.endpoint_config(block)
        out["wait_seconds"] = block.wait_seconds
        out["latest_wins"] = block.latest_wins
    elif stage == "batch_transform":
        out["request"] = raw if raw is not None else build.transform(block, ctx, loc)
    elif stage in MONITOR_STAGES:
        out["request"] = raw if raw is not None else monitoring.request(stage, block, ctx, loc)
        if stage != "baseline":
            out["on_violation"] = block.on_violation
        if getattr(block, "retrain", None):
            if block.on_violation != "fail":
                ctx.problems.add((*loc, "retrain"), "retrain starts on a breach that fails the "
                                 "stage: set on_violation: fail (or remove retrain)")
            out["retrain"] = block.retrain
    elif stage == "register":
        out["request"] = raw if raw is not None else build.register(
            block, block.image or _serving_image(done) or _training_image(config, ctx), None,
            bool(config.stages.approval and config.stages.approval.run))
    if getattr(block, "retry", None) is not None:
        out["retry"] = block.retry.model_dump()
    if isinstance(out.get("request"), dict):
        out["request"] = {k: v for k, v in out["request"].items() if k != NAME_FIELDS.get(stage)}
    return out


def _tuning(block: Any, config: PipelineConfig, ctx: build.Context, loc: Loc) -> dict[str, Any]:
    training = config.stages.training
    if training is None:
        ctx.problems.add(loc, "tuning tunes the training stage's job: add a training block "
                         "(it may say run: false)")
        return {}
    train = training.request if training.request is not None else build.training(
        training, ctx, ("stages", "training"))
    return build.tuning(block, train, ctx, loc)


def _training_image(config: PipelineConfig, ctx: build.Context) -> str:
    t = config.stages.training
    if t is None:
        return ""  # no training to take the image from: cross_check asks for image:
    if t.request is not None:
        return str((t.request.get("AlgorithmSpecification") or {}).get("TrainingImage", ""))
    return build.container_image(t, ctx, ("stages", "training"))


def _serving_env(done: dict[str, dict[str, Any]]) -> dict[str, str]:
    # Script-mode models serve with the training script as their inference module.
    hyper = ((done.get("training") or {}).get("request") or {}).get("HyperParameters") or {}
    if "sagemaker_program" in hyper and "sagemaker_submit_directory" in hyper:
        return {"SAGEMAKER_PROGRAM": hyper["sagemaker_program"],
                "SAGEMAKER_SUBMIT_DIRECTORY": hyper["sagemaker_submit_directory"]}
    return {}


def _serving_image(done: dict[str, dict[str, Any]]) -> str | None:
    request = (done.get("create_model") or {}).get("request") or {}
    image = (request.get("PrimaryContainer") or {}).get("Image")
    return str(image) if image else None


def processing_outputs(request: dict[str, Any]) -> dict[str, str]:
    """OutputName -> S3 URI of a CreateProcessingJob request."""
    config = request.get("ProcessingOutputConfig") if isinstance(request, dict) else None
    outputs = config.get("Outputs") if isinstance(config, dict) else None
    found: dict[str, str] = {}
    for o in outputs if isinstance(outputs, list) else []:
        s3 = o.get("S3Output") if isinstance(o, dict) else None
        if isinstance(s3, dict):  # malformed entries are botocore validation's to report
            found[str(o.get("OutputName"))] = str(s3.get("S3Uri", ""))
    return found


def notify_block(block: Notify | None, default_topic: str | None, loc: Loc,
                 problems: Problems) -> dict[str, Any]:
    """The item's notify stage: topic, run flag, and a failure message for every stage."""
    block = block or Notify.model_validate({"run": False})
    topic = block.topic_arn or default_topic or ""
    if block.run and not topic:
        problems.add((*loc, "topic_arn"), "notify needs topic_arn (or defaults.topic_arn), "
                     "or run: false")
    m = block.messages
    failure = {s: m.stages.get(s, m.failure) for s in STAGES}
    success = m.success
    for i, custom in enumerate(block.custom_notification_config):
        stage = custom.step_name.strip().lower().replace(" ", "_").replace("-", "_")
        failed = custom.step_status.strip().lower() in ("failed", "failure", "error")
        if failed and stage in failure:
            failure[stage] = custom.step_custom_message
        elif failed:
            problems.add((*loc, "custom_notification_config", i, "step_name"),
                         f"unknown stage {custom.step_name!r}; stages: {', '.join(STAGES)}")
        else:
            success = custom.step_custom_message
    return {"run": bool(block.run and topic), "topic_arn": topic,
            "messages": {"success": success, "approval": m.approval, "failure": failure}}


def _finish(stages: dict[str, dict[str, Any]], config: PipelineConfig, problems: Problems) -> None:
    # Link what only the whole config knows: the report location and the register metrics.
    ev, gate, reg = stages["evaluation"], stages["gate"], stages["register"]
    # A missing report is an error only when the gate reads it.
    reads = gate.get("run") and gate.get("source") == "evaluation" and ev.get("run")
    report = report_uri(ev, problems if reads else None)
    if report and gate.get("source") == "evaluation":
        bucket, _, key = report[len("s3://"):].partition("/")
        gate["report"] = {"bucket": bucket, "key": key}
    register = stage_block(config, "register")
    if report and ev.get("run") and register is not None and register.request is None:
        reg["request"]["ModelMetrics"] = {"ModelQuality": {"Statistics": {
            "ContentType": "application/json", "S3Uri": report}}}
    _attach_baseline(stages, register is not None and register.request is None)
    if reg.get("request") is not None:
        group = str(reg["request"].get("ModelPackageGroupName") or "{{ names.model_package_group }}")
        reg["group"] = {"ModelPackageGroupName": group,
                        "ModelPackageGroupDescription": f"sagestep pipeline {config.pipeline}"}


def _attach_baseline(stages: dict[str, dict[str, Any]], built: bool) -> None:
    # The baseline of the registered model: ModelMetrics.ModelDataQuality is what seed 001's
    # inference pipeline reads back; DriftCheckBaselines is what Pipelines' QualityCheckStep
    # reads. Both name this run's baseline files.
    base, reg = stages["baseline"], stages["register"]
    result = (base.get("outputs") or {}).get("result")
    if not (built and base.get("run") and reg.get("run") and result):
        return
    files = {name.title(): {"ContentType": "application/json",
                            "S3Uri": f"{result.rstrip('/')}/{name}.json"}
             for name in ("statistics", "constraints")}
    request = reg["request"]
    request.setdefault("ModelMetrics", {})["ModelDataQuality"] = files
    request.setdefault("DriftCheckBaselines", {})["ModelDataQuality"] = dict(files)


def report_uri(evaluation: dict[str, Any], problems: Problems | None = None) -> str | None:
    """S3 URI of evaluation.json, from the evaluation stage's report output."""
    if "request" not in evaluation:
        return None
    report = evaluation.get("report") or {"output": "evaluation", "file": "evaluation.json"}
    evaluation["report"] = report
    outputs = evaluation.get("outputs") or processing_outputs(evaluation["request"])
    uri = outputs.get(report["output"])
    if not uri:
        if problems is not None and evaluation.get("run"):
            problems.add(("stages", "evaluation", "report", "output"),
                         f"the report output {report['output']!r} is not an output of evaluation; "
                         f"it writes: {', '.join(outputs) or 'nothing'}")
        return None
    return f"{uri.rstrip('/')}/{report['file']}"


def check_stages(stages: dict[str, dict[str, Any]], problems: Problems) -> None:
    """Cross-stage rules and botocore validation of every request (all item sources)."""
    from sagestep.pipeline.crosscheck import cross_check

    cross_check(stages, problems)
    for stage, body in stages.items():
        for key in ("request", "endpoint_config"):
            if isinstance(body.get(key), dict) and body[key]:
                omitted = (NAME_FIELDS[stage],) if stage in NAME_FIELDS else ()
                validate_stage(stage, body[key], ("stages", stage, key), problems, omitted)


__all__ = ["Normalised", "Processing", "check_stages", "normalise", "processing_outputs"]

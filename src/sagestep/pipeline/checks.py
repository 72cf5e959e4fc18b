"""What `sagestep validate` can know before anything runs, beyond the schema.

- local script and source files exist (relative to the config's folder);
- a built-in algorithm's hyperparameter names and types (as its container parses them);
- the gate's (and tuning's) training metric is one the training job can emit;
- at least one stage runs;
- placeholders are well formed (``{{ name }}``, balanced braces).

Each problem lands at its key path, so the CLI prints file:line and the path.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import Any

from sagestep.pipeline.document import Loc
from sagestep.pipeline.model import PipelineConfig
from sagestep.pipeline.placeholders import PLACEHOLDER
from sagestep.pipeline.problems import Problems

CODE_STAGES = ("preprocessing", "training", "evaluation", "postprocessing", "create_model")
# XGBoost's default eval_metric per objective (only those it is certain about).
DEFAULT_METRIC = {
    "binary:logistic": "logloss", "binary:logitraw": "logloss", "binary:hinge": "error",
    "reg:squarederror": "rmse", "reg:linear": "rmse", "reg:logistic": "rmse",
    "multi:softmax": "mlogloss", "multi:softprob": "mlogloss", "count:poisson": "poisson-nloglik",
}
METRIC_CHANNELS = ("train", "validation")


def static_checks(config: PipelineConfig, data: Any, base_dir: str | None,
                  problems: Problems) -> None:
    """Add every problem found in ``config`` (``data``: the document as written)."""
    if base_dir is not None and os.path.isdir(base_dir):
        _files(config, base_dir, problems)
    _hyperparameters(config, problems)
    _metrics(config, problems)
    _placeholders(data, (), problems)
    stages = config.stages
    running = [name for name in type(stages).model_fields
               if name != "notify" and (block := getattr(stages, name)) is not None and block.run]
    if not running:
        problems.add(("stages",), "no stage runs: add one (e.g. training:) or set its run: true")


def _local(path: str) -> bool:
    return not path.startswith("s3://") and "{{" not in path


def _files(config: PipelineConfig, base_dir: str, problems: Problems) -> None:
    for stage in CODE_STAGES:
        block = getattr(config.stages, stage)
        if block is None or not block.run or block.request is not None:
            continue
        source = block.source_dir
        if not source or not _local(source):
            continue
        folder = source if os.path.isabs(source) else os.path.join(base_dir, source)
        if not os.path.isdir(folder):
            problems.add(("stages", stage, "source_dir"),
                         f"directory {source} does not exist (looked in {os.path.abspath(folder)})")
        elif block.script and not os.path.isfile(os.path.join(folder, block.script)):
            problems.add(("stages", stage, "script"),
                         f"{block.script} is not in {source} ({os.path.abspath(folder)})")


def _builtin_xgboost(config: PipelineConfig) -> bool:
    training, tuning = config.stages.training, config.stages.tuning
    used = training is not None and (training.run or (tuning is not None and tuning.run))
    return (used and training is not None and training.request is None
            and training.algorithm == "xgboost" and not training.image)


def _hyperparameters(config: PipelineConfig, problems: Problems) -> None:
    if not _builtin_xgboost(config):
        return
    import difflib

    from sagestep.algorithms.failure import UserError
    from sagestep.algorithms.xgboost import hyperparameters as xgb

    training = config.stages.training
    assert training is not None
    where: Loc = ("stages", "training", "hyperparameters")
    raw = {k: _text(v) for k, v in training.hyperparameters.items() if "{{" not in _text(v)}
    bad = False
    for name, text in raw.items():
        spec = xgb.SPECS.get(xgb.ALIASES.get(name, name))
        if spec is None:
            close = difflib.get_close_matches(name, [*xgb.SPECS, *xgb.ALIASES], n=1)
            hint = f"; did you mean {close[0]}?" if close else ""
            problems.add((*where, name), f"built-in XGBoost has no hyperparameter {name}{hint}")
            bad = True
            continue
        try:
            xgb._check_allowed(name, spec.parse(text), spec.allowed)
        except ValueError:
            problems.add((*where, name), f"{text!r} is not a valid {name} "
                         f"({spec.parse.__name__.strip('_')} expected, e.g. {_example(spec)})")
            bad = True
        except UserError as exc:
            problems.add((*where, name), str(exc))
            bad = True
    if not bad and len(raw) == len(training.hyperparameters):
        try:  # what depends on several values: num_round required, num_class, eval_metric
            xgb.validate(raw)
        except UserError as exc:
            problems.add(where, f"{exc} (built-in XGBoost)")


def _example(spec: Any) -> str:
    allowed = spec.allowed
    if isinstance(allowed, tuple):
        return str(allowed[0])
    return {"_int": "50", "_float": "0.3"}.get(spec.parse.__name__, "a value")


def _text(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def _emitted(config: PipelineConfig) -> set[str] | None:
    """Metric names the training job can emit; None when that cannot be known here."""
    training = config.stages.training
    if training is None or training.request is not None:
        return None
    defined = {m.name for m in training.metric_definitions}
    if not _builtin_xgboost(config):
        return defined if defined or training.framework else None
    hyper = {k: _text(v) for k, v in training.hyperparameters.items()}
    requested = [m for m in re.split(r"[,\s]+", hyper.get("eval_metric", "").strip("[]")) if m]
    if not requested:
        default = DEFAULT_METRIC.get(hyper.get("objective", "reg:squarederror"))
        if default is None:
            return None
        requested = [default]
    channels = [c for c in METRIC_CHANNELS if c in training.inputs]
    return defined | {f"{c}:{m.strip(chr(39) + chr(34))}" for c in channels for m in requested}


def _metrics(config: PipelineConfig, problems: Problems) -> None:
    emitted = _emitted(config)
    if emitted is None:
        return
    wanted: list[tuple[Loc, str]] = []
    gate = config.stages.gate
    if gate is not None and gate.run and gate.source == "training":
        wanted.append((("stages", "gate", "metric"), gate.metric))
    tuning = config.stages.tuning
    if tuning is not None and tuning.run and tuning.objective is not None:
        # A built-in computes the tuning objective on request (_tuning_objective_metric).
        from sagestep.algorithms.xgboost.hyperparameters import EVAL_METRICS

        metric = tuning.objective.metric
        channel, _, base = metric.partition(":")
        if not (_builtin_xgboost(config) and channel in METRIC_CHANNELS
                and base.split("@")[0] in EVAL_METRICS):
            wanted.append((("stages", "tuning", "objective", "metric"), metric))
    for loc, metric in wanted:
        if metric not in emitted:
            can = ", ".join(sorted(emitted)) or "none (add metric_definitions to the training stage)"
            problems.add(loc, f"the training job never emits {metric!r}; it emits: {can}")


def _placeholders(value: Any, loc: Loc, problems: Problems) -> None:
    if isinstance(value, str):
        rest = PLACEHOLDER.sub("", value)
        if "{{" in rest or "}}" in rest:
            problems.add(loc, f"malformed placeholder in {value!r}: write {{{{ name }}}}, "
                              "e.g. {{ trigger.uri }}")
    elif isinstance(value, Mapping):
        for key, item in value.items():
            _placeholders(item, (*loc, key), problems)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _placeholders(item, (*loc, index), problems)

"""The built-in XGBoost training program (algorithm mode), run by the job runner as the container's `train`.

Reads /opt/ml (or the mapped paths), validates channels and hyperparameters as the
container does, trains with the ``train``/``validation`` watchlist so each round prints
``[i]<TAB>train-<m>:<v><TAB>validation-<m>:<v>``, and saves ``xgboost-model`` in the model
dir (XGBoost's native UBJSON, as ``Booster.save_model`` writes it in versions >= 1.3-1).
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import Any

import xgboost as xgb

from sagestep.algorithms.failure import UserError, write_failure
from sagestep.algorithms.paths import ContainerPaths
from sagestep.algorithms.xgboost import data, hyperparameters, metrics

MODEL_FILE = "xgboost-model"
ALLOWED_CHANNELS = ("train", "validation", "code")
# Container-level options that are not XGBoost booster parameters.
_NOT_BOOSTER = frozenset({
    "num_round", "eval_metric", "early_stopping_rounds", "csv_weights", "_kfold",
    "_num_cv_round", "_tuning_objective_metric", "save_model_on_termination",
})


def check_channels(input_config: Mapping[str, Any]) -> None:
    """Reject missing ``train`` and channels the container does not know."""
    for name in input_config:
        if name not in ALLOWED_CHANNELS:
            raise UserError(
                f"Extraneous channel found: {name}; the built-in XGBoost accepts only "
                f"{', '.join(ALLOWED_CHANNELS)}"
            )
    if "train" not in input_config:
        raise UserError("Missing required channel: train")


def booster_params(values: Mapping[str, Any]) -> dict[str, Any]:
    """The XGBoost ``params`` dict from validated hyperparameters."""
    params = {k: v for k, v in values.items() if k not in _NOT_BOOSTER}
    for flag in ("single_precision_histogram", "deterministic_histogram"):
        if flag in params:
            params.pop(flag)  # accepted for compatibility; removed from XGBoost >= 2
    if params.get("objective") == "reg:linear":
        params["objective"] = "reg:squarederror"  # the old name XGBoost >= 1.0 renamed
    return params


def requested_metrics(values: Mapping[str, Any]) -> list[str]:
    """eval_metric plus the tuning objective's metric (the container appends it last)."""
    names = list(values.get("eval_metric", []))
    tuning = values.get("_tuning_objective_metric")
    if tuning:
        metric = tuning.split(":", 1)[1]
        if metric in names:
            names.remove(metric)
        names.append(metric)  # last metric drives early stopping
    return names


def run(paths: ContainerPaths) -> xgb.Booster:
    """Train from the container layout and save the model; UserError on bad input."""
    raw = paths.read_config("hyperparameters.json")
    input_config = paths.read_config("inputdataconfig.json")
    if not input_config:
        input_config = {name: {} for name in paths.channel_dirs if name in ALLOWED_CHANNELS}
    check_channels(input_config)
    values = hyperparameters.validate({k: str(v) for k, v in raw.items()})
    if "_kfold" in values:
        raise UserError("Hyperparameter _kfold (k-fold cross-validation) is not supported locally")
    weights = values.get("csv_weights", 0) == 1
    sets = {
        name: data.load_channel(name, paths.channel_dir(name),
                                input_config[name].get("ContentType"), weights)
        for name in ("train", "validation") if name in input_config
    }
    native, custom = metrics.split_metrics(requested_metrics(values))
    params = booster_params(values)
    if native:
        params["eval_metric"] = native
    early = values.get("early_stopping_rounds")
    if early and "validation" not in sets:
        print("early_stopping_rounds needs a validation channel; training all rounds", flush=True)
        early = None
    booster = xgb.train(
        params, sets["train"], num_boost_round=values["num_round"],
        evals=[(sets[name], name) for name in ("train", "validation") if name in sets],
        custom_metric=metrics.custom_metric(custom, values["objective"]) if custom else None,
        early_stopping_rounds=early, verbose_eval=True,
    )
    paths.model_dir.mkdir(parents=True, exist_ok=True)
    (paths.model_dir / MODEL_FILE).write_bytes(bytes(booster.save_raw("ubj")))
    return booster


def main(argv: list[str] | None = None) -> int:
    """Entry point: train, or write the failure file and exit 1 like the container."""
    paths = ContainerPaths.from_environ()
    try:
        run(paths)
    except Exception as exc:  # the container turns every failure into the failure file
        text = write_failure(paths.output_dir, exc)
        print(text, file=sys.stderr, flush=True)
        return 2 if isinstance(exc, UserError) else 1
    return 0

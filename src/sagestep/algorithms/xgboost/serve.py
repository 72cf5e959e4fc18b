"""Serving of the built-in XGBoost (algorithm mode): its request formats and its response bodies.

As the container's ``serve.py``: Content-Type text/csv (no label, no header) or
text/libsvm; an empty body answers 204; unparseable input 415; a feature count that is
neither the model's nor one less 400; the default answer is the predictions joined by
commas (``text/csv``), and under batch transform (``SAGEMAKER_BATCH``) one per line with a
trailing newline. Accept application/json gives ``{"predictions": [{"score": v}, ...]}``
and application/jsonlines one ``{"score": v}`` per line (the inference-toolkit handler's
forms); ``SAGEMAKER_INFERENCE_OUTPUT`` selects keys as the container does.
[src: sagemaker-xgboost-container algorithm_mode/serve.py, serve_utils.py]
"""

from __future__ import annotations

import json
import os
import pickle
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import xgboost as xgb

from sagestep.algorithms.reply import InvocationError, Reply
from sagestep.algorithms.tabular import parse_csv, parse_libsvm
from sagestep.algorithms.xgboost.model_version import newer_model_note

CSV_TYPES = ("text/csv",)
LIBSVM_TYPES = ("text/libsvm", "text/x-libsvm")
ACCEPTS = ("text/csv", "application/json", "application/jsonlines")
MAX_CONTENT_LENGTH = 6 * 1024 * 1024


def load_boosters(model_dir: Path) -> list[xgb.Booster]:
    """Every model file of the dir (an ensemble is averaged); pickle first, then native."""
    boosters = []
    for path in sorted(p for p in model_dir.iterdir() if p.is_file()):
        if path.name.startswith("."):
            continue
        raw = path.read_bytes()
        booster: Any = None
        if raw[:1] == b"\x80":  # pickle protocol 2+ (models of containers < 1.3-1)
            try:
                booster = pickle.loads(raw)  # noqa: S301 - the user's own model artefact
            except Exception:
                booster = None
        if not isinstance(booster, xgb.Booster):
            booster = xgb.Booster()
            try:
                booster.load_model(bytearray(raw))
            except xgb.core.XGBoostError as exc:
                # XGBoost appends a native stack trace; its first line says what is wrong.
                reason = str(exc).strip().splitlines()[0] if str(exc).strip() else repr(exc)
                raise InvocationError(500, f"Model at {path} cannot be loaded: {reason}") from exc
            note = newer_model_note(path.name, raw, xgb.__version__)
            if note:
                print(note, file=sys.stderr, flush=True)  # the endpoint's (or job's) log
        boosters.append(booster)
    if not boosters:
        raise InvocationError(500, f"No model file in {model_dir}; expected xgboost-model")
    return boosters


class XGBoostHandler:
    """The built-in XGBoost's /invocations over boosters loaded once per server process."""

    def __init__(self, boosters: list[xgb.Booster], environ: Mapping[str, str]) -> None:
        self.boosters = boosters
        self.batch = bool(environ.get("SAGEMAKER_BATCH"))
        self.default_accept = environ.get("SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT") or "text/csv"
        selected = environ.get("SAGEMAKER_INFERENCE_OUTPUT")
        self.selected = [k for k in selected.replace(" ", "").lower().split(",") if k] \
            if selected else None
        self.num_features = boosters[0].num_features()
        config = json.loads(boosters[0].save_config())
        self.objective = config["learner"]["objective"]["name"]
        self.num_class = int(config["learner"]["learner_model_param"].get("num_class") or 0)
        for booster in boosters:
            # The container loads a model per worker with nthread=1; one row is fastest on one
            # thread. Batch transform keeps XGBoost's default (all cores) for big payloads.
            if not self.batch:
                booster.set_param("nthread", "1")

    def execution_parameters(self) -> dict[str, Any]:
        """What /execution-parameters answers (the container's values)."""
        return {"MaxConcurrentTransforms": os.cpu_count() or 1, "BatchStrategy": "MULTI_RECORD",
                "MaxPayloadInMB": MAX_CONTENT_LENGTH // (1024 * 1024)}

    def invoke(self, body: bytes, content_type: str | None, accept: str | None) -> Reply:
        """Decode, predict and encode one request."""
        if not body:
            return Reply(b"", "text/csv", status=204)
        if self.batch and self.selected is None:
            # Under batch transform the container answers lines whatever the Accept.
            return Reply(_csv(self.predict(self.decode(body, content_type)), True), "text/csv")
        wanted = self.accept(accept)
        rows = self.decode(body, content_type)
        return self.encode(self.predict(rows), wanted)

    def decode(self, body: bytes, content_type: str | None) -> Any:
        base = (content_type or "text/csv").split(";", 1)[0].strip().lower()
        try:
            if base in CSV_TYPES:
                return parse_csv(body)
            if base in LIBSVM_TYPES:
                return parse_libsvm(body, self.num_features)
        except ValueError as exc:
            raise InvocationError(
                415, f"Loading {base} data failed, please ensure data is in {base} format: {exc}"
            ) from exc
        raise InvocationError(
            415, f"Content-type {content_type} not supported. Supported content-type is "
            "text/csv, text/libsvm, text/x-libsvm"
        )

    def predict(self, rows: Any) -> np.ndarray:
        """Predictions of the (averaged) boosters for a 2-D array or CSR matrix."""
        width = rows.shape[1]
        if width == self.num_features - 1 and isinstance(rows, np.ndarray):
            rows = np.hstack([rows, np.full((rows.shape[0], 1), np.nan, dtype=rows.dtype)])
        elif width != self.num_features and isinstance(rows, np.ndarray):
            raise InvocationError(
                400, f"Unable to evaluate payload provided: Feature size of csv inference data "
                f"{width} is not consistent with feature size of trained model "
                f"{self.num_features}."
            )
        try:
            if len(self.boosters) == 1:
                return np.asarray(self.boosters[0].inplace_predict(rows, validate_features=False))
            return np.asarray(np.mean([b.inplace_predict(rows, validate_features=False)
                                       for b in self.boosters], axis=0))
        except xgb.core.XGBoostError as exc:
            raise InvocationError(400, f"Unable to evaluate payload provided: {exc}") from exc

    def accept(self, accept: str | None) -> str:
        """The response type; 406 for one the container cannot produce."""
        if accept is None:
            return self.default_accept
        wanted = accept.split(";", 1)[0].strip().lower()
        if not wanted or wanted == "*/*":
            wanted = self.default_accept
        if wanted not in ACCEPTS:
            raise InvocationError(
                406, f"Accept type {accept} is not supported. Please use supported accept "
                f"types: {list(ACCEPTS)}."
            )
        return wanted

    def encode(self, preds: np.ndarray, wanted: str) -> Reply:
        """The response body for ``preds`` in the (checked) Accept type ``wanted``."""
        if self.selected is not None:
            from sagestep.algorithms.xgboost.selectable import encode_selected

            body = encode_selected(preds, self.selected, self.objective, self.num_class, wanted)
            return Reply(body, wanted)
        if wanted == "application/json":
            return Reply(_json(preds), wanted)
        if wanted == "application/jsonlines":
            lines = [json.dumps({"score": v}) for v in preds.tolist()]
            return Reply(("\n".join(lines) + "\n").encode(), wanted)
        return Reply(_csv(preds, self.batch), "text/csv")


def _json(preds: np.ndarray) -> bytes:
    return json.dumps({"predictions": [{"score": v} for v in preds.tolist()]}).encode()


def _csv(preds: np.ndarray, batch: bool) -> bytes:
    # The container writes str() of each Python float: float32 scores widened to double.
    if preds.ndim == 2:
        lines = [",".join(map(str, row)) for row in preds.tolist()]
        return ("\n".join(lines) + ("\n" if batch else "")).encode()
    if batch:
        return ("\n".join(map(str, preds.tolist())) + "\n").encode()
    return ",".join(map(str, preds.tolist())).encode()


def load_handler(model_dir: Path, environ: Mapping[str, str]) -> XGBoostHandler:
    """The serving handler factory named in the built-ins table."""
    return XGBoostHandler(load_boosters(model_dir), environ)

"""Join predictions with ground truth (reference §3.1).

Captured endpoint traffic joins ground-truth records on ``inferenceId`` when the invocation
carried one, otherwise on ``eventId``. Batch output joins by a key column present on both sides
or, without one, by row order (then both sides must have the same number of rows).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sagestep.errors import MonitorError
from sagestep.monitor.datasets import (
    capture_records,
    data_files,
    decode_rows,
    in_window,
    read_chunks,
)


@dataclass(frozen=True)
class Attributes:
    """Where the prediction, probability and label are (column names or 0-based indexes)."""

    inference: str = "0"
    probability: str | None = None
    ground_truth: str = "0"
    key: str | None = None


@dataclass(frozen=True)
class Merged:
    """Aligned arrays: ground truth, prediction and (optionally) a probability score."""

    truth: np.ndarray
    prediction: np.ndarray
    score: np.ndarray | None


def _column(frame: pd.DataFrame, attr: str, where: str) -> pd.Series:
    if attr in frame.columns:
        return frame[attr]
    if attr.isdigit() and int(attr) < frame.shape[1]:
        return frame.iloc[:, int(attr)]
    raise MonitorError(f"{where}: no column {attr!r}; columns are {', '.join(map(str, frame.columns))} "
                       "(set the attribute to a column name or a 0-based index)")


def _read(source: Path, fmt: dict[str, Any]) -> pd.DataFrame:
    chunks = list(read_chunks(source, fmt))
    if not chunks:
        raise MonitorError(f"Job inputs had no data: no rows under {source}")
    return pd.concat(chunks, ignore_index=True)


def merge_batch(predictions: Path, pred_format: dict[str, Any], truth: Path,
                truth_format: dict[str, Any], attrs: Attributes) -> Merged:
    """Batch transform output + a ground-truth dataset, by key column or row order."""
    pred, gt = _read(predictions, pred_format), _read(truth, truth_format)
    if attrs.key:
        left = pd.DataFrame({"k": _column(pred, attrs.key, "predictions"),
                             "p": _column(pred, attrs.inference, "predictions")})
        if attrs.probability:
            left["s"] = _column(pred, attrs.probability, "predictions")
        right = pd.DataFrame({"k": _column(gt, attrs.key, "ground truth"),
                              "y": _column(gt, attrs.ground_truth, "ground truth")})
        joined = left.merge(right, on="k", how="inner")
        if joined.empty:
            raise MonitorError(f"no prediction matched a ground-truth row on key {attrs.key!r}")
    else:
        if len(pred) != len(gt):
            raise MonitorError(f"predictions have {len(pred)} rows but ground truth has {len(gt)}; "
                               "without a key column rows are matched by order (set join_column)")
        joined = pd.DataFrame({"p": _column(pred, attrs.inference, "predictions").to_numpy(),
                               "y": _column(gt, attrs.ground_truth, "ground truth").to_numpy()})
        if attrs.probability:
            joined["s"] = _column(pred, attrs.probability, "predictions").to_numpy()
    return Merged(joined["y"].to_numpy(), joined["p"].to_numpy(),
                  joined["s"].to_numpy(dtype=float) if "s" in joined else None)


def merge_capture(captured: Path, truth: Path, attrs: Attributes,
                  window: tuple[datetime | None, datetime | None] = (None, None)) -> Merged:
    """Captured endpoint outputs + ground-truth JSON Lines, by inferenceId or eventId."""
    labels: dict[str, str] = {}
    for path in data_files(truth):
        for record in capture_records(path):
            event = record.get("eventMetadata", {}).get("eventId")
            data = record.get("groundTruthData", {})
            if event is not None and "data" in data:
                index = int(attrs.ground_truth) if attrs.ground_truth.isdigit() else 0
                labels[str(event)] = str(decode_rows(data)[0][index]).strip()
    ys, ps, ss = [], [], []
    for path in data_files(captured):
        for record in capture_records(path):
            meta = record.get("eventMetadata", {})
            key = meta.get("inferenceId") or meta.get("eventId")
            output = record.get("captureData", {}).get("endpointOutput")
            if key not in labels or output is None or not in_window(record, window):
                continue
            row = decode_rows(output)[0]
            ys.append(labels[key])
            ps.append(row[int(attrs.inference)])
            if attrs.probability is not None:
                ss.append(float(row[int(attrs.probability)]))
    if not ys:
        raise MonitorError(f"no captured record under {captured} matched ground truth under {truth} "
                           "by inferenceId or eventId (Job inputs had no data)")
    return Merged(np.asarray(ys, dtype=object), np.asarray(ps, dtype=object),
                  np.asarray(ss) if ss else None)


def as_problem(merged: Merged, problem: str, threshold: float) -> Merged:
    """Convert to numbers (regression), 0/1 labels (binary) or strings (multiclass)."""
    if problem == "Regression":
        return Merged(_floats(merged.truth, "ground truth"), _floats(merged.prediction, "prediction"),
                      None)
    if problem == "BinaryClassification":
        y = _floats(merged.truth, "ground truth")
        p = _floats(merged.prediction, "prediction")
        score = merged.score
        if not np.isin(p, (0.0, 1.0)).all():  # scores, not labels: threshold them
            score = p if score is None else score
            p = (p >= threshold).astype(float)
        if not np.isin(y, (0.0, 1.0)).all():
            raise MonitorError("BinaryClassification ground truth must be 0 or 1; found "
                               f"{sorted(set(y.tolist()) - {0.0, 1.0})[:5]}")
        return Merged(y, p, score)
    return Merged(_labels(merged.truth), _labels(merged.prediction), None)


def _floats(values: np.ndarray, what: str) -> np.ndarray:
    numbers: np.ndarray = np.asarray(pd.to_numeric(pd.Series(values), errors="coerce"), dtype=float)
    bad = np.isnan(numbers)
    if bad.any():
        raise MonitorError(f"{int(bad.sum())} {what} value(s) are not numbers, e.g. "
                           f"{values[bad][0]!r}")
    return numbers


def _labels(values: np.ndarray) -> np.ndarray:
    out = []
    for v in values.tolist():
        text = str(v).strip()
        try:  # "1" and "1.0" are the same class
            number = float(text)
            text = str(int(number)) if number.is_integer() else text
        except ValueError:
            pass
        out.append(text)
    return np.asarray(out, dtype=str)

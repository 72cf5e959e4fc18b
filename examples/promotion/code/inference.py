"""Serving code of the promotion model (shipped in model.tar.gz under code/).

Requests are CSV rows of the 30 measurements. A blank field is a measurement the client
does not have (real traffic has them; the evaluation data does not): it becomes NaN, which
XGBoost treats as missing and routes down each tree's default branch.
"""

import os

import numpy as np
import xgboost as xgb


def model_fn(model_dir):
    booster = xgb.Booster()
    booster.load_model(os.path.join(model_dir, "xgboost-model"))
    return booster


def input_fn(body, content_type):
    if content_type != "text/csv":
        raise ValueError(f"unsupported content type {content_type}: send text/csv rows")
    text = body.decode() if isinstance(body, bytes) else body
    rows = [[float(v) if v.strip() else np.nan for v in line.split(",")]
            for line in text.splitlines() if line.strip()]
    return xgb.DMatrix(np.array(rows, dtype=np.float32), missing=np.nan)


def predict_fn(data, booster):
    return booster.predict(data)


def output_fn(prediction, accept):
    return "\n".join(f"{p:.6f}" for p in prediction), "text/csv"

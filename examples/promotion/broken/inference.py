"""Serving code of the promotion model, "optimised": numpy parses the request in one call.

DELIBERATELY BROKEN (the example's bad release): np.loadtxt cannot convert a blank field,
so every request with a missing measurement fails with a 500, while complete rows (all
of the evaluation data, hence every smoke-test payload) still score correctly.
"""

import io
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
    return xgb.DMatrix(np.loadtxt(io.StringIO(text), delimiter=",", ndmin=2, dtype=np.float32))


def predict_fn(data, booster):
    return booster.predict(data)


def output_fn(prediction, accept):
    return "\n".join(f"{p:.6f}" for p in prediction), "text/csv"

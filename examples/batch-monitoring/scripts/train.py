"""Script-mode scikit-learn training (seed 000's script.py shape) and its serving functions.

Reads SM_CHANNEL_TRAIN / SM_CHANNEL_VALIDATION, logs the metrics the config's
metric_definitions scrape, and saves model.joblib in SM_MODEL_DIR. model_fn/input_fn/predict_fn
serve it (create_model and batch transform use this same file as SAGEMAKER_PROGRAM).
"""

import argparse
import io
import os

import joblib
import numpy as np
import pandas as pd
from sklearn.ensemble import RandomForestRegressor


def train() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n_estimators", type=int, default=100)
    parser.add_argument("--min_samples_leaf", type=int, default=3)
    parser.add_argument("--features", type=str, default="")
    parser.add_argument("--target", type=str, default="target")
    parser.add_argument("--model-dir", default=os.environ.get("SM_MODEL_DIR", "/opt/ml/model"))
    parser.add_argument("--train", default=os.environ.get("SM_CHANNEL_TRAIN"))
    parser.add_argument("--validation", default=os.environ.get("SM_CHANNEL_VALIDATION"))
    args, _ = parser.parse_known_args()
    train_df = pd.read_csv(os.path.join(args.train, "train.csv"))
    valid_df = pd.read_csv(os.path.join(args.validation, "validation.csv"))
    features = args.features.split() or [c for c in train_df.columns if c != args.target]
    model = RandomForestRegressor(n_estimators=args.n_estimators,
                                  min_samples_leaf=args.min_samples_leaf, random_state=0, n_jobs=1)
    model.fit(train_df[features], train_df[args.target])
    errors = np.abs(model.predict(valid_df[features]) - valid_df[args.target])
    for q in (10, 50, 90):
        print(f"AE-at-{q}th-percentile: {np.percentile(errors, q):.3f}")
    print(f"validation-mse: {np.mean(errors ** 2):.3f}")
    joblib.dump({"model": model, "features": features}, os.path.join(args.model_dir, "model.joblib"))


def model_fn(model_dir):
    return joblib.load(os.path.join(model_dir, "model.joblib"))


def input_fn(body, content_type):
    if content_type != "text/csv":
        raise ValueError(f"unsupported content type {content_type}")
    text = body.decode() if isinstance(body, bytes) else body
    return pd.read_csv(io.StringIO(text), header=None)


def predict_fn(data, bundle):
    data.columns = bundle["features"][: data.shape[1]]
    return bundle["model"].predict(data[bundle["features"]])


if __name__ == "__main__":
    train()

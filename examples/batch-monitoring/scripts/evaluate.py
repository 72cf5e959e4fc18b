"""Evaluate the model on the test split; write evaluation.json (seed 001's report shape)."""

import argparse
import json
import os
import tarfile

import joblib
import numpy as np
import pandas as pd


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", default="/opt/ml/processing")
    parser.add_argument("--target", default="target")
    args = parser.parse_args()
    model_dir = os.path.join(args.base, "model")
    with tarfile.open(os.path.join(model_dir, "model.tar.gz")) as tar:
        tar.extractall(path=model_dir, filter="data")
    bundle = joblib.load(os.path.join(model_dir, "model.joblib"))
    test = pd.read_csv(os.path.join(args.base, "test", "test.csv"))
    errors = bundle["model"].predict(test[bundle["features"]]) - test[args.target]
    mse = float(np.mean(errors ** 2))
    report = {"regression_metrics": {"mse": {"value": mse, "standard_deviation": float(np.std(errors))}}}
    out = os.path.join(args.base, "evaluation")
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "evaluation.json"), "w") as fh:
        json.dump(report, fh)
    print(f"test mse: {mse:.3f}")


if __name__ == "__main__":
    main()

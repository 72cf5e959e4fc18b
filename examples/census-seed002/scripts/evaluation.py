"""Census income evaluation (seed 002's shape): classification report to evaluation.json."""

import json
import os
import tarfile

import joblib
import pandas as pd
from sklearn.metrics import accuracy_score, classification_report, roc_auc_score

# This file runs as /opt/ml/processing/code/<name>.py; its container paths are relative to
# that (so it also runs where /opt/ml is mapped to another directory).
BASE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main() -> None:
    with tarfile.open(os.path.join(BASE, "model", "model.tar.gz")) as tar:
        tar.extractall(path=os.path.join(BASE, "model"), filter="data")
    model = joblib.load(os.path.join(BASE, "model", "model.joblib"))
    features = pd.read_csv(os.path.join(BASE, "test", "test_features.csv"), header=None)
    labels = pd.read_csv(os.path.join(BASE, "test", "test_labels.csv"), header=None).iloc[:, 0]
    predicted = model.predict(features)
    report = classification_report(labels, predicted, output_dict=True)
    report["accuracy"] = accuracy_score(labels, predicted)
    report["roc_auc"] = roc_auc_score(labels, model.predict_proba(features)[:, 1])
    print(f"accuracy {report['accuracy']:.4f} roc_auc {report['roc_auc']:.4f}")
    out = os.path.join(BASE, "evaluation")
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "evaluation.json"), "w") as fh:
        json.dump(report, fh)


if __name__ == "__main__":
    main()

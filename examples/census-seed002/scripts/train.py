"""Census income training (seed 002's shape): logistic regression on the preprocessed data.

Runs as ContainerEntrypoint ["python3", "/opt/ml/input/data/code/train.py"].
"""

import os

import joblib
import pandas as pd
from sklearn.linear_model import LogisticRegression

# This file runs as /opt/ml/input/data/code/train.py; the container paths are relative to
# that (so it also runs where /opt/ml is mapped to another directory).
ML = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
DATA = os.path.join(ML, "input", "data", "training")


def main() -> None:
    features = pd.read_csv(os.path.join(DATA, "train_features.csv"), header=None)
    labels = pd.read_csv(os.path.join(DATA, "train_labels.csv"), header=None).iloc[:, 0]
    model = LogisticRegression(class_weight="balanced", max_iter=1000)
    model.fit(features, labels)
    print(f"train accuracy: {model.score(features, labels):.4f}")
    model_dir = os.environ.get("SM_MODEL_DIR", os.path.join(ML, "model"))
    os.makedirs(model_dir, exist_ok=True)
    joblib.dump(model, os.path.join(model_dir, "model.joblib"))


if __name__ == "__main__":
    main()

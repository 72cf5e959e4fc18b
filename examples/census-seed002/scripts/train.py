"""Census income training (seed 002's shape): logistic regression on the preprocessed data.

Runs as ContainerEntrypoint ["python3", "/opt/ml/input/data/code/train.py"].
"""

import os

import joblib
import pandas as pd
from sklearn.linear_model import LogisticRegression

DATA = "/opt/ml/input/data/training"


def main() -> None:
    features = pd.read_csv(os.path.join(DATA, "train_features.csv"), header=None)
    labels = pd.read_csv(os.path.join(DATA, "train_labels.csv"), header=None).iloc[:, 0]
    model = LogisticRegression(class_weight="balanced", max_iter=1000)
    model.fit(features, labels)
    print(f"train accuracy: {model.score(features, labels):.4f}")
    os.makedirs("/opt/ml/model", exist_ok=True)
    joblib.dump(model, "/opt/ml/model/model.joblib")


if __name__ == "__main__":
    main()

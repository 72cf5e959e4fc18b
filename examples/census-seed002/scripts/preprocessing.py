"""Census income preprocessing (seed 002's shape): features and labels for train and test.

Runs as seed 002's ContainerEntrypoint ["python3", "/opt/ml/processing/code/preprocessing.py"]
with its container paths.
"""

import glob
import os

import numpy as np
import pandas as pd
from sklearn.compose import make_column_transformer
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import KBinsDiscretizer, OneHotEncoder, StandardScaler

# This file runs as /opt/ml/processing/code/<name>.py; its container paths are relative to
# that (so it also runs where /opt/ml is mapped to another directory).
BASE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COLUMNS = ["age", "education", "major industry code", "class of worker",
           "num persons worked for employer", "capital gains", "capital losses",
           "dividends from stocks", "income"]


def main() -> None:
    files = sorted(glob.glob(os.path.join(BASE, "input", "**", "*.csv"), recursive=True))
    frame = pd.concat(pd.read_csv(f) for f in files)[COLUMNS].dropna().drop_duplicates()
    labels = (frame.pop("income").str.strip() == "50000+.").astype(int)
    x_train, x_test, y_train, y_test = train_test_split(
        frame, labels, test_size=0.2, random_state=0, stratify=labels)
    transformer = make_column_transformer(
        (KBinsDiscretizer(encode="onehot-dense", n_bins=10), ["age", "num persons worked for employer"]),
        (StandardScaler(), ["capital gains", "capital losses", "dividends from stocks"]),
        (OneHotEncoder(sparse_output=False, handle_unknown="ignore"),
         ["education", "major industry code", "class of worker"]),
    )
    train_features = transformer.fit_transform(x_train)
    test_features = transformer.transform(x_test)
    for part, features, target in (("train", train_features, y_train),
                                   ("test", test_features, y_test)):
        out = os.path.join(BASE, part)
        os.makedirs(out, exist_ok=True)
        pd.DataFrame(features).to_csv(os.path.join(out, f"{part}_features.csv"), header=False, index=False)
        target.to_csv(os.path.join(out, f"{part}_labels.csv"), header=False, index=False)
        print(f"{part}: {features.shape[0]} rows, {features.shape[1]} features, "
              f"positive rate {np.mean(target):.3f}")


if __name__ == "__main__":
    main()

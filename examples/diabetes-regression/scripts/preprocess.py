"""Split the diabetes CSV 70/15/15 (seed 001's TrainingPreProcessStep).

train/validation/test keep the header and the target column; test_features is headerless
features only, the batch transform's input.
"""

import argparse
import glob
import os

import pandas as pd
from sklearn.model_selection import train_test_split


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", default="/opt/ml/processing")
    parser.add_argument("--target", default="target")
    args = parser.parse_args()
    files = sorted(glob.glob(os.path.join(args.base, "input", "raw", "**", "*.csv"), recursive=True))
    frame = pd.concat(pd.read_csv(f) for f in files)
    train, rest = train_test_split(frame, test_size=0.3, random_state=1)
    validation, test = train_test_split(rest, test_size=0.5, random_state=1)
    parts = {"train": train, "validation": validation, "test": test}
    for name, part in parts.items():
        out = os.path.join(args.base, "output", name)
        os.makedirs(out, exist_ok=True)
        part.to_csv(os.path.join(out, f"{name}.csv"), index=False)
        print(f"{name}: {len(part)} rows")
    out = os.path.join(args.base, "output", "test_features")
    os.makedirs(out, exist_ok=True)
    test.drop(columns=[args.target]).to_csv(os.path.join(out, "test_features.csv"), header=False, index=False)


if __name__ == "__main__":
    main()

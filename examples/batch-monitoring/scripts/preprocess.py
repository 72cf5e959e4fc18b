"""Training preprocessing (seed 001's TrainingPreProcessStep): split 70/15/15.

Also writes the baseline dataset, the training features with a header, which the baseline
stage profiles and the inference pipeline's data-quality check compares new data with.
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
    parts = {"train": train, "validation": validation, "test": test,
             "baseline": train.drop(columns=[args.target])}
    for name, part in parts.items():
        out = os.path.join(args.base, "output", name)
        os.makedirs(out, exist_ok=True)
        part.to_csv(os.path.join(out, f"{name}.csv"), index=False)
        print(f"{name}: {len(part)} rows")


if __name__ == "__main__":
    main()

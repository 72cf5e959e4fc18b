"""Inference preprocessing (seed 001's DataPreProcessingStep): the new data as the model's input.

features/ keeps the header (the data-quality check matches columns by name); transform/ is
the same rows without a header, the batch transform's input, in the same order as the
ground truth.
"""

import argparse
import glob
import os

import pandas as pd


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", default="/opt/ml/processing")
    args = parser.parse_args()
    files = sorted(glob.glob(os.path.join(args.base, "input", "new", "**", "*.csv"), recursive=True))
    frame = pd.concat(pd.read_csv(f) for f in files)
    for name, header in (("features", True), ("transform", False)):
        out = os.path.join(args.base, "output", name)
        os.makedirs(out, exist_ok=True)
        frame.to_csv(os.path.join(out, f"{name}.csv"), header=header, index=False)
    print(f"prepared {len(frame)} rows")


if __name__ == "__main__":
    main()

"""ETL for the breast cancer example: header CSV in, headerless train/validation CSVs out.

The built-in XGBoost algorithm reads CSV without a header, label in the first column.
"""

import argparse
import glob
import os

import pandas as pd
from sklearn.model_selection import train_test_split


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", default="/opt/ml/processing")
    parser.add_argument("--validation-fraction", type=float, default=0.3)
    parser.add_argument("--label", default="target")
    args = parser.parse_args()
    files = sorted(glob.glob(os.path.join(args.base, "input", "raw", "**", "*.csv"), recursive=True))
    if not files:
        raise SystemExit(f"no CSV input under {args.base}/input/raw")
    frame = pd.concat(pd.read_csv(f) for f in files)
    columns = [args.label] + [c for c in frame.columns if c != args.label]
    frame = frame[columns]
    train, validation = train_test_split(
        frame, test_size=args.validation_fraction, random_state=42, stratify=frame[args.label]
    )
    for name, part in (("train", train), ("validation", validation)):
        out = os.path.join(args.base, "output", name)
        os.makedirs(out, exist_ok=True)
        part.to_csv(os.path.join(out, f"{name}.csv"), header=False, index=False)
        print(f"{name}: {len(part)} rows, {part.shape[1] - 1} features")


if __name__ == "__main__":
    main()

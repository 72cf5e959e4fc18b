"""Example data: scikit-learn's breast cancer set as a header CSV (label column 'target')."""

import sys
from pathlib import Path

from sklearn.datasets import load_breast_cancer


def main(out: Path) -> None:
    frame = load_breast_cancer(as_frame=True).frame
    out.mkdir(parents=True, exist_ok=True)
    frame.to_csv(out / "data.csv", index=False)
    # A few rows to send to the endpoint: features only, no header (what the model expects).
    sample = frame.drop(columns=["target"]).sample(5, random_state=7)
    sample.to_csv(out / "sample.csv", header=False, index=False)


if __name__ == "__main__":
    main(Path(sys.argv[1]))

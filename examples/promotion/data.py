"""Example data: breast cancer as built-in XGBoost wants it (label first, no header)."""

import sys
from pathlib import Path

from sklearn.datasets import load_breast_cancer


def main(out: Path) -> None:
    frame = load_breast_cancer(as_frame=True).frame
    frame = frame[["target", *[c for c in frame.columns if c != "target"]]]
    shuffled = frame.sample(frac=1.0, random_state=3)
    cut = int(len(shuffled) * 0.8)
    for name, part in (("train", shuffled[:cut]), ("validation", shuffled[cut:])):
        (out / name).mkdir(parents=True, exist_ok=True)
        part.to_csv(out / name / f"{name}.csv", header=False, index=False)
    # Smoke-test payloads: features only, no header.
    (out / "sample").mkdir(parents=True, exist_ok=True)
    shuffled[cut:].drop(columns=["target"]).head(5).to_csv(
        out / "sample" / "sample.csv", header=False, index=False)


if __name__ == "__main__":
    main(Path(sys.argv[1]))

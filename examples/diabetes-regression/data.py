"""Example data: scikit-learn's diabetes set (unscaled) as a header CSV with a 'target' column."""

import sys
from pathlib import Path

from sklearn.datasets import load_diabetes


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    load_diabetes(as_frame=True, scaled=False).frame.to_csv(out / "diabetes.csv", index=False)


if __name__ == "__main__":
    main(Path(sys.argv[1]))

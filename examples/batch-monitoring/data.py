"""Example data: the diabetes set for training, and new data that drifts on purpose.

new-data.csv shifts bmi and s5 by two standard deviations (data drift the data-quality check
reports); ground-truth.csv adds 200 to the target (concept drift that pushes the model's MSE
over the threshold, so model quality breaches and retraining starts).
"""

import sys
from pathlib import Path

from sklearn.datasets import load_diabetes


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    frame = load_diabetes(as_frame=True, scaled=False).frame
    frame.to_csv(out / "diabetes.csv", index=False)
    new = frame.sample(n=120, random_state=7).reset_index(drop=True)
    truth = new.pop("target") + 200
    for column in ("bmi", "s5"):
        new[column] = new[column] + 2 * frame[column].std()
    new.to_csv(out / "new-data.csv", index=False)
    truth.to_csv(out / "ground-truth.csv", header=False, index=False)


if __name__ == "__main__":
    main(Path(sys.argv[1]))

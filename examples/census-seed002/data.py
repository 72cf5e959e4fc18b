"""A small stand-in for seed 002's census-income data, and the scripts bundle.

Writes census-income.csv (the columns seed 002's preprocessing reads, with a learnable
relation between them and the income label) and source.tar.gz (inference.py), which
seed 002's CreateModel names as SAGEMAKER_SUBMIT_DIRECTORY.
"""

import sys
import tarfile
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent


def census(rows: int = 3000, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    education = rng.choice([" Bachelors degree", " High school graduate", " Masters degree",
                            " Some college but no degree", " Doctorate degree"], rows)
    industry = rng.choice([" Retail trade", " Manufacturing-durable goods", " Education",
                           " Finance insurance and real estate", " Construction"], rows)
    worker = rng.choice([" Private", " Self-employed-incorporated", " Federal government",
                         " Not in universe"], rows)
    age = rng.integers(18, 80, rows)
    gains = rng.exponential(800, rows).round()
    losses = rng.exponential(100, rows).round()
    dividends = rng.exponential(300, rows).round()
    persons = rng.integers(0, 7, rows)
    score = (0.04 * (age - 45) + 0.0012 * gains + 0.002 * dividends + 0.3 * persons
             + np.isin(education, [" Masters degree", " Doctorate degree"]) * 1.5
             + (industry == " Finance insurance and real estate") * 1.0 - 4.0
             + rng.normal(0, 0.8, rows))
    income = np.where(score > 0, " 50000+.", " - 50000.")
    return pd.DataFrame({
        "age": age, "education": education, "major industry code": industry,
        "class of worker": worker, "num persons worked for employer": persons,
        "capital gains": gains, "capital losses": losses, "dividends from stocks": dividends,
        "income": income,
    })


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    census().to_csv(out / "census-income.csv", index=False)
    with tarfile.open(out / "source.tar.gz", "w:gz") as tar:
        tar.add(HERE / "scripts" / "inference.py", arcname="inference.py")


if __name__ == "__main__":
    main(Path(sys.argv[1]))

"""`sagestep init`: a new use case directory (config, scripts, README) that runs as it is."""

from __future__ import annotations

import re
from pathlib import Path

from sagestep.errors import SagestepError

PIPELINE = """\
# {name}: a sagestep pipeline. Every stage is optional; delete what you do not need.
# Reference: `sagestep validate pipeline.yaml` explains any mistake (file:line, key path).
name: {name}
description: Train on an uploaded CSV, gate on the validation error, deploy an endpoint.
defaults:
  bucket: {bucket}
triggers:
  s3:                       # `sagestep upload data.csv s3://{bucket}/{name}/input/data.csv`
    - bucket: {bucket}
      prefix: {name}/input/
      suffix: .csv
  schedules: []             # e.g. - expression: cron(0 6 ? * MON *)
stages:
  preprocessing:
    framework: sklearn
    framework_version: "1.2-1"
    script: prepare.py
    source_dir: scripts
    arguments: ["--base", "/opt/ml/processing"]
    inputs:
      - name: raw
        source: "{{{{ trigger.uri }}}}"
        destination: /opt/ml/processing/input/raw
    outputs:
      - name: train
        source: /opt/ml/processing/output/train
      - name: validation
        source: /opt/ml/processing/output/validation
  training:
    algorithm: xgboost
    version: "1.7-1"
    content_type: text/csv
    hyperparameters:
      objective: "binary:logistic"
      eval_metric: error
      num_round: 50
    inputs:
      train: "{{{{ stages.preprocessing.outputs.train }}}}"
      validation: "{{{{ stages.preprocessing.outputs.validation }}}}"
  gate:
    source: training
    metric: "validation:error"
    threshold: 0.2
    comparison: less_than
  create_model: {{}}
  deploy:
    endpoint_name: {name}
"""

PREPARE = '''\
"""Split a header CSV (label column "target") into headerless train/validation CSVs."""

import argparse
import glob
import os

import pandas as pd
from sklearn.model_selection import train_test_split

parser = argparse.ArgumentParser()
parser.add_argument("--base", default="/opt/ml/processing")
parser.add_argument("--label", default="target")
args = parser.parse_args()
files = sorted(glob.glob(os.path.join(args.base, "input", "raw", "**", "*.csv"), recursive=True))
frame = pd.concat(pd.read_csv(f) for f in files)
frame = frame[[args.label] + [c for c in frame.columns if c != args.label]]
train, validation = train_test_split(frame, test_size=0.3, random_state=0)
for name, part in (("train", train), ("validation", validation)):
    os.makedirs(os.path.join(args.base, "output", name), exist_ok=True)
    part.to_csv(os.path.join(args.base, "output", name, name + ".csv"), header=False, index=False)
'''

README = """\
# {name}

A sagestep use case. Run it locally (no AWS account needed):

{steps}

`sagestep status` lists runs and their stages. `data/data.csv` is generated sample data;
your own CSV needs a header and a `target` column (the label); scripts/prepare.py splits it.
Or start a run by hand on an uploaded object, without registering the config:
`sagestep run pipeline.yaml --object s3://{bucket}/{name}/input/data.csv`.
"""


def next_steps(name: str, bucket: str = "sagestep-local") -> list[str]:
    """The commands that take a new use case from files to a prediction (run from its folder)."""
    return [
        "sagestep validate pipeline.yaml",
        "sagestep register pipeline.yaml",
        f"sagestep upload data/data.csv s3://{bucket}/{name}/input/data.csv",
        f"sagestep endpoints invoke {name} --file data/sample.csv",
        f"sagestep endpoints delete {name}",
    ]


def sample_data(rows: int = 300, seed: int = 7) -> tuple[str, str]:
    """A small learnable binary problem: (header CSV with "target", feature rows to invoke)."""
    import random

    rng = random.Random(seed)
    lines = ["target,f1,f2,f3,f4"]
    samples = []
    for i in range(rows):
        f = [round(rng.uniform(0, 1), 4) for _ in range(4)]
        target = int(f[0] + f[1] + rng.gauss(0, 0.1) > 1.0)
        lines.append(",".join(map(str, [target, *f])))
        if i < 5:
            samples.append(",".join(map(str, f)))
    return "\n".join(lines) + "\n", "\n".join(samples) + "\n"


def clean_name(name: str) -> str:
    """A pipeline name made of lowercase letters, digits and dashes."""
    return re.sub(r"[^A-Za-z0-9]+", "-", name).strip("-").lower() or "pipeline"


def scaffold(directory: Path, name: str, ci: str | None = None) -> list[Path]:
    """Write the use case files; refuses to overwrite an existing config."""
    name = clean_name(name)
    config = directory / "pipeline.yaml"
    if config.exists():
        raise SagestepError(f"{config} already exists; choose an empty directory")
    bucket = "sagestep-local"
    data, sample = sample_data()
    steps = "\n".join("    " + step for step in next_steps(name, bucket))
    files = {
        config: PIPELINE.format(name=name, bucket=bucket),
        directory / "scripts" / "prepare.py": PREPARE,
        directory / "data" / "data.csv": data,
        directory / "data" / "sample.csv": sample,
        directory / "README.md": README.format(name=name, bucket=bucket, steps=steps),
    }
    if ci:
        files.update(_ci_file(directory, ci))
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return list(files)


def _ci_file(directory: Path, kind: str) -> dict[Path, str]:
    try:
        from sagestep.cli.aws import ci_template
    except ImportError as exc:
        raise SagestepError("CI templates are not available in this installation") from exc
    relative, text = ci_template(kind)
    return {directory / relative: text}

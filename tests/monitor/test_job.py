"""``python -m sagestep.monitor``: real processes, exit codes, files, and clear errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.monitor import reference

pytestmark = pytest.mark.slow  # each case starts Python processes that import pandas and scipy


def monitor(job: str, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    full = {**os.environ, **env}
    return subprocess.run([sys.executable, "-m", "sagestep.monitor", job, *args], env=full,
                          capture_output=True, text=True, timeout=120)


def frame(seed: int, n: int = 3000, shift: float = 0.0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"target": rng.normal(5, 1, n), "f1": rng.normal(shift, 1, n),
                         "f2": rng.integers(0, 5, n)})


def test_baseline_then_check_as_processes(tmp_path: Path) -> None:
    (tmp_path / "train").mkdir()
    frame(0).to_csv(tmp_path / "train" / "train.csv", header=False, index=False)
    fmt = json.dumps({"csv": {"header": False, "output_columns_position": "START"}})
    done = monitor("baseline", {"dataset_source": str(tmp_path / "train"), "dataset_format": fmt,
                                "output_path": str(tmp_path / "base")})
    assert done.returncode == 0, done.stderr
    constraints = json.loads((tmp_path / "base" / "constraints.json").read_text())
    assert [f["name"] for f in constraints["features"]] == ["_c0", "_c1", "_c2"]
    (tmp_path / "new").mkdir()
    frame(1, shift=1.0).to_csv(tmp_path / "new" / "new.csv", header=False, index=False)
    env = {"dataset_source": str(tmp_path / "new"), "dataset_format": fmt,
           "output_path": str(tmp_path / "out"),
           "baseline_constraints": str(tmp_path / "base" / "constraints.json"),
           "baseline_statistics": str(tmp_path / "base" / "statistics.json"),
           "failure_path": str(tmp_path / "message")}
    done = monitor("data-quality", env)
    assert done.returncode == 0, done.stderr
    violations = json.loads((tmp_path / "out" / "constraint_violations.json").read_text())
    assert reference.shape(violations) == reference.shape(reference.VIOLATIONS)
    assert [v["feature_name"] for v in violations["violations"]] == ["_c1"]
    assert json.loads((tmp_path / "out" / "statistics.json").read_text())["dataset"] == \
        {"item_count": 3000}
    failed = monitor("data-quality", env, "--fail_on_violation", "true")
    assert failed.returncode == 1
    assert (tmp_path / "message").read_text() == \
        "CompletedWithViolations: 1 violation(s): _c1: baseline_drift_check"


def test_bad_input_is_one_clear_line_not_a_traceback(tmp_path: Path) -> None:
    env = {"dataset_source": str(tmp_path / "nowhere"), "output_path": str(tmp_path / "out"),
           "baseline_constraints": str(tmp_path / "c.json"), "failure_path": str(tmp_path / "m")}
    done = monitor("data-quality", env)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "baseline_constraints file" in done.stderr and "not found" in done.stderr
    (tmp_path / "c.json").write_text(json.dumps(reference.CONSTRAINTS))
    done = monitor("data-quality", {**env, "dataset_format": "{csv"})
    assert done.returncode == 2 and "dataset_format is not JSON" in done.stderr
    done = monitor("data-quality", env)
    assert "dataset source" in done.stderr and "does not exist" in done.stderr
    assert (tmp_path / "m").read_text().startswith("ClientError: dataset source")
    (tmp_path / "nowhere").mkdir()
    done = monitor("data-quality", env)
    assert "Job inputs had no data" in done.stderr
    assert monitor("nonsense", env).returncode == 2


def test_captured_traffic_in_a_time_window_against_a_named_baseline(tmp_path: Path) -> None:
    (tmp_path / "train").mkdir()
    base = frame(0)
    base.to_csv(tmp_path / "train" / "train.csv", index=False)
    assert monitor("baseline", {"dataset_source": str(tmp_path / "train"),
                                "output_path": str(tmp_path / "base")}).returncode == 0
    hour = tmp_path / "capture" / "ep" / "AllTraffic" / "2026" / "01" / "02" / "03"
    hour.mkdir(parents=True)
    lines = []
    for i, row in frame(2, n=300, shift=3.0).iterrows():
        record = json.loads(json.dumps(reference.CAPTURE_RECORD))
        record["captureData"]["endpointInput"]["data"] = f"{row.f1},{int(row.f2)}\n"
        record["captureData"]["endpointOutput"]["data"] = str(row.target)
        minute = 10 if i < 150 else 50
        record["eventMetadata"] = {"eventId": f"e{i}", "inferenceTime": f"2026-01-02T03:{minute}:00Z"}
        lines.append(json.dumps(record))
    (hour / "x.jsonl").write_text("\n".join(lines) + "\n")
    env = {"dataset_source": str(tmp_path / "capture"), "output_path": str(tmp_path / "out"),
           "dataset_format": json.dumps({"sagemakerCaptureJson": {
               "captureIndexNames": ["endpointInput", "endpointOutput"]}}),
           "baseline_constraints": str(tmp_path / "base" / "constraints.json"),
           "baseline_statistics": str(tmp_path / "base" / "statistics.json"),
           "start_time": "2026-01-02T03:00:00Z", "end_time": "2026-01-02T03:30:00Z"}
    done = monitor("data-quality", env)
    assert done.returncode == 0, done.stderr
    stats = json.loads((tmp_path / "out" / "statistics.json").read_text())
    assert stats["dataset"]["item_count"] == 150  # only the first half hour
    assert [f["name"] for f in stats["features"]] == ["target", "f1", "f2"]
    violations = json.loads((tmp_path / "out" / "constraint_violations.json").read_text())
    assert [v["feature_name"] for v in violations["violations"]] == ["f1"]
    late = monitor("data-quality", {**env, "start_time": "2026-01-03T00:00:00Z", "end_time": ""})
    assert late.returncode == 2 and "no rows" in late.stderr and "time window" in late.stderr


def test_model_quality_job_with_a_metric_threshold(tmp_path: Path) -> None:
    (tmp_path / "pred").mkdir()
    (tmp_path / "gt").mkdir()
    y = np.arange(300.0)
    pd.DataFrame({"p": y + 3}).to_csv(tmp_path / "pred" / "out.csv", header=False, index=False)
    pd.DataFrame({"y": y}).to_csv(tmp_path / "gt" / "gt.csv", header=False, index=False)
    csv = json.dumps({"csv": {"header": False}})
    env = {"dataset_source": str(tmp_path / "pred"), "ground_truth_source": str(tmp_path / "gt"),
           "dataset_format": csv, "ground_truth_format": csv, "problem_type": "Regression",
           "output_path": str(tmp_path / "out"), "metric_thresholds": '{"mse": 6.0}',
           "failure_path": str(tmp_path / "m")}
    done = monitor("model-quality", env, "--fail_on_violation", "true")
    assert done.returncode == 1
    stats = json.loads((tmp_path / "out" / "statistics.json").read_text())
    assert stats["regression_metrics"]["mse"]["value"] == 9.0
    assert (tmp_path / "m").read_text() == \
        "CompletedWithViolations: 1 violation(s): mse: GreaterThanThreshold"
    assert monitor("model-quality", {**env, "metric_thresholds": '{"mse": 10}'}).returncode == 0
    bad = monitor("model-quality", {**env, "problem_type": "Ranking"})
    assert bad.returncode == 2 and "problem_type 'Ranking' must be one of" in bad.stderr

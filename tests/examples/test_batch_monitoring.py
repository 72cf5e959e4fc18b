"""Seed 001's shape end to end: train with a baseline, score drifted data, retrain once.

Real jobs on the local backend: the training pipeline registers an Approved model with its
data-quality baseline; the inference pipeline scores new data with the newest approved
model, reports the drift, breaches on MSE, and the breach (delivered twice, as EventBridge
may) starts exactly one retraining run.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from sagestep.backends.local import LocalBackend
from sagestep.errors import SagestepError

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "batch-monitoring"
BUCKET = "sagestep-examples"
pytestmark = pytest.mark.slow


@pytest.fixture
def backend(tmp_path):
    made = LocalBackend(tmp_path / "ws")
    yield made
    made.runtime.engine.close()


def _finish(backend, arn):
    backend.runtime.engine.wait(arn, timeout=300)
    return backend.describe_run(arn)


def _cli(capsys, *args):
    from sagestep.cli.main import main

    try:
        main(list(args))
    except SystemExit as exc:
        assert exc.code in (0, None), capsys.readouterr()
    return capsys.readouterr().out


def test_train_score_drift_breach_retrain_once(backend, tmp_path, capsys):
    data = tmp_path / "data"
    subprocess.run([sys.executable, str(EXAMPLE / "data.py"), str(data)], check=True)
    s3 = backend.runtime.client("s3")
    s3.create_bucket(Bucket=BUCKET)
    for name, key in (("diabetes.csv", "train"), ("new-data.csv", "new"),
                      ("ground-truth.csv", "ground-truth")):
        s3.put_object(Bucket=BUCKET, Key=f"batch-monitoring/{key}/{name}",
                      Body=(data / name).read_bytes())
    backend.register(EXAMPLE / "training.yaml")
    backend.register(EXAMPLE / "inference.yaml")

    # seed 001's first run failed obscurely here; this one names the group
    with pytest.raises(SagestepError, match="group 'batch-monitoring' has no Approved"):
        backend.start_run("batch-monitoring-inference")

    trained = _finish(backend, backend.start_run("batch-monitoring-training").arn)
    assert trained.status == "SUCCEEDED"
    (package,) = backend.models("batch-monitoring")
    described = backend.model(package["ModelPackageArn"])
    quality = described["ModelMetrics"]["ModelDataQuality"]
    assert quality["Constraints"]["S3Uri"].endswith("/baseline/constraints.json")
    assert described["DriftCheckBaselines"]["ModelDataQuality"] == quality

    scored = backend.start_run("batch-monitoring-inference")
    info = _finish(backend, scored.arn)
    assert info.status == "FAILED"
    stages = {s.stage: s.status for s in backend.stages(scored.arn)}
    assert stages["batch_transform"] == "SUCCEEDED" and stages["data_quality"] == "SUCCEEDED"
    assert stages["model_quality"] == "FAILED"
    run_id = json.loads(backend.runtime.client("stepfunctions").describe_execution(
        executionArn=scored.arn)["input"])["run"]["id"]
    prefix = f"batch-monitoring-inference/{run_id}"
    drift = json.loads(s3.get_object(Bucket=BUCKET, Key=f"{prefix}/data_quality/"
                                     "constraint_violations.json")["Body"].read())
    assert {v["feature_name"] for v in drift["violations"]} >= {"bmi", "s5"}
    model_stats = json.loads(s3.get_object(Bucket=BUCKET, Key=f"{prefix}/model_quality/"
                                           "statistics.json")["Body"].read())
    assert model_stats["regression_metrics"]["mse"]["value"] > 6000
    home = str(tmp_path / "ws")
    status = _cli(capsys, "status", scored.arn, "--home", home)
    assert "  data_quality check: " in status and "bmi: baseline_drift_check" in status
    assert "  model_quality check: 1 violation(s) - mse: GreaterThanThreshold" in status
    report = _cli(capsys, "monitor", "report", scored.arn, "--home", home)
    assert "model_quality: 1 violation(s)" in report and "GreaterThanThreshold" in report
    assert "Baseline drift distance:" in report and "│ bmi" in report

    failed = backend.runtime.client("stepfunctions").describe_execution(executionArn=scored.arn)
    event = {"source": "aws.states", "detail-type": "Step Functions Execution Status Change",
             "detail": {k: failed.get(k) for k in ("executionArn", "stateMachineArn", "name",
                                                   "status", "input", "error", "cause")}}
    first = backend.send_event(event)
    again = backend.send_event(event)  # EventBridge delivers at least once
    assert len(first) == 1 and [r.arn for r in again] == [r.arn for r in first]
    runs = backend.list_runs("batch-monitoring-training")
    assert len(runs) == 2  # the first training and exactly one retraining
    retrained = _finish(backend, first[0].arn)
    assert retrained.status == "SUCCEEDED"
    assert len(backend.models("batch-monitoring")) == 2

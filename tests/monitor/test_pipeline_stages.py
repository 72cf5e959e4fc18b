"""Monitoring stages in a registered pipeline, run by the local engine with real jobs."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sagestep.backends.local import LocalBackend
from sagestep.pipeline.loader import load_config
from sagestep.triggers.causes import run_cause

pytestmark = pytest.mark.slow

CONFIG = """\
name: {name}
defaults: {{bucket: mon}}
stages:
  baseline:
    dataset: {{source: "s3://mon/data/train/", format: csv, header: false}}
  data_quality:
    dataset: {{source: "s3://mon/data/{new}/", format: csv, header: false}}
    on_violation: fail
    retrain: {name}-retrain
"""
RETRAIN = """\
name: {name}-retrain
defaults: {{bucket: mon}}
stages:
  baseline:
    dataset: {{source: "s3://mon/data/train/", format: csv, header: false}}
"""


@pytest.fixture
def backend(tmp_path):
    made = LocalBackend(tmp_path / "ws")
    yield made
    made.runtime.engine.close()


def _csv(frame: pd.DataFrame) -> bytes:
    return frame.to_csv(header=False, index=False).encode()


def test_config_builds_processing_jobs_and_attaches_the_baseline(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(CONFIG.format(name="m", new="new") + """\
  training:
    algorithm: xgboost
    hyperparameters: {num_round: 3}
    inputs: {train: "s3://mon/data/train/"}
    content_type: text/csv
  register: {model_package_group: g}
  model_quality:
    predictions: {source: "s3://mon/pred/", header: false}
    ground_truth: {source: "s3://mon/gt/", header: false}
    problem_type: Regression
    thresholds: {mse: 6.0}
""")
    stages = load_config(path).item["stages"]
    dq = stages["data_quality"]["request"]
    assert dq["AppSpecification"]["ContainerEntrypoint"] == [
        "python3", "/opt/ml/processing/input/code/sagestep/monitor/entry.py", "data-quality"]
    inputs = {i["InputName"]: i["S3Input"]["S3Uri"] for i in dq["ProcessingInputs"]}
    assert inputs == {"code": "s3://mon/m/code/monitor/sagestep", "dataset": "s3://mon/data/new/",
                      "baseline": "s3://mon/m/{{ run.id }}/baseline"}
    assert stages["data_quality"]["on_violation"] == "fail"
    assert json.loads(dq["Environment"]["dataset_format"]) == {
        "csv": {"header": False, "output_columns_position": "START"}}
    metrics = stages["register"]["request"]["ModelMetrics"]["ModelDataQuality"]
    assert metrics["Constraints"]["S3Uri"] == "s3://mon/m/{{ run.id }}/baseline/constraints.json"
    assert stages["register"]["request"]["DriftCheckBaselines"]["ModelDataQuality"] == metrics
    mq = stages["model_quality"]["request"]["Environment"]
    assert mq["metric_thresholds"] == '{"mse": 6.0}' and mq["problem_type"] == "Regression"


def test_drift_fails_the_data_quality_stage_and_clean_data_passes(backend, tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    train = pd.DataFrame({"y": rng.normal(size=3000), "x": rng.normal(size=3000)})
    s3 = backend.runtime.client("s3")
    s3.create_bucket(Bucket="mon")
    s3.put_object(Bucket="mon", Key="data/train/train.csv", Body=_csv(train))
    s3.put_object(Bucket="mon", Key="data/same/new.csv", Body=_csv(train.sample(frac=0.5,
                                                                                 random_state=1)))
    s3.put_object(Bucket="mon", Key="data/drifted/new.csv", Body=_csv(train.assign(x=train.x + 2)))
    for name, new in (("clean", "same"), ("drift", "drifted")):
        (tmp_path / f"{name}.yaml").write_text(CONFIG.format(name=name, new=new))
        backend.register(tmp_path / f"{name}.yaml")
    clean = backend.start_run("clean")
    drift = backend.start_run("drift")
    backend.runtime.engine.wait(clean.arn, timeout=180)
    backend.runtime.engine.wait(drift.arn, timeout=180)
    assert backend.describe_run(clean.arn).status == "SUCCEEDED"
    assert backend.describe_run(drift.arn).status == "FAILED"
    stages = {s.stage: s.status for s in backend.stages(drift.arn)}
    assert stages["baseline"] == "SUCCEEDED" and stages["data_quality"] == "FAILED"
    found = [o["Key"] for o in s3.list_objects_v2(Bucket="mon", Prefix="clean/")["Contents"]]
    assert any(k.endswith("data_quality/constraint_violations.json") for k in found)
    assert any(k.endswith("baseline/constraints.json") for k in found)
    kept = [o["Key"] for o in s3.list_objects_v2(Bucket="mon", Prefix="drift/")["Contents"]]
    assert any(k.endswith("data_quality/constraint_violations.json") for k in kept)  # breached
    # the breach, delivered twice as EventBridge would, starts the retraining pipeline once
    (tmp_path / "retrain.yaml").write_text(RETRAIN.format(name="drift"))
    backend.register(tmp_path / "retrain.yaml")
    failed = backend.runtime.client("stepfunctions").describe_execution(executionArn=drift.arn)
    assert failed["error"] == "Sagestep.MonitoringViolations"
    # The run fails in the helper's "fail" Task: Lambda wraps the cause (run_cause unwraps).
    assert run_cause(failed["error"], failed["cause"]) == \
        "data_quality: CompletedWithViolations: 1 violation(s): _c1: baseline_drift_check"
    from sagestep.backends.breaches import BreachSweep, status_event

    sweep = BreachSweep(backend.runtime.client("stepfunctions"), backend.state_machine_arn,
                        backend.send_event)
    (first,) = sweep.scan()  # the server loop's sweep: the local breach rule
    assert sweep.scan() == []
    event = status_event(failed)
    again = backend.send_event(event)  # EventBridge may deliver it again: a duplicate
    assert [r.arn for r in again] == [first.arn]  # the same execution, not a second one
    (retraining,) = backend.list_runs("drift-retrain")
    backend.runtime.engine.wait(retraining.arn, timeout=180)
    assert backend.describe_run(retraining.arn).status == "SUCCEEDED"
    clean_failed = {**event, "detail": {**event["detail"], "error": "States.TaskFailed",
                                        "cause": "OutOfMemory"}}
    assert backend.send_event(clean_failed) == []  # not a breach: no retraining


SCHEDULED = """\
name: sched
defaults: {bucket: mon}
triggers:
  schedules: ["rate(1 hour)"]
stages:
  data_quality:
    dataset:
      source: s3://mon/capture/ep/AllTraffic/
      format: capture
      start_time: "-PT1H"          # the hour before the scheduled time
      end_time: "{{ run.time }}"
    baseline: s3://mon/baseline/
    on_violation: continue
"""


def test_a_monitoring_only_pipeline_on_a_schedule_checks_the_last_hour(backend, tmp_path):
    from sagestep.monitor.statistics import constraints_json, statistics_json
    from sagestep.triggers.names import schedule_rule_name
    from tests.monitor.helpers import profile

    rng = np.random.default_rng(3)
    base = pd.DataFrame({"_c0": rng.normal(size=500), "_c1": rng.normal(size=500)})
    made = profile(base)
    s3 = backend.runtime.client("s3")
    s3.create_bucket(Bucket="mon")
    for name, doc in (("statistics", statistics_json(made)), ("constraints", constraints_json(made))):
        s3.put_object(Bucket="mon", Key=f"baseline/{name}.json", Body=json.dumps(doc).encode())
    for hour, count in (("02", 40), ("03", 60)):  # only 03:xx is in the checked window
        lines = []
        for i in range(count):
            record = {"captureData": {
                "endpointInput": {"observedContentType": "text/csv", "mode": "INPUT",
                                  "data": f"{rng.normal():.4f}", "encoding": "CSV"},
                "endpointOutput": {"observedContentType": "text/csv", "mode": "OUTPUT",
                                   "data": f"{rng.normal():.4f}", "encoding": "CSV"}},
                "eventMetadata": {"eventId": f"{hour}-{i}",
                                  "inferenceTime": f"2026-01-02T{hour}:{i % 60:02d}:00Z"},
                "eventVersion": "0"}
            lines.append(json.dumps(record))
        s3.put_object(Bucket="mon", Key=f"capture/ep/AllTraffic/2026/01/02/{hour}/x.jsonl",
                      Body=("\n".join(lines) + "\n").encode())
    (tmp_path / "sched.yaml").write_text(SCHEDULED)
    backend.register(tmp_path / "sched.yaml")
    (ref,) = backend.send_event({
        "version": "0", "id": "tick-1", "detail-type": "Scheduled Event", "source": "aws.events",
        "time": "2026-01-02T04:00:00Z",
        "resources": [f"arn:aws:events:us-east-1:123456789012:rule/{schedule_rule_name('sched', 0)}"],
        "detail": {}})
    backend.runtime.engine.wait(ref.arn, timeout=180)
    assert backend.describe_run(ref.arn).status == "SUCCEEDED"
    found = [o["Key"] for o in s3.list_objects_v2(Bucket="mon", Prefix="sched/")["Contents"]]
    (stats_key,) = [k for k in found if k.endswith("data_quality/statistics.json")]
    stats = json.loads(s3.get_object(Bucket="mon", Key=stats_key)["Body"].read())
    assert stats["dataset"]["item_count"] == 60

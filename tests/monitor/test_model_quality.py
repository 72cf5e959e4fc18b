"""Model quality: metrics against scikit-learn, the statistics shape, merges and constraints."""

import json

import numpy as np
import pytest
from sklearn import metrics as sk

from sagestep.errors import MonitorError
from sagestep.monitor import metrics
from sagestep.monitor.merge import Attributes, as_problem, merge_batch, merge_capture
from tests.monitor import reference


def test_regression_metrics_and_shape():
    rng = np.random.default_rng(0)
    y = rng.normal(size=500)
    p = y + rng.normal(scale=0.5, size=500)
    stats = metrics.statistics("Regression", y, p)
    block = stats["regression_metrics"]
    assert set(block) == {"mae", "mse", "rmse", "r2"}
    assert np.isclose(block["mse"]["value"], sk.mean_squared_error(y, p))
    assert np.isclose(block["mae"]["value"], sk.mean_absolute_error(y, p))
    assert np.isclose(block["r2"]["value"], sk.r2_score(y, p))
    assert np.isclose(block["rmse"]["value"], np.sqrt(block["mse"]["value"]))
    assert isinstance(block["mse"]["standard_deviation"], float)
    assert stats["version"] == 0.0 and stats["dataset"] == {"item_count": 500}


def test_standard_deviation_is_nan_under_200_samples():
    stats = metrics.statistics("Regression", np.arange(50.0), np.arange(50.0) + 1)
    assert stats["regression_metrics"]["mse"]["standard_deviation"] == "NaN"


def test_binary_metrics_match_sklearn():
    rng = np.random.default_rng(1)
    y = rng.integers(0, 2, 400).astype(float)
    score = np.clip(y * 0.6 + rng.uniform(0, 0.5, 400), 0, 1)
    label = (score >= 0.5).astype(float)
    block = metrics.statistics("BinaryClassification", y, label, score)["binary_classification_metrics"]
    assert np.isclose(block["accuracy"]["value"], sk.accuracy_score(y, label))
    assert np.isclose(block["precision"]["value"], sk.precision_score(y, label))
    assert np.isclose(block["recall"]["value"], sk.recall_score(y, label))
    assert np.isclose(block["f1"]["value"], sk.f1_score(y, label))
    assert np.isclose(block["auc"]["value"], sk.roc_auc_score(y, score))
    matrix = sk.confusion_matrix(y, label)
    assert block["confusion_matrix"] == {"0.0": {"0.0": matrix[0, 0], "1.0": matrix[0, 1]},
                                         "1.0": {"0.0": matrix[1, 0], "1.0": matrix[1, 1]}}


def test_multiclass_weighted_metrics_match_sklearn():
    rng = np.random.default_rng(2)
    y = rng.choice(["a", "b", "c"], 300)
    p = np.where(rng.uniform(size=300) < 0.7, y, rng.choice(["a", "b", "c"], 300))
    block = metrics.statistics("MulticlassClassification", y, p)["multiclass_classification_metrics"]
    assert np.isclose(block["accuracy"]["value"], sk.accuracy_score(y, p))
    assert np.isclose(block["weighted_f1"]["value"], sk.f1_score(y, p, average="weighted"))
    assert np.isclose(block["weighted_precision"]["value"],
                      sk.precision_score(y, p, average="weighted"))


def test_constraints_compare_in_each_operators_direction():
    stats = metrics.statistics("Regression", np.arange(10.0), np.arange(10.0) + 3)  # mse 9, r2 < 0
    violations = metrics.compare(stats, reference.MODEL_CONSTRAINTS)
    assert [(v["metric_name"], v["constraint_check_type"]) for v in violations] == [
        ("mse", "GreaterThanThreshold"), ("r2", "LessThanThreshold")]
    assert violations[0]["description"] == "Metric mse with 9 was GreaterThanThreshold '6.0'"
    good = metrics.statistics("Regression", np.arange(10.0), np.arange(10.0) + 0.1)
    assert metrics.compare(good, reference.MODEL_CONSTRAINTS) == []
    suggested = metrics.suggest_constraints(good, "Regression")
    assert suggested["regression_constraints"]["mse"]["comparison_operator"] == "GreaterThanThreshold"
    assert suggested["regression_constraints"]["r2"]["comparison_operator"] == "LessThanThreshold"
    with pytest.raises(MonitorError, match="comparison_operator"):
        metrics.compare(good, {"regression_constraints": {"mse": {"threshold": 1,
                                                                 "comparison_operator": "Nope"}}})


def _capture_line(event, inference_id, features, output):
    record = json.loads(json.dumps(reference.CAPTURE_RECORD))
    record["captureData"]["endpointInput"]["data"] = features
    record["captureData"]["endpointOutput"]["data"] = output
    record["eventMetadata"]["eventId"] = event
    if inference_id is None:
        del record["eventMetadata"]["inferenceId"]
    else:
        record["eventMetadata"]["inferenceId"] = inference_id
    return json.dumps(record)


def test_capture_merge_joins_on_inference_id_else_event_id(tmp_path):
    (tmp_path / "cap").mkdir()
    (tmp_path / "gt").mkdir()
    (tmp_path / "cap" / "a.jsonl").write_text("\n".join([
        _capture_line("e1", "inf-1", "1,2", "0.9"),
        _capture_line("e2", None, "3,4", "0.2"),
        _capture_line("e3", None, "5,6", "0.7"),  # no label yet: left out
    ]) + "\n")
    labels = [{"groundTruthData": {"data": "1", "encoding": "CSV"},
               "eventMetadata": {"eventId": "inf-1"}, "eventVersion": "0"},
              {"groundTruthData": {"data": "0", "encoding": "CSV"},
               "eventMetadata": {"eventId": "e2"}, "eventVersion": "0"}]
    (tmp_path / "gt" / "b.jsonl").write_text("\n".join(json.dumps(r) for r in labels))
    merged = merge_capture(tmp_path / "cap", tmp_path / "gt", Attributes())
    assert merged.truth.tolist() == ["1", "0"] and merged.prediction.tolist() == ["0.9", "0.2"]
    binary = as_problem(merged, "BinaryClassification", 0.5)
    assert binary.prediction.tolist() == [1.0, 0.0] and binary.score.tolist() == [0.9, 0.2]


def test_batch_merge_by_row_order_and_by_key(tmp_path):
    (tmp_path / "pred").mkdir()
    (tmp_path / "gt").mkdir()
    (tmp_path / "pred" / "out.csv").write_text("id,score\n1,10\n2,20\n3,30\n")
    (tmp_path / "gt" / "gt.csv").write_text("id,label\n3,31\n1,11\n2,19\n")
    csv = {"csv": {"header": True}}
    by_key = merge_batch(tmp_path / "pred", csv, tmp_path / "gt", csv,
                         Attributes(inference="score", ground_truth="label", key="id"))
    assert sorted(zip(by_key.prediction.tolist(), by_key.truth.tolist(), strict=True)) == \
        [(10, 11), (20, 19), (30, 31)]
    by_order = merge_batch(tmp_path / "pred", csv, tmp_path / "gt", csv,
                           Attributes(inference="1", ground_truth="1"))
    assert by_order.truth.tolist() == [31, 11, 19]
    (tmp_path / "gt" / "gt.csv").write_text("id,label\n1,11\n")
    with pytest.raises(MonitorError, match="3 rows but ground truth has 1"):
        merge_batch(tmp_path / "pred", csv, tmp_path / "gt", csv, Attributes())
    with pytest.raises(MonitorError, match="no column 'nope'"):
        merge_batch(tmp_path / "pred", csv, tmp_path / "gt", csv, Attributes(inference="nope",
                                                                              key="id"))

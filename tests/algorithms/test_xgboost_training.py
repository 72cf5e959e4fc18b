"""Built-in XGBoost (algorithm mode): hyperparameters, data formats, the training program, the job."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
import tarfile
from pathlib import Path

import numpy as np
import pytest
import xgboost as xgb

from sagestep.algorithms import BUILTINS, lookup
from sagestep.algorithms.failure import UserError
from sagestep.algorithms.xgboost import data, hyperparameters
from sagestep.algorithms.xgboost.metrics import metric_definitions, objective_direction
from tests.serving.helpers import ROLE, XGB_IMAGE, breast_cancer, csv_rows

# The regex the brief and the AWS console use for built-in XGBoost metrics.
STANDARD = r".*\[[0-9]+\].*#011{}:([-+]?[0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?).*"


# --- hyperparameters --------------------------------------------------------------------------


def test_hyperparameters_parse_types_aliases_and_defaults() -> None:
    values = hyperparameters.validate({"num_round": "20", "learning_rate": "0.1",
                                       "max_depth": "4", "eval_metric": "auc,error@0.3",
                                       "objective": "binary:logistic"})
    assert values == {"num_round": 20, "eta": 0.1, "max_depth": 4,
                      "eval_metric": ["auc", "error@0.3"], "objective": "binary:logistic"}
    assert hyperparameters.validate({"num_round": "1"})["objective"] == "reg:squarederror"


@pytest.mark.parametrize(("raw", "message"), [
    ({}, "Missing required hyperparameter: num_round"),
    ({"num_round": "5", "colour": "red"}, "Extraneous hyperparameter found: colour"),
    ({"num_round": "five"}, "Hyperparameter num_round: could not parse value 'five'"),
    ({"num_round": "0"}, "Hyperparameter num_round: 0 is not in [1, +inf)"),
    ({"num_round": "5", "eta": "1.5"}, "Hyperparameter eta: 1.5 is not in [0, 1]"),
    ({"num_round": "5", "subsample": "0"}, "Hyperparameter subsample: 0.0 is not in (0, 1]"),
    ({"num_round": "5", "objective": "reg:fancy"}, "Hyperparameter objective: reg:fancy"),
    ({"num_round": "5", "objective": "multi:softmax"}, "num_class"),
    ({"num_round": "5", "eval_metric": "auc"}, "Metric 'auc' can only be applied"),
    ({"num_round": "5", "eval_metric": "accuracyy"}, "accuracyy is not a valid metric"),
])
def test_bad_hyperparameters_are_user_errors(raw: dict[str, str], message: str) -> None:
    with pytest.raises(UserError) as info:
        hyperparameters.validate(raw)
    assert message in str(info.value)


# --- catalogue and metrics ----------------------------------------------------------------------


def test_catalogue_maps_xgboost_images_of_any_region_and_tag() -> None:
    assert lookup(XGB_IMAGE) is BUILTINS["xgboost"]
    assert lookup("811284229777.dkr.ecr.eu-west-1.amazonaws.com/xgboost:1") is BUILTINS["xgboost"]
    assert lookup("683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1") \
        is None
    assert BUILTINS["xgboost"].training_argv[-2:] == ("sagestep.algorithms.xgboost",
                                                      "train")


def test_metric_definitions_read_the_cloudwatch_rendering() -> None:
    line = "[7]#011train-rmse:0.25#011validation-rmse:1.5e-02"
    found = {}
    for definition in metric_definitions():
        match = re.search(definition["Regex"], line)
        if match:
            found[definition["Name"]] = float(match.group(1))
    assert found == {"train:rmse": 0.25, "validation:rmse": 0.015}
    assert objective_direction("validation:auc") == "Maximize"
    assert objective_direction("validation:rmse") == "Minimize"


# --- data formats ---------------------------------------------------------------------------------


def test_csv_libsvm_and_parquet_channels(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    x, y = breast_cancer()
    (tmp_path / "csv").mkdir()
    (tmp_path / "csv" / "part1.csv").write_text(csv_rows(x[:100], y[:100]))
    (tmp_path / "csv" / "part2.csv").write_text(csv_rows(x[100:150], y[100:150]))
    (tmp_path / "csv" / "_SUCCESS").write_text("ignored")
    matrix = data.load_channel("train", tmp_path / "csv", "text/csv;label_size=1", False)
    assert (matrix.num_row(), matrix.num_col()) == (150, 30)
    np.testing.assert_allclose(matrix.get_label(), y[:150])

    (tmp_path / "svm").mkdir()
    (tmp_path / "svm" / "a.libsvm").write_text("1 0:1.5 3:2\n0 1:0.5\n")
    (tmp_path / "svm" / "b.libsvm").write_text("1 2:3\n")
    svm = data.load_channel("train", tmp_path / "svm", "text/libsvm", False)
    assert svm.num_row() == 3 and list(svm.get_label()) == [1, 0, 1]

    (tmp_path / "pq").mkdir()
    pq.write_table(pa.table({"label": y[:10], "f0": x[:10, 0], "f1": x[:10, 1]}),
                   tmp_path / "pq" / "data.parquet")
    par = data.load_channel("train", tmp_path / "pq", "application/x-parquet", False)
    assert (par.num_row(), par.num_col()) == (10, 2)


@pytest.mark.parametrize(("content_type", "message"), [
    ("text/csv;label_size=2", "label_size"),
    ("application/x-recordio-protobuf", "not supported locally"),
    ("image/png", "not supported"),
])
def test_unsupported_content_types(tmp_path: Path, content_type: str, message: str) -> None:
    (tmp_path / "f.csv").write_text("1,2\n")
    with pytest.raises(UserError, match=message):
        data.load_channel("train", tmp_path, content_type, False)


def test_csv_with_header_is_a_clear_user_error(tmp_path: Path) -> None:
    (tmp_path / "f.csv").write_text("label,a,b\n1,2,3\n")
    with pytest.raises(UserError, match="no header"):
        data.load_channel("train", tmp_path, "text/csv", False)


# --- the training program (as the runner starts it) -----------------------------------------------


def _container(tmp_path: Path, hps: dict[str, str], channels: dict[str, str]) -> Path:
    x, y = breast_cancer()
    base = tmp_path / "ml"
    (base / "input" / "config").mkdir(parents=True)
    for name, rows in (("train", slice(0, 400)), ("validation", slice(400, None))):
        if name in channels:
            (base / "input" / "data" / name).mkdir(parents=True)
            (base / "input" / "data" / name / f"{name}.csv").write_text(csv_rows(x[rows], y[rows]))
    (base / "input" / "config" / "hyperparameters.json").write_text(json.dumps(hps))
    config = {name: {"ContentType": ctype} for name, ctype in channels.items()}
    (base / "input" / "config" / "inputdataconfig.json").write_text(json.dumps(config))
    return base


def _train(base: Path) -> subprocess.CompletedProcess[str]:
    env = {"SAGEMAKER_BASE_DIR": str(base), "PATH": "/usr/bin:/bin"}
    return subprocess.run([sys.executable, "-m", "sagestep.algorithms.xgboost", "train"],
                          env=env, capture_output=True, text=True, timeout=120)


def test_training_program_logs_metrics_and_saves_the_model(tmp_path: Path) -> None:
    base = _container(tmp_path, {"num_round": "8", "objective": "binary:logistic",
                                 "eval_metric": "auc,logloss,accuracy", "max_depth": "3"},
                      {"train": "text/csv", "validation": "text/csv"})
    done = _train(base)
    assert done.returncode == 0, done.stderr
    rounds = [line for line in done.stdout.splitlines() if line.startswith("[")]
    assert len(rounds) == 8 and rounds[0].startswith("[0]\ttrain-auc:")
    rendered = rounds[-1].replace("\t", "#011")
    for metric in ("validation-auc", "validation-logloss", "validation-accuracy", "train-auc"):
        assert re.match(STANDARD.format(metric), rendered), metric
    auc = float(re.match(STANDARD.format("validation-auc"), rendered).group(1))  # type: ignore[union-attr]
    assert auc > 0.95
    booster = xgb.Booster()
    booster.load_model(bytearray((base / "model" / "xgboost-model").read_bytes()))
    assert booster.num_features() == 30


@pytest.mark.parametrize(("hps", "channels", "reason"), [
    ({"num_round": "x"}, {"train": "text/csv"}, "ClientError: Hyperparameter num_round"),
    ({"num_round": "2"}, {"train": "text/csv", "extra": "text/csv"},
     "ClientError: Extraneous channel found: extra"),
    ({"num_round": "2"}, {"validation": "text/csv"}, "ClientError: Missing required channel: train"),
])
def test_training_program_failures_write_the_failure_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, hps: dict[str, str],
    channels: dict[str, str], reason: str
) -> None:
    from sagestep.algorithms.xgboost.train import main

    base = _container(tmp_path, hps, channels)
    monkeypatch.setenv("SAGEMAKER_BASE_DIR", str(base))
    assert main([]) == 2  # in-process: the entry point itself is covered above
    assert (base / "output" / "failure").read_text().startswith(reason)


# --- through the local SageMaker training-job API --------------------------------------------------


@pytest.mark.slow
def test_training_job_with_validation_channel(tmp_path: Path) -> None:
    from sagestep.local import client

    x, y = breast_cancer()
    s3, sm = client("s3", home=tmp_path), client("sagemaker", home=tmp_path)
    s3.put_object(Bucket="data", Key="bc/train/train.csv", Body=csv_rows(x[:400], y[:400]).encode())
    s3.put_object(Bucket="data", Key="bc/validation/v.csv", Body=csv_rows(x[400:], y[400:]).encode())

    def channel(name: str) -> dict[str, object]:
        return {"ChannelName": name, "ContentType": "text/csv", "DataSource": {"S3DataSource": {
            "S3DataType": "S3Prefix", "S3Uri": f"s3://data/bc/{name}/",
            "S3DataDistributionType": "FullyReplicated"}}}

    sm.create_training_job(
        TrainingJobName="xgb-bc", RoleArn=ROLE,
        AlgorithmSpecification={"TrainingImage": XGB_IMAGE, "TrainingInputMode": "File"},
        HyperParameters={"num_round": "10", "objective": "binary:logistic",
                         "eval_metric": "auc", "max_depth": "3"},
        InputDataConfig=[channel("train"), channel("validation")],
        OutputDataConfig={"S3OutputPath": "s3://data/models"},
        ResourceConfig={"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 5},
        StoppingCondition={"MaxRuntimeInSeconds": 300},
    )
    assert sm.wait_for_job(JobName="xgb-bc", Timeout=120)["Status"] == "Completed"
    job = sm.describe_training_job(TrainingJobName="xgb-bc")
    metrics = {m["MetricName"]: m["Value"] for m in job["FinalMetricDataList"]}
    assert metrics["validation:auc"] > 0.95 and "train:auc" in metrics
    body = s3.get_object(Bucket="data", Key="models/xgb-bc/output/model.tar.gz")["Body"].read()
    with tarfile.open(fileobj=io.BytesIO(body)) as tar:
        assert tar.getnames() == ["xgboost-model"]
        raw = tar.extractfile("xgboost-model").read()  # type: ignore[union-attr]
    booster = xgb.Booster()
    booster.load_model(bytearray(raw))
    assert booster.num_boosted_rounds() == 10

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sagestep.errors import SpecError
from sagestep.pipeline.botocheck import check_request
from sagestep.pipeline.item import MODEL_DATA, STAGES
from sagestep.pipeline.loader import detect, load_config
from tests.pipeline.conftest import write

MINIMAL = """\
name: mini
defaults: {bucket: b, role_arn: "arn:aws:iam::123456789012:role/r"}
stages:
  training:
    algorithm: xgboost
    hyperparameters: {num_round: 10, objective: "binary:logistic"}
    inputs: {train: "s3://b/{{ trigger.key }}"}
    content_type: text/csv
"""


def test_full_config_normalises_to_the_item(fixtures: Path) -> None:
    loaded = load_config(fixtures / "diabetes.yaml")
    item = loaded.item
    assert loaded.source == "sagestep"
    assert list(item["stages"]) == list(STAGES)
    assert all(isinstance(s["run"], bool) for s in item["stages"].values())
    stages = item["stages"]
    train = stages["training"]["request"]
    # earlier stage outputs resolved at normalise time, run values left for the router
    uri = train["InputDataConfig"][0]["DataSource"]["S3DataSource"]["S3Uri"]
    assert uri == "s3://demo-bucket/diabetes-regression/{{ run.id }}/preprocessing/train"
    assert "TrainingJobName" not in train
    assert train["HyperParameters"]["n_estimators"] == "50"
    assert train["AlgorithmSpecification"]["TrainingImage"] == (
        "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3")
    assert stages["gate"]["report"] == {
        "bucket": "demo-bucket",
        "key": "diabetes-regression/{{ run.id }}/evaluation/evaluation/evaluation.json"}
    assert stages["gate"]["comparison"] == "less_than_or_equal"
    assert stages["create_model"]["request"]["PrimaryContainer"]["ModelDataUrl"] == MODEL_DATA
    assert stages["register"]["request"]["ModelMetrics"]["ModelQuality"]["Statistics"]["S3Uri"]\
        .endswith("/evaluation.json")
    assert stages["deploy"]["endpoint_name"] == "diabetes"
    assert stages["notify"]["messages"]["failure"]["training"] == "Training broke"
    assert item["triggers"]["schedules"] == [{"expression": "cron(0 14 ? * SAT *)"}]
    assert {u.s3_uri for u in loaded.uploads} >= {
        "s3://demo-bucket/diabetes-regression/code/training/sourcedir.tar.gz"}
    json.dumps(item)  # plain JSON


@pytest.mark.parametrize("stage", ["preprocessing", "training", "evaluation", "create_model",
                                   "register", "batch_transform"])
def test_every_built_request_passes_botocore(fixtures: Path, stage: str) -> None:
    from sagestep.pipeline.botocheck import OPERATIONS
    from sagestep.pipeline.normalise import NAME_FIELDS

    request = load_config(fixtures / "diabetes.yaml").item["stages"][stage]["request"]
    omitted = (NAME_FIELDS[stage],) if stage in NAME_FIELDS else ()
    assert check_request(OPERATIONS[stage], request, omitted) == []


def test_builtin_xgboost_and_tuning(tmp_path: Path) -> None:
    text = MINIMAL + """\
  tuning:
    objective: {metric: "validation:auc", type: Maximize}
    parameter_ranges:
      max_depth: {type: integer, min: 2, max: 6}
      eta: {type: continuous, min: 0.1, max: 0.5}
"""
    item = load_config(write(tmp_path, text)).item
    request = item["stages"]["tuning"]["request"]
    config = request["HyperParameterTuningJobConfig"]
    assert config["ParameterRanges"]["IntegerParameterRanges"][0]["MinValue"] == "2"
    assert request["TrainingJobDefinition"]["StaticHyperParameters"] == {
        "num_round": "10", "objective": "binary:logistic"}
    assert request["TrainingJobDefinition"]["AlgorithmSpecification"]["TrainingImage"] == (
        "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1")


def test_raw_request_passes_through_and_is_validated(tmp_path: Path) -> None:
    text = """\
name: raw
stages:
  training:
    request:
      TrainingJobName: ignored-the-machine-names-jobs
      AlgorithmSpecification: {TrainingImage: img, TrainingInputMode: File}
      RoleArn: arn:aws:iam::123456789012:role/r
      OutputDataConfig: {S3OutputPath: "s3://b/out"}
      ResourceConfig: {InstanceType: ml.m5.large, InstanceCount: "{{ params.count }}", VolumeSizeInGB: 10}
      StoppingCondition: {MaxRuntimeInSeconds: 60}
"""
    item = load_config(write(tmp_path, text)).item
    request = item["stages"]["training"]["request"]
    assert "TrainingJobName" not in request
    assert request["ResourceConfig"]["InstanceCount"] == "{{ params.count }}"

    bad = text.replace("VolumeSizeInGB: 10", "VolumeSizeInGB: ten")
    with pytest.raises(SpecError) as err:
        load_config(write(tmp_path, bad))
    assert "stages.training.request" in str(err.value)
    assert "VolumeSizeInGB" in str(err.value)
    assert "pipeline.yaml:" in str(err.value)


@pytest.mark.parametrize(("patch", "expected"), [
    ("    hyperparamters: {a: 1}\n",
     r"pipeline\.yaml:9: stages\.training\.hyperparamters: unknown key 'hyperparamters'"),
    ("    run: \"Y\"\n", r"pipeline\.yaml:9: stages\.training\.run: must be true or false"),
    ("    output_path: \"s3://b/{{ run.idd }}\"\n",
     r"pipeline\.yaml:9: stages\.training\.output_path: unknown placeholder \{\{ run\.idd \}\}"),
    ("    instance_count: 0\n", r"pipeline\.yaml:9: stages\.training\.instance_count: "),
])
def test_errors_name_file_line_and_key_path(tmp_path: Path, patch: str, expected: str) -> None:
    with pytest.raises(SpecError, match=expected):
        load_config(write(tmp_path, MINIMAL + patch))


def test_cross_stage_errors_list_what_exists(tmp_path: Path) -> None:
    text = """\
name: cross
stages:
  preprocessing:
    image: my-image
    outputs: [{name: train}, {name: test}]
  training:
    algorithm: xgboost
    inputs: {train: "{{ stages.preprocessing.outputs.features }}"}
  gate: {metric: mse, threshold: 3}
  deploy: {}
"""
    with pytest.raises(SpecError) as err:
        load_config(write(tmp_path, text))
    message = str(err.value)
    assert "4 problems" in message
    assert ("pipeline.yaml:6: stages.training.hyperparameters: Missing required hyperparameter: "
            "num_round (built-in XGBoost)") in message
    assert ("pipeline.yaml:8: stages.training.inputs.train: stage 'training' reads "
            "'preprocessing.outputs.features' but preprocessing writes only: train, test") in message
    assert "stages.gate.source: the gate reads evaluation.json but evaluation does not run" in message
    assert "stages.deploy.run: deploy serves this run's model, but create_model does not run" in message


def test_model_users_need_a_model(tmp_path: Path) -> None:
    text = """\
name: nomodel
stages:
  create_model: {image: img}
"""
    with pytest.raises(SpecError, match="create_model needs the run's model"):
        load_config(write(tmp_path, text))
    ok = text.replace("{image: img}", "{image: img, model_data: 's3://b/model.tar.gz'}")
    item = load_config(write(tmp_path, ok)).item
    assert item["stages"]["create_model"]["request"]["PrimaryContainer"]["ModelDataUrl"] == \
        "s3://b/model.tar.gz"


def test_name_override_and_detect(fixtures: Path) -> None:
    assert load_config(fixtures / "diabetes.yaml", name="other").name == "other"
    assert detect({"name": "x", "stages": {}}) == "sagestep"


def test_not_a_mapping(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match="a config is a mapping"):
        load_config(write(tmp_path, "- a\n- b\n"))


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match="cannot read the config file"):
        load_config(tmp_path / "nope.yaml")


def test_json_config_and_framework_version_errors(tmp_path: Path) -> None:
    config = {"name": "j", "stages": {"training": {
        "framework": "sklearn", "framework_version": "0.1", "script": "t.py",
        "source_dir": "s3://b/code.tar.gz", "inputs": {"train": "s3://b/train"}}}}
    with pytest.raises(SpecError, match=r"stages\.training: sklearn has no container version '0\.1'"):
        load_config(write(tmp_path, json.dumps(config, indent=2), "p.json"))
    config["stages"]["training"]["framework_version"] = "1.0-1"
    item = load_config(write(tmp_path, json.dumps(config), "p.json")).item
    hyper = item["stages"]["training"]["request"]["HyperParameters"]
    assert hyper["sagemaker_submit_directory"] == "s3://b/code.tar.gz"


def test_retry_policy_lands_in_the_item(tmp_path: Path) -> None:
    item = load_config(write(tmp_path, MINIMAL + "    retry: {max_attempts: 2}\n")).item
    assert item["stages"]["training"]["retry"] == {
        "max_attempts": 2, "interval_seconds": 60, "backoff_rate": 2.0}
    with pytest.raises(SpecError, match=r"stages\.training\.retry\.max_attempts"):
        load_config(write(tmp_path, MINIMAL + "    retry: {max_attempts: 20}\n"))


def test_tuning_over_a_raw_training_request(tmp_path: Path) -> None:
    text = """\
name: rawtune
stages:
  training:
    run: false
    request:
      AlgorithmSpecification: {TrainingImage: img, TrainingInputMode: File}
      RoleArn: arn:aws:iam::123456789012:role/r
      HyperParameters: {a: "1", depth: "3"}
      InputDataConfig:
        - ChannelName: train
          DataSource: {S3DataSource: {S3DataType: S3Prefix, S3Uri: "s3://b/train"}}
      OutputDataConfig: {S3OutputPath: "s3://b/out"}
      ResourceConfig: {InstanceType: ml.m5.large, InstanceCount: 1, VolumeSizeInGB: 10}
      StoppingCondition: {MaxRuntimeInSeconds: 60}
  tuning:
    objective: {metric: rmse}
    parameter_ranges: {depth: {type: integer, min: 1, max: 5}}
  create_model: {image: img}
"""
    item = load_config(write(tmp_path, text)).item
    definition = item["stages"]["tuning"]["request"]["TrainingJobDefinition"]
    assert definition["StaticHyperParameters"] == {"a": "1"}
    assert definition["InputDataConfig"][0]["ChannelName"] == "train"


def test_schedules_are_checked(tmp_path: Path) -> None:
    text = MINIMAL + "triggers:\n  schedules: ['cron(0 14 ? * SAT *)', 'cron(bad)']\n"
    with pytest.raises(SpecError, match=r"pipeline\.yaml:10: triggers\.schedules\[1\]: schedule "
                                        r"'cron\(bad\)': AWS cron has six fields"):
        load_config(write(tmp_path, text))


def test_evaluation_report_needed_only_when_the_gate_reads_it(tmp_path: Path) -> None:
    evaluation = """\
  evaluation:
    image: img
    outputs: [{name: metrics}]
"""
    item = load_config(write(tmp_path, MINIMAL + evaluation)).item
    assert item["stages"]["evaluation"]["run"] is True
    gate = "  gate: {metric: a.b, threshold: 1}\n"
    with pytest.raises(SpecError, match=r"stages\.evaluation\.report\.output: the report output "
                                        r"'evaluation' is not an output of evaluation; it writes: metrics"):
        load_config(write(tmp_path, MINIMAL + evaluation + gate))
    fixed = evaluation + "    report: {output: metrics}\n" + gate
    item = load_config(write(tmp_path, MINIMAL + fixed)).item
    assert item["stages"]["gate"]["report"]["key"].endswith("/metrics/evaluation.json")

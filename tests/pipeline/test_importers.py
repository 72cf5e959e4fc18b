from __future__ import annotations

import json
from pathlib import Path

import pytest

from sagestep.errors import SpecError
from sagestep.pipeline.item import MODEL_DATA, STAGES
from sagestep.pipeline.loader import load_config
from tests.pipeline.conftest import write


def test_seed000_item_as_it_is(fixtures: Path) -> None:
    loaded = load_config(fixtures / "seed000_item.json")
    item = loaded.item
    assert loaded.source == "seed000"
    assert item["name"] == "demo-dev-domain-cal-house-price"
    assert list(item["stages"]) == list(STAGES)
    runs = {k: v["run"] for k, v in item["stages"].items()}
    assert runs["training"] and runs["create_model"] and runs["deploy"]
    assert not runs["tuning"] and not runs["batch_transform"] and not runs["postprocessing"]
    stages = item["stages"]
    train = stages["training"]["request"]
    assert [c["ChannelName"] for c in train["InputDataConfig"]] == ["train", "test"]
    assert train["AlgorithmSpecification"]["MetricDefinitions"][0]["Name"] == "median-AE"
    assert train["HyperParameters"]["sagemaker_program"] == "script.py"
    pre = stages["preprocessing"]["request"]
    assert pre["AppSpecification"]["ContainerEntrypoint"][0] == "/bin/bash"
    # seed bug 3: the endpoint keeps its configured name, so deploy updates it
    assert stages["deploy"]["endpoint_name"] == "demo-endpoint"
    assert stages["create_model"]["request"]["PrimaryContainer"]["ModelDataUrl"] == MODEL_DATA
    # tuning (off here) is still converted, with the seed's misspelled objective key
    tuning = stages["tuning"]["request"]["HyperParameterTuningJobConfig"]
    assert tuning["HyperParameterTuningJobObjective"] == {"Type": "Minimize", "MetricName": "MAE"}
    assert item["defaults"]["role_arn"].endswith(":role/service-role/sagemaker-role")
    assert item["defaults"]["bucket"] == "my-bucket"


def test_seed000_wrapped_in_Item_and_bad_flag(fixtures: Path, tmp_path: Path) -> None:
    data = json.loads((fixtures / "seed000_item.json").read_text())
    loaded = load_config(write(tmp_path, json.dumps({"Item": data}), "item.json"))
    assert loaded.source == "seed000"
    data["training_job"] = {"S": "maybe"}
    path = write(tmp_path, json.dumps(data, indent=2), "bad.json")
    with pytest.raises(SpecError, match=r'bad\.json:\d+: training_job: stage flag must be "Y" or "N"'):
        load_config(path)


def test_seed000_non_sagemaker_preprocessing_is_off_with_a_note(fixtures: Path, tmp_path: Path) -> None:
    data = json.loads((fixtures / "seed000_item.json").read_text())
    data["preprocessing"]["M"]["job_type"] = {"S": "glue-spark"}
    loaded = load_config(write(tmp_path, json.dumps(data), "glue.json"))
    assert loaded.item["stages"]["preprocessing"]["run"] is False
    assert any("glue-spark" in n for n in loaded.notes)


def test_seed002_input_yaml_as_it_is(fixtures: Path) -> None:
    loaded = load_config(fixtures / "seed002_input.yaml")
    item = loaded.item
    assert loaded.source == "seed002"
    assert item["name"] == "demo"
    stages = item["stages"]
    assert [s for s in STAGES if stages[s]["run"]] == [
        "preprocessing", "training", "evaluation", "create_model", "batch_transform"]
    pre = stages["preprocessing"]["request"]
    assert "Environment" not in pre and "NetworkConfig" not in pre  # nulls dropped
    assert "AppManaged" not in pre  # not a CreateProcessingJob member
    assert pre["ProcessingInputs"][0]["AppManaged"] is False  # a real member stays
    assert any("AppManaged" in n for n in loaded.notes)
    # the execution-named model path becomes the run's model artifact
    ev_inputs = stages["evaluation"]["request"]["ProcessingInputs"]
    assert ev_inputs[0]["S3Input"]["S3Uri"] == MODEL_DATA
    assert stages["create_model"]["request"]["PrimaryContainer"]["ModelDataUrl"] == MODEL_DATA
    batch = stages["batch_transform"]["request"]
    assert batch["ModelName"] == "{{ names.model }}"
    # other SFN_EXECUTION_ID uses are left for the router (execution name)
    assert batch["TransformOutput"]["S3OutputPath"] == "s3://mlops-bucket/demo/batch-output/SFN_EXECUTION_ID/"
    assert stages["evaluation"]["report"]["output"] == "evaluation"


def test_seed002_bad_stage_shape(tmp_path: Path) -> None:
    text = "model_id: x\ntraining:\n  run: yes-please\n  input: {RoleArn: r}\n"
    with pytest.raises(SpecError, match=r"pipeline\.yaml:3: training\.run: run must be true or false"):
        load_config(write(tmp_path, text))

"""`validate` catches what can be known before running, each at file:line and key path."""

from __future__ import annotations

from pathlib import Path

import pytest

from sagestep.errors import SpecError
from sagestep.pipeline.loader import load_config

BASE = """\
name: checked
stages:
  preprocessing:
    framework: sklearn
    framework_version: "1.2-1"
    script: prepare.py
    source_dir: scripts
    outputs: [{name: train}, {name: validation}]
  training:
    algorithm: xgboost
    version: "1.7-1"
    content_type: text/csv
    hyperparameters:
      objective: "binary:logistic"
      eval_metric: error
      num_round: 50
    inputs:
      train: "{{ stages.preprocessing.outputs.train }}"
      validation: "{{ stages.preprocessing.outputs.validation }}"
  gate:
    source: training
    metric: "validation:error"
    threshold: 0.2
"""


def write(tmp_path: Path, text: str, script: bool = True) -> Path:
    (tmp_path / "scripts").mkdir(exist_ok=True)
    if script:
        (tmp_path / "scripts" / "prepare.py").write_text("print('prepare')\n")
    path = tmp_path / "pipeline.yaml"
    path.write_text(text)
    return path


def problems(path: Path) -> str:
    with pytest.raises(SpecError) as err:
        load_config(path)
    return str(err.value)


def test_the_base_config_is_valid(tmp_path):
    assert load_config(write(tmp_path, BASE)).name == "checked"


def test_missing_script_and_source_dir(tmp_path):
    assert f"{tmp_path / 'pipeline.yaml'}:6: stages.preprocessing.script: prepare.py is not in " \
        "scripts" in problems(write(tmp_path, BASE, script=False))
    text = BASE.replace("source_dir: scripts", "source_dir: nowhere")
    assert "pipeline.yaml:7: stages.preprocessing.source_dir: directory nowhere does not exist" \
        in problems(write(tmp_path, text))


def test_hyperparameter_types_and_names_of_the_builtin(tmp_path):
    text = BASE.replace("num_round: 50", "num_round: fifty\n      max_dept: 3")
    found = problems(write(tmp_path, text))
    assert ("pipeline.yaml:16: stages.training.hyperparameters.num_round: 'fifty' is not a valid "
            "num_round (int expected, e.g. 50)") in found
    assert ("pipeline.yaml:17: stages.training.hyperparameters.max_dept: built-in XGBoost has no "
            "hyperparameter max_dept; did you mean max_depth?") in found
    text = BASE.replace("eval_metric: error", "eval_metric: errror")
    assert "stages.training.hyperparameters: Hyperparameter eval_metric: errror is not a valid " \
        "metric" in problems(write(tmp_path, text))


def test_gate_metric_the_algorithm_never_emits(tmp_path):
    text = BASE.replace('metric: "validation:error"', 'metric: "validation:auc"')
    assert ("pipeline.yaml:22: stages.gate.metric: the training job never emits "
            "'validation:auc'; it emits: train:error, validation:error") in problems(
                write(tmp_path, text))
    # without eval_metric XGBoost reports its objective's default (logloss for binary)
    text = BASE.replace("      eval_metric: error\n", "")
    assert "it emits: train:logloss, validation:logloss" in problems(write(tmp_path, text))


def test_gate_metric_of_a_script_needs_metric_definitions(tmp_path):
    text = BASE.replace("""    algorithm: xgboost
    version: "1.7-1"
""", """    framework: xgboost
    framework_version: "1.7-1"
    script: prepare.py
    source_dir: scripts
    metric_definitions: [{Name: "validation:f1", Regex: "f1=([0-9.]+)"}]
""")
    assert "it emits: validation:f1" in problems(write(tmp_path, text))
    text = text.replace('metric: "validation:error"', 'metric: "validation:f1"')
    assert load_config(write(tmp_path, text)).name == "checked"


def test_at_least_one_stage_runs(tmp_path):
    assert "pipeline.yaml:2: stages: no stage runs" in problems(
        write(tmp_path, "name: idle\nstages: {}\n"))


def test_malformed_placeholder(tmp_path):
    text = BASE.replace('"{{ stages.preprocessing.outputs.train }}"',
                        '"{{ stages.preprocessing.outputs.train }"')
    assert ("pipeline.yaml:18: stages.training.inputs.train: malformed placeholder in "
            "'{{ stages.preprocessing.outputs.train }'") in problems(write(tmp_path, text))

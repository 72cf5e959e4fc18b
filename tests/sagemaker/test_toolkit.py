"""Toolkit 5.1.4 hyperparameter handling, checked against the executed example (reference §3.2)."""

from __future__ import annotations

import json

from sagestep.sagemaker.toolkit import from_hyperparameters, sm_environment

HPS = {"epochs": "10", "learning-rate": "0.01", "use_gpu": "true", "name": '"abc"', "plain": "hello",
       "cfg": '{"a": 1, "b": "x"}', "x": "3", "sagemaker_program": '"train.py"',
       "sagemaker_submit_directory": '"s3://b/sourcedir.tar.gz"', "sagemaker_extra": '"v"'}


def test_command_line_matches_toolkit() -> None:
    tk = from_hyperparameters(HPS, {}, "/opt/ml/code")
    assert tk.args == ["--cfg", "a=1,b=x", "--epochs", "10", "--learning-rate", "0.01", "--name", "abc",
                       "--plain", "hello", "--use_gpu", "True", "-x", "3"]
    assert tk.entry_point == "train.py" and tk.module_dir == "s3://b/sourcedir.tar.gz"
    assert tk.framework_params == {"sagemaker_extra": "v"}


def test_sm_variables() -> None:
    tk = from_hyperparameters(HPS, {"SAGEMAKER_PROGRAM": "other.py"}, "/opt/ml/code")
    resource = {"current_host": "algo-1", "hosts": ["algo-1"], "current_instance_type": "ml.m5.xlarge"}
    env = sm_environment(tk, "/opt/ml", "job-1", ["validation", "train"], {}, resource, "/opt/ml/code")
    assert env["SM_USER_ENTRY_POINT"] == "other.py" and env["SM_MODULE_NAME"] == "other"
    assert env["SM_CHANNELS"] == '["train","validation"]'
    assert env["SM_CHANNEL_VALIDATION"] == "/opt/ml/input/data/validation"
    assert env["SM_HP_LEARNING-RATE"] == "0.01" and env["SM_HP_USE_GPU"] == "true" and env["SM_HP_NAME"] == "abc"
    assert env["SM_HP_CFG"] == '{"a":1,"b":"x"}'
    assert json.loads(env["SM_HPS"])["use_gpu"] is True
    assert env["SM_OUTPUT_DATA_DIR"] == "/opt/ml/output/data"
    assert env["SM_CURRENT_INSTANCE_TYPE"] == "ml.m5.xlarge" and env["SM_HOSTS"] == '["algo-1"]'
    training = json.loads(env["SM_TRAINING_ENV"])
    assert training["job_name"] == "job-1" and training["channel_input_dirs"]["train"] == "/opt/ml/input/data/train"
    assert training["master_hostname"] == "algo-1"

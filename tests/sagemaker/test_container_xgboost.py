"""XGBoost script-mode inference.py importing the image's own ``sagemaker_xgboost_container``."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from sagestep.sagemaker import image_catalog, pyenvs
from tests.sagemaker.conftest import ROLE, make_env, needs_bwrap
from tests.serving.helpers import XGB_IMAGE, tarball

pytestmark = [needs_bwrap, pytest.mark.slow]

INFERENCE = b'''
import os
import xgboost as xgb
from sagemaker_xgboost_container import encoder

def model_fn(model_dir):
    booster = xgb.Booster()
    booster.load_model(os.path.join(model_dir, "xgboost-model"))
    return booster

def input_fn(request_body, request_content_type):
    return encoder.decode(request_body, request_content_type)

def predict_fn(input_data, model):
    return model.predict(input_data)
'''

# Trained on the image's own XGBoost, so the model file is what that version writes.
TRAIN = '''
import sys
import numpy as np, xgboost as xgb
x = np.array([[0.0, 1.0], [1.0, 0.0], [0.0, 2.0], [2.0, 0.0]] * 10)
y = (x[:, 0] > x[:, 1]).astype(float)
booster = xgb.train({"objective": "binary:logistic"}, xgb.DMatrix(x, label=y), 5)
booster.save_model(sys.argv[1])
print(xgb.__version__)
'''


def test_xgboost_inference_script_with_the_container_encoder(tmp_path: Path) -> None:
    runtime = pyenvs.ensure(image_catalog.find("xgboost", "1.7-1"))  # type: ignore[arg-type]
    model_file = tmp_path / "xgboost-model"
    done = subprocess.run([runtime.python, "-c", TRAIN, str(model_file)], capture_output=True,
                          text=True, check=True)
    assert done.stdout.strip() == "1.7.4"
    env = make_env(tmp_path / "ws", stop_grace_s=2.0, python="image")
    env.s3.put_object(Bucket="bkt", Key="m/model.tar.gz", Body=tarball({
        "xgboost-model": model_file.read_bytes(), "code/inference.py": INFERENCE}))
    env.sm.create_model(ModelName="xgb", ExecutionRoleArn=ROLE, PrimaryContainer={
        "Image": XGB_IMAGE, "ModelDataUrl": "s3://bkt/m/model.tar.gz",
        "Environment": {"SAGEMAKER_PROGRAM": "inference.py"}})
    env.sm.create_endpoint_config(EndpointConfigName="xgb", ProductionVariants=[{
        "VariantName": "AllTraffic", "ModelName": "xgb", "InitialInstanceCount": 1,
        "InstanceType": "ml.m5.large"}])
    env.sm.create_endpoint(EndpointName="xgb", EndpointConfigName="xgb")
    try:
        desc = env.sm.wait_for_endpoint(EndpointName="xgb", Timeout=120)
        assert desc["EndpointStatus"] == "InService", desc.get("FailureReason")
        answer = env.runtime.client("sagemaker-runtime").invoke_endpoint(
            EndpointName="xgb", Body="3,0\n0,3", ContentType="text/csv", Accept="text/csv")
        scores = [float(v) for v in answer["Body"].read().decode().split()]
        assert scores[0] > 0.5 > scores[1]
    finally:
        env.sm.delete_endpoint(EndpointName="xgb")


def test_builtin_algorithm_trains_and_serves_on_the_image_xgboost(tmp_path: Path) -> None:
    from sklearn.datasets import load_breast_cancer

    env = make_env(tmp_path / "ws", stop_grace_s=2.0, python="image")
    x, y = load_breast_cancer(return_X_y=True)
    rows = "\n".join(",".join([str(int(t)), *(f"{v:g}" for v in r)]) for r, t in zip(x, y, strict=True))
    env.s3.put_object(Bucket="bkt", Key="data/train/train.csv", Body=rows.encode())
    env.sm.create_training_job(
        TrainingJobName="builtin-xgb", RoleArn=ROLE,
        AlgorithmSpecification={"TrainingImage": XGB_IMAGE, "TrainingInputMode": "File"},
        HyperParameters={"num_round": "5", "objective": "binary:logistic"},
        InputDataConfig=[{"ChannelName": "train", "ContentType": "text/csv", "DataSource": {
            "S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": "s3://bkt/data/train/"}}}],
        OutputDataConfig={"S3OutputPath": "s3://bkt/models"},
        ResourceConfig={"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 5},
        StoppingCondition={"MaxRuntimeInSeconds": 300})
    env.sm.wait_for_job(JobName="builtin-xgb", Timeout=300)
    desc = env.sm.describe_training_job(TrainingJobName="builtin-xgb")
    assert desc["TrainingJobStatus"] == "Completed", desc.get("FailureReason")
    assert desc["SagestepLocal"]["Environment"]["Packages"]["xgboost"] == "1.7.4"
    env.sm.create_model(ModelName="builtin", ExecutionRoleArn=ROLE, PrimaryContainer={
        "Image": XGB_IMAGE, "ModelDataUrl": desc["ModelArtifacts"]["S3ModelArtifacts"]})
    env.sm.create_endpoint_config(EndpointConfigName="builtin", ProductionVariants=[{
        "VariantName": "AllTraffic", "ModelName": "builtin", "InitialInstanceCount": 1,
        "InstanceType": "ml.m5.large"}])
    env.sm.create_endpoint(EndpointName="builtin", EndpointConfigName="builtin")
    try:
        ready = env.sm.wait_for_endpoint(EndpointName="builtin", Timeout=120)
        assert ready["EndpointStatus"] == "InService", ready.get("FailureReason")
        body = ",".join(f"{v:g}" for v in x[0])
        answer = env.runtime.client("sagemaker-runtime").invoke_endpoint(
            EndpointName="builtin", Body=body, ContentType="text/csv")
        assert 0.0 <= float(answer["Body"].read().decode()) <= 1.0
    finally:
        env.sm.delete_endpoint(EndpointName="builtin")


def test_builtin_on_an_xgboost_older_than_sagesteps_implementation_says_so(tmp_path: Path) -> None:
    from sklearn.datasets import load_breast_cancer

    env = make_env(tmp_path / "ws", stop_grace_s=2.0, python="image")
    x, y = load_breast_cancer(return_X_y=True)
    rows = "\n".join(",".join([str(int(t)), *(f"{v:g}" for v in r)]) for r, t in zip(x, y, strict=True))
    env.s3.put_object(Bucket="bkt", Key="data/train/train.csv", Body=rows.encode())
    env.sm.create_training_job(
        TrainingJobName="builtin-old", RoleArn=ROLE,
        AlgorithmSpecification={"TrainingImage": XGB_IMAGE.replace("1.7-1", "1.0-1"),
                                "TrainingInputMode": "File"},
        HyperParameters={"num_round": "3", "objective": "binary:logistic"},
        InputDataConfig=[{"ChannelName": "train", "ContentType": "text/csv", "DataSource": {
            "S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": "s3://bkt/data/train/"}}}],
        OutputDataConfig={"S3OutputPath": "s3://bkt/models"},
        ResourceConfig={"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 5},
        StoppingCondition={"MaxRuntimeInSeconds": 300})
    env.sm.wait_for_job(JobName="builtin-old", Timeout=300)
    desc = env.sm.describe_training_job(TrainingJobName="builtin-old")
    assert desc["TrainingJobStatus"] == "Completed", desc.get("FailureReason")
    warnings = desc["SagestepLocal"]["Warnings"]
    assert any("ships XGBoost 1.0.2; sagestep's built-in algorithm needs XGBoost 1.6" in w
               for w in warnings)

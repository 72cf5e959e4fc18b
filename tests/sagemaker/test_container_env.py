"""Scripts written the way AWS's templates write them run unchanged on the image's own Python.

One flow on the scikit-learn 1.2-1 image (its environment is built once per machine, in the
user cache): script-mode training importing ``sagemaker_training`` with a requirements.txt
-> an evaluation job that extracts model.tar.gz into its cwd -> an endpoint whose
inference.py opens /opt/ml/model directly; beside it a preprocessing script written for
scikit-learn 1.2 (``OneHotEncoder(sparse=False)``, a TypeError on today's scikit-learn).
"""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from sklearn.datasets import load_iris

from tests.sagemaker.conftest import ROLE, SKLEARN, Env, make_env, needs_bwrap, training_request

pytestmark = [needs_bwrap, pytest.mark.slow]

TRAIN = '''
import os
import joblib, pandas as pd, sklearn, tabulate
from sagemaker_training import environment
from sklearn.linear_model import LogisticRegression

env = environment.Environment()
df = pd.read_csv(os.path.join(env.channel_input_dirs["train"], "iris.csv"), header=None)
model = LogisticRegression(max_iter=500).fit(df.iloc[:, 1:], df.iloc[:, 0])
joblib.dump(model, os.path.join(env.model_dir, "model.joblib"))
print("trained on sklearn", sklearn.__version__, "tabulate", tabulate.__version__, flush=True)
'''

EVALUATE = '''
import json, os, tarfile
import joblib, pandas as pd

model_path = "/opt/ml/processing/model/model.tar.gz"
with tarfile.open(model_path) as tar:
    tar.extractall(path=".")
model = joblib.load("model.joblib")
df = pd.read_csv("/opt/ml/processing/test/iris.csv", header=None)
accuracy = float((model.predict(df.iloc[:, 1:]) == df.iloc[:, 0]).mean())
os.makedirs("/opt/ml/processing/evaluation", exist_ok=True)
with open("/opt/ml/processing/evaluation/evaluation.json", "w") as f:
    f.write(json.dumps({"metrics": {"accuracy": {"value": accuracy}}, "cwd": os.getcwd()}))
'''

PREPROCESS = '''
import numpy as np, sklearn
from sklearn.preprocessing import OneHotEncoder

encoded = OneHotEncoder(sparse=False).fit_transform(np.array([["a"], ["b"], ["a"]]))
with open("/opt/ml/processing/output/shape.txt", "w") as f:
    f.write(f"{sklearn.__version__} {encoded.shape[0]}x{encoded.shape[1]} {type(encoded).__name__}")
'''

INFERENCE = '''
import joblib
import tabulate  # from the code dir's requirements.txt

def model_fn(model_dir):
    return joblib.load("/opt/ml/model/model.joblib")  # hard-coded, as many scripts do

def predict_fn(data, model):
    return model.predict(data)
'''


def _iris_csv() -> bytes:
    data = load_iris()
    rows = [",".join([str(int(t)), *(f"{v:g}" for v in x)]) for x, t in zip(data.data, data.target, strict=True)]
    return ("\n".join(rows) + "\n").encode()


def _processing(name: str, code_key: str, inputs: list[tuple[str, str, str]],
                output: str) -> dict[str, Any]:
    return {
        "ProcessingJobName": name, "RoleArn": ROLE,
        "AppSpecification": {"ImageUri": SKLEARN, "ContainerEntrypoint": [
            "python3", "/opt/ml/processing/input/code/" + code_key.rsplit("/", 1)[1]]},
        "ProcessingResources": {"ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.large",
                                                  "VolumeSizeInGB": 5}},
        "ProcessingInputs": [{"InputName": n, "S3Input": {"S3Uri": uri, "LocalPath": path,
                                                          "S3DataType": "S3Prefix", "S3InputMode": "File"}}
                             for n, uri, path in [("code", f"s3://bkt/{code_key}",
                                                   "/opt/ml/processing/input/code"), *inputs]],
        "ProcessingOutputConfig": {"Outputs": [{"OutputName": "out", "S3Output": {
            "S3Uri": f"s3://bkt/{name}/out", "LocalPath": output, "S3UploadMode": "EndOfJob"}}]},
    }


def _wait(env: Env, name: str) -> dict[str, Any]:
    env.sm.wait_for_job(JobName=name, Timeout=300)
    kind = "training" if name.startswith("train") else "processing"
    if kind == "training":
        return env.sm.describe_training_job(TrainingJobName=name)  # type: ignore[no-any-return]
    return env.sm.describe_processing_job(ProcessingJobName=name)  # type: ignore[no-any-return]


def _log(env: Env, desc: dict[str, Any], group: str) -> str:
    events = env.svc.get_log_events(group, desc["SagestepLocal"]["LogStream"])["events"]
    return "\n".join(e["message"] for e in events)


@pytest.fixture(scope="module")
def flow(tmp_path_factory: pytest.TempPathFactory) -> Any:
    env = make_env(tmp_path_factory.mktemp("container") / "ws", stop_grace_s=2.0, python="image")
    env.s3.create_bucket(Bucket="bkt")
    env.s3.put_object(Bucket="bkt", Key="data/train/iris.csv", Body=_iris_csv())
    env.s3.put_object(Bucket="bkt", Key="code/preprocess.py", Body=PREPROCESS.encode())
    env.s3.put_object(Bucket="bkt", Key="code/evaluate.py", Body=EVALUATE.encode())
    source = env.put_source("code/sourcedir.tar.gz", {"train.py": TRAIN,
                                                      "requirements.txt": "tabulate==0.9.0\n"})
    env.sm.create_training_job(**training_request("train-iris", source))
    env.sm.create_processing_job(**_processing("prep-ohe", "code/preprocess.py", [],
                                               "/opt/ml/processing/output"))
    trained = _wait(env, "train-iris")
    assert trained["TrainingJobStatus"] == "Completed", trained.get("FailureReason")
    model_uri = trained["ModelArtifacts"]["S3ModelArtifacts"]
    env.sm.create_processing_job(**_processing(
        "eval-iris", "code/evaluate.py",
        [("model", model_uri, "/opt/ml/processing/model"),
         ("test", "s3://bkt/data/train/", "/opt/ml/processing/test")],
        "/opt/ml/processing/evaluation"))
    return {"env": env, "trained": trained, "model_uri": model_uri,
            "prep": _wait(env, "prep-ohe"), "eval": _wait(env, "eval-iris")}


def _read(env: Env, key: str) -> bytes:
    return env.s3.get_object(Bucket="bkt", Key=key)["Body"].read()  # type: ignore[no-any-return]


def test_script_mode_training_imports_sagemaker_training_and_installs_requirements(flow: Any) -> None:
    env, trained = flow["env"], flow["trained"]
    log = _log(env, trained, "/aws/sagemaker/TrainingJobs")
    assert "trained on sklearn 1.2.1 tabulate 0.9.0" in log
    local = trained["SagestepLocal"]
    assert local["Environment"]["Image"] == "sklearn:1.2-1"
    assert local["Environment"]["Packages"]["scikit-learn"] == "1.2.1"
    assert local["Environment"]["Requirements"].startswith("requirements.txt sha256:")


def test_nearest_version_is_announced_in_log_and_describe(flow: Any) -> None:
    env, trained = flow["env"], flow["trained"]
    warnings = trained["SagestepLocal"].get("Warnings", [])
    assert any("ships pandas 1.1.3, which has no wheel for Python 3.11" in w for w in warnings)
    assert "ships pandas 1.1.3" in _log(env, trained, "/aws/sagemaker/TrainingJobs")


def test_evaluation_extracts_the_model_into_its_cwd(flow: Any) -> None:
    desc = flow["eval"]
    assert desc["ProcessingJobStatus"] == "Completed", desc.get("FailureReason")
    report = json.loads(_read(flow["env"], "eval-iris/out/evaluation.json"))
    assert report["cwd"] == "/"
    assert report["metrics"]["accuracy"]["value"] > 0.9


def test_sklearn_1_2_script_runs_on_the_1_2_1_image(flow: Any) -> None:
    desc = flow["prep"]
    assert desc["ProcessingJobStatus"] == "Completed", desc.get("FailureReason")
    assert _read(flow["env"], "prep-ohe/out/shape.txt").decode() == "1.2.1 3x2 ndarray"


def test_failed_requirements_fail_the_job_with_pips_message(flow: Any) -> None:
    env = flow["env"]
    source = env.put_source("code/bad.tar.gz", {"train.py": "print('never')\n",
                                                "requirements.txt": "tabulate==0.0.0.999\n"})
    env.sm.create_training_job(**training_request("train-badreq", source))
    desc = _wait(env, "train-badreq")
    assert desc["TrainingJobStatus"] == "Failed"
    assert "InstallRequirementsError" in desc["FailureReason"]
    assert "tabulate==0.0.0.999" in desc["FailureReason"]


def test_inference_code_opening_opt_ml_model_directly(flow: Any) -> None:
    env = flow["env"]
    code = env.put_source("code/inference.tar.gz", {"inference.py": INFERENCE,
                                                    "requirements.txt": "tabulate==0.9.0\n"})
    env.sm.create_model(ModelName="iris", ExecutionRoleArn=ROLE, PrimaryContainer={
        "Image": SKLEARN, "ModelDataUrl": flow["model_uri"],
        "Environment": {"SAGEMAKER_PROGRAM": "inference.py", "SAGEMAKER_SUBMIT_DIRECTORY": code}})
    env.sm.create_endpoint_config(EndpointConfigName="iris", ProductionVariants=[{
        "VariantName": "AllTraffic", "ModelName": "iris", "InitialInstanceCount": 1,
        "InstanceType": "ml.m5.large"}])
    env.sm.create_endpoint(EndpointName="iris", EndpointConfigName="iris")
    try:
        desc = env.sm.wait_for_endpoint(EndpointName="iris", Timeout=120)
        assert desc["EndpointStatus"] == "InService", desc.get("FailureReason")
        runtime = env.runtime.client("sagemaker-runtime")
        answer = runtime.invoke_endpoint(EndpointName="iris", Body="5.1,3.5,1.4,0.2",
                                         ContentType="text/csv", Accept="application/json")
        assert json.loads(io.BytesIO(answer["Body"].read()).read()) == [0]
    finally:
        env.sm.delete_endpoint(EndpointName="iris")


BASH_SCRIPT = '''#!/bin/bash
set -e
cd /opt/ml/processing/input/code
pip install -r requirements.txt
python preprocessing.py "$@"
'''

SEED_PREPROCESSING = '''
import sys
import tabulate, sklearn
with open("/opt/ml/processing/output/versions.txt", "w") as f:
    f.write(f"tabulate {tabulate.__version__} sklearn {sklearn.__version__} {sys.argv[1:]}")
'''


def test_entrypoint_that_pip_installs_its_requirements_itself(flow: Any) -> None:
    # the seed framework's bash_script.sh: `pip install -r requirements.txt` then python
    env = flow["env"]
    for name, text in (("bash_script.sh", BASH_SCRIPT), ("preprocessing.py", SEED_PREPROCESSING),
                       ("requirements.txt", "tabulate==0.9.0\n")):
        env.s3.put_object(Bucket="bkt", Key=f"seed/{name}", Body=text.encode())
    request = _processing("seed-prep", "seed/bash_script.sh", [], "/opt/ml/processing/output")
    request["ProcessingInputs"][0]["S3Input"]["S3Uri"] = "s3://bkt/seed/"
    request["AppSpecification"]["ContainerEntrypoint"] = [
        "/bin/bash", "/opt/ml/processing/input/code/bash_script.sh"]
    request["AppSpecification"]["ContainerArguments"] = ["--prefix", "p"]
    env.sm.create_processing_job(**request)
    desc = _wait(env, "seed-prep")
    assert desc["ProcessingJobStatus"] == "Completed", _log(env, desc, "/aws/sagemaker/ProcessingJobs")
    assert _read(env, "seed-prep/out/versions.txt").decode() == (
        "tabulate 0.9.0 sklearn 1.2.1 ['--prefix', 'p']")


def test_unsupported_image_tag_fails_with_the_supported_ones(tmp_path: Any) -> None:
    env = make_env(tmp_path / "ws", stop_grace_s=2.0, python="image")
    env.s3.put_object(Bucket="bkt", Key="code/preprocess.py", Body=PREPROCESS.encode())
    request = _processing("old-tag", "code/preprocess.py", [], "/opt/ml/processing/output")
    request["AppSpecification"]["ImageUri"] = SKLEARN.replace("1.2-1-cpu-py3", "0.20.0-cpu-py3")
    env.sm.create_processing_job(**request)
    desc = _wait(env, "old-tag")
    assert desc["ProcessingJobStatus"] == "Failed"
    assert "no local environment for tag '0.20.0-cpu-py3'" in desc["FailureReason"]
    assert "supported tags: 0.23-1, 1.0-1, 1.2-1, 1.4-2" in desc["FailureReason"]
    assert "SAGESTEP_PYTHON=host" in desc["FailureReason"]

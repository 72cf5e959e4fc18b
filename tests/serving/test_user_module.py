"""User inference code (inference.py) under the inference toolkit's rules, served by a real endpoint."""

from __future__ import annotations

import io
import json
import pickle
import sys
from collections.abc import Iterator
from pathlib import Path

import joblib
import numpy as np
import pytest
from botocore.exceptions import ClientError
from sklearn.linear_model import LogisticRegression

from sagestep.errors import ServiceError
from sagestep.local import client
from sagestep.serving.handler import InvocationError, ServingSpec, load_handler
from tests.serving.helpers import ROLE, SKLEARN_IMAGE, breast_cancer, tarball, variant

INFERENCE = b'''
import os
import joblib
import numpy as np

def model_fn(model_dir):
    return joblib.load(os.path.join(model_dir, "model.joblib"))

def predict_fn(data, model):
    return model.predict_proba(data)[:, 1]
'''


def _model_bytes() -> bytes:
    x, y = breast_cancer()
    model = LogisticRegression(max_iter=5000).fit(x, y)
    out = io.BytesIO()
    joblib.dump(model, out)
    return out.getvalue()


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    path = tmp_path_factory.mktemp("usercode")
    s3 = client("s3", home=path)
    s3.put_object(Bucket="models", Key="lr/model.tar.gz",
                  Body=tarball({"model.joblib": _model_bytes()}))
    s3.put_object(Bucket="models", Key="lr/sourcedir.tar.gz",
                  Body=tarball({"inference.py": INFERENCE}))
    s3.put_object(Bucket="models", Key="lr-inline/model.tar.gz",
                  Body=tarball({"model.joblib": _model_bytes(), "code/inference.py": INFERENCE}))
    yield path
    sm = client("sagemaker", home=path)
    for endpoint in sm.list_endpoints()["Endpoints"]:
        sm.delete_endpoint(EndpointName=endpoint["EndpointName"])


@pytest.mark.slow
@pytest.mark.parametrize("layout", ["submit-directory", "code-in-model-tarball"])
def test_sklearn_inference_py_behind_an_endpoint(home: Path, layout: str) -> None:
    sm, rt = client("sagemaker", home=home), client("sagemaker-runtime", home=home)
    name = f"lr-{layout}"
    if layout == "submit-directory":
        container = {"Image": SKLEARN_IMAGE, "ModelDataUrl": "s3://models/lr/model.tar.gz",
                     "Environment": {"SAGEMAKER_PROGRAM": "inference.py",
                                     "SAGEMAKER_SUBMIT_DIRECTORY": "s3://models/lr/sourcedir.tar.gz"}}
    else:
        container = {"Image": SKLEARN_IMAGE, "ModelDataUrl": "s3://models/lr-inline/model.tar.gz"}
    sm.create_model(ModelName=name, ExecutionRoleArn=ROLE, PrimaryContainer=container)
    sm.create_endpoint_config(EndpointConfigName=name, ProductionVariants=[variant(name)])
    sm.create_endpoint(EndpointName=name, EndpointConfigName=name)
    described = sm.wait_for_endpoint(EndpointName=name, Timeout=60)
    assert described["EndpointStatus"] == "InService", described.get("FailureReason")
    x, _ = breast_cancer()
    expected = joblib.load(io.BytesIO(_model_bytes())).predict_proba(x[:2])[:, 1]
    body = "\n".join(",".join(f"{v:.9g}" for v in row) for row in x[:2])
    out = rt.invoke_endpoint(EndpointName=name, Body=body, ContentType="text/csv",
                             Accept="application/json")
    assert out["ContentType"] == "application/json"
    np.testing.assert_allclose(json.loads(out["Body"].read()), expected, rtol=1e-4)
    single = rt.invoke_endpoint(EndpointName=name, Body=body.splitlines()[0],
                                ContentType="text/csv", Accept="text/csv")
    assert float(single["Body"].read()) == pytest.approx(expected[0], rel=1e-4)
    npy = io.BytesIO()
    np.save(npy, x[:2])
    as_npy = rt.invoke_endpoint(EndpointName=name, Body=npy.getvalue(),
                                ContentType="application/x-npy", Accept="application/x-npy")
    np.testing.assert_allclose(np.load(io.BytesIO(as_npy["Body"].read())), expected, rtol=1e-4)
    with pytest.raises(ClientError) as info:
        rt.invoke_endpoint(EndpointName=name, Body=body, ContentType="text/csv",
                           Accept="application/xml")
    assert info.value.response["OriginalStatusCode"] == 406


def _spec(tmp_path: Path, source: str, framework: str = "sklearn") -> ServingSpec:
    (tmp_path / "model" / "code").mkdir(parents=True)
    (tmp_path / "model" / "code" / "inference.py").write_text(source)
    (tmp_path / "model" / "model.pkl").write_bytes(pickle.dumps({"offset": 1}))
    return ServingSpec(model_dir=str(tmp_path / "model"), framework=framework)


def test_transform_fn_and_context_parameter(tmp_path: Path) -> None:
    spec = _spec(tmp_path, (
        "import json\n"
        "def model_fn(model_dir, context):\n"
        "    assert context.system_properties['model_dir'] == model_dir\n"
        "    return 41\n"
        "def transform_fn(model, data, content_type, accept):\n"
        "    return json.dumps({'answer': model + len(data)}), 'application/json'\n"))
    reply = load_handler(spec).invoke(b"x", "text/plain", None)
    assert (reply.body, reply.content_type) == (b'{"answer": 42}', "application/json")


def test_transform_fn_with_input_fn_is_rejected(tmp_path: Path) -> None:
    spec = _spec(tmp_path, "def model_fn(d): return 1\ndef transform_fn(*a): pass\n"
                           "def input_fn(*a): pass\n")
    with pytest.raises(ServiceError, match="transform_fn and input_fn"):
        load_handler(spec)


def test_sklearn_has_no_default_model_fn(tmp_path: Path) -> None:
    spec = _spec(tmp_path, "def predict_fn(data, model): return data\n")
    with pytest.raises(ServiceError, match="model_fn is not defined"):
        load_handler(spec)


def test_user_exception_is_a_500_with_its_message(tmp_path: Path) -> None:
    spec = _spec(tmp_path, "def model_fn(d): return 1\n"
                           "def predict_fn(data, model): raise RuntimeError('boom in predict')\n")
    with pytest.raises(InvocationError) as info:
        load_handler(spec).invoke(b"[1, 2]", "application/json", None)
    assert info.value.status == 500 and "boom in predict" in info.value.message
    with pytest.raises(InvocationError) as info:
        load_handler(spec).invoke(b"1,2", "application/unknown", None)
    assert info.value.status == 415


def test_default_predict_of_a_sklearn_model_needs_no_xgboost(monkeypatch: pytest.MonkeyPatch) -> None:
    """The scikit-learn image's environment has no xgboost: its default predict_fn must not
    import it (it did, and every SDK-deployed SKLearn endpoint answered 500 outside tests)."""
    from sagestep.serving.user_module import ModuleHandler

    monkeypatch.setitem(sys.modules, "xgboost", None)  # `import xgboost` fails
    x, y = breast_cancer()
    model = LogisticRegression(max_iter=5000).fit(x, y)
    handler = ModuleHandler(model, {}, "sklearn", "text/csv")
    assert list(handler.predict_fn(x[:3], model)) == list(model.predict(x[:3]))

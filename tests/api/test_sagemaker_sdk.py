"""The SageMaker Python SDK v2 against the local API, no Docker: an SKLearn estimator with a
local source_dir (uploaded through S3) fits, deploys, predicts and is deleted."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from sklearn.datasets import load_iris

from tests.serving.helpers import ROLE

sagemaker = pytest.importorskip("sagemaker", reason="the test extra installs sagemaker<3")
pytestmark = pytest.mark.slow

SCRIPT = '''
import argparse, glob, os
import joblib, pandas as pd
from sklearn.linear_model import LogisticRegression


def model_fn(model_dir):
    return joblib.load(os.path.join(model_dir, "model.joblib"))


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("-C", type=float, default=1.0)
    parser.add_argument("--model-dir", default=os.environ["SM_MODEL_DIR"])
    parser.add_argument("--train", default=os.environ["SM_CHANNEL_TRAIN"])
    args = parser.parse_args()
    df = pd.concat(pd.read_csv(f, header=None) for f in glob.glob(os.path.join(args.train, "*.csv")))
    model = LogisticRegression(C=args.C, max_iter=500).fit(df.iloc[:, 1:], df.iloc[:, 0])
    joblib.dump(model, os.path.join(args.model_dir, "model.joblib"))
'''


def test_sklearn_estimator_fit_deploy_predict_delete(api, tmp_path: Path, monkeypatch) -> None:
    import boto3
    from sagemaker.sklearn import SKLearn

    _, ep = api
    for name, value in ep.env().items():  # what `eval "$(sagestep api env)"` sets
        monkeypatch.setenv(name, value)
    # The SDK sends STS to a hard-coded AWS URL (Session.account_id), so name the bucket: it is
    # then created through the API's HeadBucket/CreateBucket.
    session = sagemaker.Session(boto_session=boto3.Session(), default_bucket="sagemaker-local")
    bucket = session.default_bucket()
    x, y = load_iris(return_X_y=True)
    rows = "\n".join(",".join([str(int(t)), *map(str, r)]) for r, t in zip(x, y, strict=True))
    train = session.upload_string_as_file_body(rows, bucket, "iris/train/iris.csv")
    src = tmp_path / "src"
    src.mkdir()
    (src / "train.py").write_text(SCRIPT)
    estimator = SKLearn(entry_point="train.py", source_dir=str(src), role=ROLE,
                        instance_type="ml.m5.large", instance_count=1, framework_version="1.2-1",
                        py_version="py3", hyperparameters={"C": 0.5}, sagemaker_session=session)
    estimator.fit({"train": train.rsplit("/", 1)[0] + "/"}, logs=False)
    assert estimator.latest_training_job.describe()["TrainingJobStatus"] == "Completed"
    # wait=False then a 1 s poll: the SDK's own wait polls every 30 s
    predictor = estimator.deploy(initial_instance_count=1, instance_type="ml.m5.large", wait=False)
    session.wait_for_endpoint(predictor.endpoint_name, poll=1)
    try:
        got = predictor.predict(x[:5])
        assert list(np.asarray(got).astype(int)) == list(y[:5])
    finally:  # model first: delete_endpoint also deletes the config delete_model reads
        predictor.delete_model()
        predictor.delete_endpoint()
    names = [e["EndpointName"] for e in session.sagemaker_client.list_endpoints()["Endpoints"]]
    assert predictor.endpoint_name not in names

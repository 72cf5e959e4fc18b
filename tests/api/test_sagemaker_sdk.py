"""The SageMaker Python SDK v2 against the local API, no Docker, written as AWS's samples write
it: ``sagemaker.Session()`` with no bucket, an SKLearn estimator with a local source_dir
(uploaded through S3) whose ``fit()`` waits and streams the job's log from CloudWatch Logs,
then deploy, predict, a batch transform and delete.

The only departure from the samples is ``deploy(wait=False)`` followed by a 1 s
``wait_for_endpoint``: the SDK's own wait sleeps its 30 s poll before the first
DescribeEndpoint (sagemaker.session._wait_until), whatever the service answers.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sklearn.datasets import load_iris

from tests.api.iris_script import SCRIPT
from tests.serving.helpers import ROLE

sagemaker = pytest.importorskip("sagemaker", reason="the test extra installs sagemaker<3")
pytestmark = pytest.mark.slow


def test_sklearn_estimator_fit_deploy_predict_transform_delete(
    api, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    from sagemaker.sklearn import SKLearn

    _, ep = api
    for name, value in ep.env().items():  # what `eval "$(sagestep api env)"` sets
        monkeypatch.setenv(name, value)
    session = sagemaker.Session()
    bucket = session.default_bucket()
    assert bucket == "sagemaker-us-east-1-123456789012"  # what the SDK derives on AWS
    x, y = load_iris(return_X_y=True)
    rows = "\n".join(",".join([str(int(t)), *map(str, r)]) for r, t in zip(x, y, strict=True))
    train = session.upload_string_as_file_body(rows, bucket, "iris/train/iris.csv")
    src = tmp_path / "src"
    src.mkdir()
    (src / "train.py").write_text(SCRIPT)
    estimator = SKLearn(entry_point="train.py", source_dir=str(src), role=ROLE,
                        instance_type="ml.m5.large", instance_count=1, framework_version="1.2-1",
                        py_version="py3", hyperparameters={"C": 0.5}, sagemaker_session=session)
    estimator.fit({"train": train.rsplit("/", 1)[0] + "/"})
    printed = capsys.readouterr().out
    assert "trained on 150 rows, train accuracy" in printed  # the job's stdout, via GetLogEvents
    assert "Training seconds:" in printed
    assert estimator.latest_training_job.describe()["TrainingJobStatus"] == "Completed"

    predictor = estimator.deploy(initial_instance_count=1, instance_type="ml.m5.large", wait=False)
    session.wait_for_endpoint(predictor.endpoint_name, poll=1)
    try:
        got = predictor.predict(x[:5])
        assert list(np.asarray(got).astype(int)) == list(y[:5])
        # the server's output, where deploy(endpoint_logging=True) and the console look
        logs = session.boto_session.client("logs")
        group = f"/aws/sagemaker/Endpoints/{predictor.endpoint_name}"
        deadline = time.monotonic() + 10  # the log shipper copies the server's output every 0.5 s
        while not (events := _endpoint_events(logs, group)) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert any("serving on port" in e["message"] for e in events)
        assert {e["logStreamName"].split("/")[0] for e in events} == {"AllTraffic"}
    finally:  # model first: delete_endpoint also deletes the config delete_model reads
        predictor.delete_model()
        predictor.delete_endpoint()
    names = [e["EndpointName"] for e in session.sagemaker_client.list_endpoints()["Endpoints"]]
    assert predictor.endpoint_name not in names

    features = "\n".join(",".join(map(str, r)) for r in x[::30])
    batch = session.upload_string_as_file_body(features, bucket, "iris/batch/in.csv")
    transformer = estimator.transformer(instance_count=1, instance_type="ml.m5.large",
                                        output_path=f"s3://{bucket}/iris/batch-out")
    transformer.transform(batch, content_type="text/csv", split_type="Line")  # waits, with logs
    capsys.readouterr()
    out = session.read_s3_file(bucket, "iris/batch-out/in.csv.out")
    assert [int(float(v)) for v in out.replace("[", " ").replace("]", " ").replace(",", " ").split()] \
        == [int(t) for t in y[::30]]


def _endpoint_events(logs: Any, group: str) -> list[dict[str, Any]]:
    try:
        return list(logs.filter_log_events(logGroupName=group, logStreamNamePrefix="AllTraffic/")["events"])
    except logs.exceptions.ResourceNotFoundException:  # no output shipped yet
        return []


def test_api_env_names_the_sdk_defaults_and_keeps_the_users_config(api, tmp_path: Path) -> None:
    """`sagestep api env` exports the admin-level SDK config; a user config still wins, and a
    replaced admin config is reported on stderr rather than dropped silently."""
    rt, ep = api
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "SAGEMAKER_"))}
    env["SAGEMAKER_ADMIN_CONFIG_OVERRIDE"] = str(tmp_path / "admin.yaml")  # an admin config in effect
    done = subprocess.run([sys.executable, "-m", "sagestep", "api", "env", "--home",
                           str(rt.workspace.root)], capture_output=True, text=True, env=env,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    assert f"export SAGEMAKER_ADMIN_CONFIG_OVERRIDE={ep.sdk_config}" in done.stdout.splitlines()
    assert f"instead of the admin config {tmp_path / 'admin.yaml'}" in done.stderr
    user = tmp_path / "user.yaml"
    user.write_text("SchemaVersion: '1.0'\nSageMaker:\n  PythonSDK:\n    Modules:\n"
                    "      Session:\n        DefaultS3Bucket: my-team-bucket\n")
    probe = ("import sagemaker.config as c; "
             "print(c.load_sagemaker_config()['SageMaker']['PythonSDK']['Modules']['Session']"
             "['DefaultS3Bucket'])")
    for extra, bucket in (({}, "sagemaker-us-east-1-123456789012"),
                          ({"SAGEMAKER_USER_CONFIG_OVERRIDE": str(user)}, "my-team-bucket")):
        got = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                             timeout=120, env={**env, **ep.env(), **extra, "HOME": str(tmp_path)})
        assert got.stdout.strip().splitlines()[-1] == bucket, got.stderr

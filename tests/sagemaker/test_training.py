"""Training jobs: script mode with an unmodified SageMaker-style scikit-learn script, failures, limits."""

from __future__ import annotations

import io
import json
import tarfile
import time

import pytest
from botocore.exceptions import ClientError
from sklearn.datasets import load_iris

from tests.sagemaker.conftest import Env, make_env, needs_bwrap, training_request

TRAIN = '''
import argparse, glob, json, os
import joblib, pandas as pd
from sklearn.linear_model import LogisticRegression

parser = argparse.ArgumentParser()
parser.add_argument("-C", type=float, default=1.0)  # one-letter keys arrive as -C
parser.add_argument("--max-iter", type=int, default=100)
parser.add_argument("--model-dir", default=os.environ["SM_MODEL_DIR"])
parser.add_argument("--train", default=os.environ["SM_CHANNEL_TRAIN"])
args = parser.parse_args()
files = glob.glob(os.path.join(args.train, "*.csv"))
df = pd.concat(pd.read_csv(f, header=None) for f in files)
model = LogisticRegression(C=args.C, max_iter=args.max_iter).fit(df.iloc[:, 1:], df.iloc[:, 0])
acc = model.score(df.iloc[:, 1:], df.iloc[:, 0])
print(f"train:accuracy={acc:.4f};")
joblib.dump(model, os.path.join(args.model_dir, "model.joblib"))
with open(os.path.join(os.environ["SM_OUTPUT_DATA_DIR"], "env.json"), "w") as fh:
    json.dump({k: v for k, v in os.environ.items() if k.startswith("SM_")}, fh)
'''


def _stage_iris(env: Env) -> None:
    X, y = load_iris(return_X_y=True)
    rows = "\n".join(",".join([str(int(t)), *map(str, x)]) for x, t in zip(X, y, strict=True))
    env.s3.put_object(Bucket="bkt", Key="data/train/iris.csv", Body=rows.encode())


def _tar_members(env: Env, key: str) -> dict[str, bytes]:
    body = env.s3.get_object(Bucket="bkt", Key=key)["Body"].read()
    with tarfile.open(fileobj=io.BytesIO(body)) as tar:
        return {m.name: tar.extractfile(m).read() for m in tar.getmembers() if m.isfile()}  # type: ignore[union-attr]


def _run(env: Env, req: dict, timeout: float = 60) -> dict:
    env.sm.create_training_job(**req)
    env.sm.wait_for_job(JobName=req["TrainingJobName"], Timeout=timeout)
    return env.sm.describe_training_job(TrainingJobName=req["TrainingJobName"])


def test_script_mode_sklearn_produces_model_at_aws_path(env: Env) -> None:
    _stage_iris(env)
    src = env.put_source("code/sourcedir.tar.gz", {"train.py": TRAIN})
    req = training_request("iris-1", src, {"C": "0.5", "max-iter": "200"})
    req["AlgorithmSpecification"]["MetricDefinitions"] = [
        {"Name": "train:accuracy", "Regex": r"train:accuracy=([0-9.]+);"}]
    d = _run(env, req)
    assert d["TrainingJobStatus"] == "Completed", d.get("FailureReason")
    assert d["SecondaryStatus"] == "Completed"
    assert d["ModelArtifacts"]["S3ModelArtifacts"] == "s3://bkt/models/iris-1/output/model.tar.gz"
    assert set(_tar_members(env, "models/iris-1/output/model.tar.gz")) == {"model.joblib"}
    sm_env = json.loads(_tar_members(env, "models/iris-1/output/output.tar.gz")["env.json"])
    base = "/opt/ml" if d["SagestepLocal"]["Sandbox"] == "bwrap" else d["SagestepLocal"]["WorkDir"]
    assert sm_env["SM_CHANNEL_TRAIN"] == f"{base}/input/data/train"
    assert sm_env["SM_MODEL_DIR"] == f"{base}/model"
    assert json.loads(sm_env["SM_USER_ARGS"]) == ["-C", "0.5", "--max-iter", "200"]
    assert sm_env["SM_HP_MAX-ITER"] == "200"
    assert sm_env["SM_USER_ENTRY_POINT"] == "train.py"
    statuses = [t["Status"] for t in d["SecondaryStatusTransitions"]]
    assert statuses == ["Starting", "Downloading", "Training", "Uploading", "Completed"]
    assert d["TrainingStartTime"] <= d["TrainingEndTime"]
    [metric] = d["FinalMetricDataList"]
    assert metric["MetricName"] == "train:accuracy" and 0.9 < metric["Value"] <= 1.0
    logs = [e["message"] for e in env.sm.get_job_logs(JobName="iris-1")["events"]]
    assert any(m.startswith("train:accuracy=") for m in logs)


def test_mapped_mode_without_sandbox(tmp_path) -> None:
    env = make_env(tmp_path / "ws", sandbox="none")
    _stage_iris(env)
    script = ("import os\nrows = open(os.environ['SM_CHANNEL_TRAIN'] + '/iris.csv').read().splitlines()\n"
              "open(os.environ['SM_MODEL_DIR'] + '/rows.txt', 'w').write(str(len(rows)))\n")
    src = env.put_source("code/mapped.tar.gz", {"train.py": script})
    d = _run(env, training_request("iris-mapped", src))
    assert d["TrainingJobStatus"] == "Completed", d.get("FailureReason")
    assert d["SagestepLocal"]["Sandbox"] == "none"
    assert _tar_members(env, "models/iris-mapped/output/model.tar.gz") == {"rows.txt": b"150"}


def test_failure_file_becomes_failure_reason(env: Env) -> None:
    _stage_iris(env)
    script = ("import os\nopen(os.path.join(os.environ['SM_OUTPUT_DIR'], 'failure'), 'w')"
              ".write('bad input: no label column')\nraise SystemExit(3)\n")
    src = env.put_source("code/fail.tar.gz", {"train.py": script})
    d = _run(env, training_request("fails-1", src))
    assert d["TrainingJobStatus"] == "Failed"
    assert d["SecondaryStatus"] == "Failed"
    assert d["FailureReason"] == "AlgorithmError: bad input: no label column"


def test_nonzero_exit_without_failure_file_reports_toolkit_error(env: Env) -> None:
    _stage_iris(env)
    src = env.put_source("code/crash.tar.gz", {"train.py": "raise ValueError('boom in user code')\n"})
    d = _run(env, training_request("crash-1", src))
    assert d["TrainingJobStatus"] == "Failed"
    assert d["FailureReason"].startswith("AlgorithmError: ExecuteUserScriptError:\nExitCode 1")
    assert "boom in user code" in d["FailureReason"]


def test_max_runtime_stops_job_as_aws_does(env: Env) -> None:
    _stage_iris(env)
    src = env.put_source("code/slow.tar.gz", {"train.py": "import time\ntime.sleep(60)\n"})
    req = training_request("slow-1", src, StoppingCondition={"MaxRuntimeInSeconds": 1})
    started = time.monotonic()
    d = _run(env, req)
    assert time.monotonic() - started < 10
    assert d["TrainingJobStatus"] == "Stopped"
    assert d["SecondaryStatus"] == "MaxRuntimeExceeded"


def test_stop_training_job(env: Env) -> None:
    _stage_iris(env)
    src = env.put_source("code/slow2.tar.gz", {"train.py": "import time\ntime.sleep(60)\n"})
    env.sm.create_training_job(**training_request("stop-1", src))
    deadline = time.monotonic() + 20
    while env.sm.describe_training_job(TrainingJobName="stop-1")["SecondaryStatus"] != "Training":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    env.sm.stop_training_job(TrainingJobName="stop-1")
    assert env.sm.describe_training_job(TrainingJobName="stop-1")["TrainingJobStatus"] in ("Stopping", "Stopped")
    env.sm.wait_for_job(JobName="stop-1", Timeout=20)
    d = env.sm.describe_training_job(TrainingJobName="stop-1")
    assert (d["TrainingJobStatus"], d["SecondaryStatus"]) == ("Stopped", "Stopped")
    with pytest.raises(ClientError) as err:
        env.sm.stop_training_job(TrainingJobName="stop-1")
    assert err.value.response["Error"]["Code"] == "ValidationException"


def test_duplicate_name_is_resource_in_use_and_unknown_image_lists_supported(env: Env) -> None:
    _stage_iris(env)
    src = env.put_source("code/ok.tar.gz", {"train.py": "print('hi')\n"})
    env.sm.create_training_job(**training_request("dup-1", src))
    with pytest.raises(ClientError) as err:
        env.sm.create_training_job(**training_request("dup-1", src))
    assert err.value.response["Error"]["Code"] == "ResourceInUse"
    req = training_request("img-1", src)
    req["AlgorithmSpecification"]["TrainingImage"] = "123456789012.dkr.ecr.us-east-1.amazonaws.com/mine:1"
    with pytest.raises(ClientError) as err:
        env.sm.create_training_job(**req)
    assert "sagemaker-scikit-learn" in err.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as err:
        env.sm.describe_training_job(TrainingJobName="nope")
    assert err.value.response["Error"]["Code"] == "ValidationException"
    env.sm.wait_for_job(JobName="dup-1")
    listed = env.sm.list_training_jobs(NameContains="dup")["TrainingJobSummaries"]
    assert [s["TrainingJobName"] for s in listed] == ["dup-1"]


def test_manifest_and_fastfile_channels_and_input_config(env: Env) -> None:
    for key in ("raw/a/1.csv", "raw/b/2.csv", "raw/c/3.csv"):
        env.s3.put_object(Bucket="bkt", Key=key, Body=b"x\n")
    manifest = json.dumps([{"prefix": "s3://bkt/raw/"}, "a/1.csv", "c/3.csv"])
    env.s3.put_object(Bucket="bkt", Key="manifests/train.manifest", Body=manifest.encode())
    script = ("import json, os\nfor ch in ('train', 'extra'):\n"
              "    d = os.environ['SM_CHANNEL_' + ch.upper()]\n"
              "    print(ch, sorted(os.path.relpath(os.path.join(r, f), d) for r, _, fs in os.walk(d) for f in fs))\n"
              "print(json.dumps(json.load(open(os.environ['SM_INPUT_CONFIG_DIR'] + '/inputdataconfig.json')), sort_keys=True))\n")
    src = env.put_source("code/m.tar.gz", {"train.py": script})
    req = training_request("manifest-1", src)
    req["InputDataConfig"] = [
        {"ChannelName": "train", "DataSource": {"S3DataSource": {"S3DataType": "ManifestFile",
                                                                 "S3Uri": "s3://bkt/manifests/train.manifest"}}},
        {"ChannelName": "extra", "InputMode": "FastFile", "ContentType": "text/csv",
         "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": "s3://bkt/raw/b"}}}]
    d = _run(env, req)
    assert d["TrainingJobStatus"] == "Completed", d.get("FailureReason")
    logs = [e["message"] for e in env.sm.get_job_logs(JobName="manifest-1")["events"]]
    assert "train ['a/1.csv', 'c/3.csv']" in logs
    assert "extra ['2.csv']" in logs
    config = json.loads(logs[-1])
    assert config == {
        "extra": {"ContentType": "text/csv", "RecordWrapperType": "None", "S3DistributionType": "FullyReplicated",
                  "TrainingInputMode": "FastFile"},
        "train": {"RecordWrapperType": "None", "S3DistributionType": "FullyReplicated", "TrainingInputMode": "File"}}


@needs_bwrap
def test_network_isolation_cuts_the_network(env: Env) -> None:
    import socket

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(4)
    port = server.getsockname()[1]
    script = (f"import socket\ntry:\n    socket.create_connection(('127.0.0.1', {port}), timeout=2).close()\n"
              "    print('network: reachable')\nexcept OSError:\n    print('network: unreachable')\n")
    env.s3.put_object(Bucket="bkt", Key="data/train/x.csv", Body=b"1\n")
    src = env.put_source("code/net.tar.gz", {"train.py": script})
    try:
        for name, isolated in (("net-open", False), ("net-closed", True)):
            d = _run(env, training_request(name, src, EnableNetworkIsolation=isolated))
            assert d["TrainingJobStatus"] == "Completed", d.get("FailureReason")
        logs = {n: [e["message"] for e in env.sm.get_job_logs(JobName=n)["events"]] for n in ("net-open", "net-closed")}
    finally:
        server.close()
    assert "network: reachable" in logs["net-open"]
    assert "network: unreachable" in logs["net-closed"]


def test_checkpoints_are_restored_and_synced(env: Env) -> None:
    env.s3.put_object(Bucket="bkt", Key="data/train/x.csv", Body=b"1\n")
    env.s3.put_object(Bucket="bkt", Key="ckpt/run/step-1", Body=b"one")
    script = ("import os\nd = '/opt/ml/checkpoints' if os.path.isdir('/opt/ml/checkpoints') else "
              "os.environ['SAGEMAKER_BASE_DIR'] + '/checkpoints'\nprint('found', sorted(os.listdir(d)))\n"
              "open(os.path.join(d, 'step-2'), 'w').write('two')\n")
    src = env.put_source("code/ck.tar.gz", {"train.py": script})
    d = _run(env, training_request("ckpt-1", src, CheckpointConfig={"S3Uri": "s3://bkt/ckpt/run"}))
    assert d["TrainingJobStatus"] == "Completed", d.get("FailureReason")
    assert "found ['step-1']" in [e["message"] for e in env.sm.get_job_logs(JobName="ckpt-1")["events"]]
    assert env.s3.get_object(Bucket="bkt", Key="ckpt/run/step-2")["Body"].read() == b"two"

"""The AWS CLI against `sagestep server`, pointed there by `sagestep api env` (real processes)."""

from __future__ import annotations

import json
import os
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server_env(tmp_path_factory: pytest.TempPathFactory):
    home = tmp_path_factory.mktemp("cli-ws")
    proc = subprocess.Popen(
        [sys.executable, "-m", "sagestep", "server", "--home", str(home), "--no-watch",
         "--no-schedules", "--poll", "0.2"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        deadline = time.monotonic() + 60
        banner = []
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            banner.append(line)
            if "AWS API on http://127.0.0.1:" in line or proc.poll() is not None:
                break
        assert "AWS API on" in banner[-1], "".join(banner)
        out = subprocess.run([sys.executable, "-m", "sagestep", "api", "env", "--home", str(home)],
                             capture_output=True, text=True, check=True).stdout
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        for line in out.splitlines():
            name, _, value = line.removeprefix("export ").partition("=")
            env[name] = shlex.split(value)[0]
        assert env["AWS_ENDPOINT_URL"] in banner[-1]
        assert oct(os.stat(home / "api-keys.json").st_mode & 0o777) == "0o600"
        yield home, env
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


def aws(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(["aws", *args], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_s3_cp_sync_ls_of_large_files(server_env, tmp_path: Path) -> None:
    home, env = server_env
    big = os.urandom(9 << 20)  # over the CLI's 8 MiB multipart threshold
    src = tmp_path / "src"
    (src / "sub").mkdir(parents=True)
    (src / "big.bin").write_bytes(big)
    (src / "sub" / "small.txt").write_text("small")
    aws(env, "s3", "mb", "s3://cli-bucket")
    aws(env, "s3", "cp", str(src / "big.bin"), "s3://cli-bucket/one/big.bin")
    assert (home / "s3" / "cli-bucket" / "one" / "big.bin").read_bytes() == big
    aws(env, "s3", "cp", "s3://cli-bucket/one/big.bin", str(tmp_path / "back.bin"))
    assert (tmp_path / "back.bin").read_bytes() == big
    aws(env, "s3", "sync", str(src), "s3://cli-bucket/synced")
    listing = aws(env, "s3", "ls", "--recursive", "s3://cli-bucket/synced/")
    assert "synced/big.bin" in listing and "synced/sub/small.txt" in listing
    assert aws(env, "s3", "sync", str(src), "s3://cli-bucket/synced").strip() == ""  # nothing changed
    aws(env, "s3", "sync", "s3://cli-bucket/synced", str(tmp_path / "down"))
    assert (tmp_path / "down" / "big.bin").read_bytes() == big
    aws(env, "s3", "cp", "s3://cli-bucket/one/big.bin", "s3://cli-bucket/copied/big.bin")  # UploadPartCopy
    assert (home / "s3" / "cli-bucket" / "copied" / "big.bin").read_bytes() == big
    head = json.loads(aws(env, "s3api", "head-object", "--bucket", "cli-bucket", "--key", "synced/big.bin"))
    assert head["ETag"].endswith('-2"') and head["ContentLength"] == len(big)
    aws(env, "s3", "rm", "--recursive", "s3://cli-bucket/")
    aws(env, "s3", "rb", "s3://cli-bucket")


def test_folder_objects_tags_and_bucket_configuration(server_env, tmp_path: Path) -> None:
    home, env = server_env
    aws(env, "s3", "mb", "s3://cli-folders")
    aws(env, "s3api", "put-object", "--bucket", "cli-folders", "--key", "dir/")
    aws(env, "s3api", "put-object", "--bucket", "cli-folders", "--key", "dir/sub/")
    assert (home / "s3" / "cli-folders" / "dir" / "sub").is_dir()
    assert aws(env, "s3", "ls", "s3://cli-folders/").split() == ["PRE", "dir/"]
    listing = aws(env, "s3", "ls", "--recursive", "s3://cli-folders/")
    assert [line.split()[-1] for line in listing.splitlines()] == ["dir/", "dir/sub/"]
    head = json.loads(aws(env, "s3api", "head-object", "--bucket", "cli-folders", "--key", "dir/"))
    assert head["ContentLength"] == 0
    aws(env, "s3api", "put-object", "--bucket", "cli-folders", "--key", "dir/f.txt", "--tagging", "stage=raw")
    tags = json.loads(aws(env, "s3api", "get-object-tagging", "--bucket", "cli-folders", "--key", "dir/f.txt"))
    assert tags["TagSet"] == [{"Key": "stage", "Value": "raw"}]
    aws(env, "s3api", "put-object-tagging", "--bucket", "cli-folders", "--key", "dir/f.txt",
        "--tagging", "TagSet=[{Key=stage,Value=clean}]")
    tags = json.loads(aws(env, "s3api", "get-object-tagging", "--bucket", "cli-folders", "--key", "dir/f.txt"))
    assert tags["TagSet"] == [{"Key": "stage", "Value": "clean"}]
    # an unconfigured bucket's versioning answers 200 with nothing in it (the CLI prints nothing)
    assert aws(env, "s3api", "get-bucket-versioning", "--bucket", "cli-folders").strip() == ""
    aws(env, "s3api", "put-bucket-versioning", "--bucket", "cli-folders",
        "--versioning-configuration", "Status=Suspended")
    versioning = json.loads(aws(env, "s3api", "get-bucket-versioning", "--bucket", "cli-folders"))
    assert versioning == {"Status": "Suspended"}
    aws(env, "s3", "sync", "s3://cli-folders", str(tmp_path / "down"))  # markers are skipped, as on AWS
    assert sorted(str(p.relative_to(tmp_path / "down")) for p in (tmp_path / "down").rglob("*")) == [
        "dir", "dir/f.txt"]
    removed = aws(env, "s3", "rm", "--recursive", "s3://cli-folders/")
    assert "delete: s3://cli-folders/dir/" in removed and "delete: s3://cli-folders/dir/sub/" in removed
    assert aws(env, "s3", "ls", "--recursive", "s3://cli-folders/").strip() == ""
    aws(env, "s3", "rb", "s3://cli-folders")


def test_sagemaker_and_stepfunctions(server_env) -> None:
    _, env = server_env
    assert json.loads(aws(env, "sagemaker", "list-training-jobs")) == {"TrainingJobSummaries": []}
    definition = json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": {"x": 1}, "End": True}}})
    arn = json.loads(aws(env, "stepfunctions", "create-state-machine", "--name", "cli-machine",
                         "--definition", definition, "--role-arn",
                         "arn:aws:iam::123456789012:role/sagestep-local"))["stateMachineArn"]
    run = json.loads(aws(env, "stepfunctions", "start-execution", "--state-machine-arn", arn,
                         "--input", "{}"))["executionArn"]
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        desc = json.loads(aws(env, "stepfunctions", "describe-execution", "--execution-arn", run))
        if desc["status"] != "RUNNING":
            break
        time.sleep(0.3)
    assert desc["status"] == "SUCCEEDED" and json.loads(desc["output"]) == {"x": 1}
    events = json.loads(aws(env, "stepfunctions", "get-execution-history", "--execution-arn", run))["events"]
    assert events[0]["type"] == "ExecutionStarted" and events[-1]["type"] == "ExecutionSucceeded"


def test_api_env_without_a_server_says_how_to_start_one(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "sagestep", "api", "env", "--home", str(tmp_path)],
                          capture_output=True, text=True)
    assert done.returncode != 0 and "Traceback" not in done.stderr
    assert "no local AWS API answers for workspace" in done.stderr
    assert "sagestep server --home" in done.stderr


def test_logs_of_a_job_with_the_cli(server_env) -> None:
    """`aws logs` reads a job's stdout; filter-log-events pages; unknown names are AWS's errors."""
    _, env = server_env
    script = "[print(f'step {i}') for i in range(25)]; print('finished')"
    request = {"ProcessingJobName": "cli-logs", "RoleArn": "arn:aws:iam::123456789012:role/x",
               "AppSpecification": {"ImageUri": "683313688378.dkr.ecr.us-east-1.amazonaws.com/"
                                    "sagemaker-scikit-learn:1.2-1-cpu-py3",
                                    "ContainerEntrypoint": ["python3", "-c", script]},
               "ProcessingResources": {"ClusterConfig": {"InstanceCount": 1, "VolumeSizeInGB": 5,
                                                         "InstanceType": "ml.m5.large"}}}
    aws(env, "sagemaker", "create-processing-job", "--cli-input-json", json.dumps(request))
    deadline = time.monotonic() + 120
    while json.loads(aws(env, "sagemaker", "describe-processing-job", "--processing-job-name",
                         "cli-logs"))["ProcessingJobStatus"] == "InProgress":
        assert time.monotonic() < deadline
        time.sleep(0.5)
    group = "/aws/sagemaker/ProcessingJobs"
    streams = json.loads(aws(env, "logs", "describe-log-streams", "--log-group-name", group,
                             "--log-stream-name-prefix", "cli-logs/"))["logStreams"]
    (stream,) = [s["logStreamName"] for s in streams]
    assert stream.startswith("cli-logs/algo-1-")
    got = json.loads(aws(env, "logs", "get-log-events", "--log-group-name", group,
                         "--log-stream-name", stream, "--start-from-head"))
    messages = [e["message"] for e in got["events"]]
    assert messages[-26:] == [f"step {i}" for i in range(25)] + ["finished"]
    paged = json.loads(aws(env, "logs", "filter-log-events", "--log-group-name", group,
                           "--log-stream-names", stream, "--filter-pattern", "step",
                           "--page-size", "4"))  # the CLI follows nextToken across 7 pages
    assert [e["message"] for e in paged["events"]] == [f"step {i}" for i in range(25)]
    groups = json.loads(aws(env, "logs", "describe-log-groups"))["logGroups"]
    assert group in [g["logGroupName"] for g in groups]
    done = subprocess.run(["aws", "logs", "get-log-events", "--log-group-name", "/aws/sagemaker/Nope",
                           "--log-stream-name", stream], env=env, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode != 0 and "ResourceNotFoundException" in done.stderr
    assert "The specified log group does not exist." in done.stderr

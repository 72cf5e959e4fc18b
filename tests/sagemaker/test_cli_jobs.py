"""`sagestep jobs ...` over a local workspace."""

from __future__ import annotations

from typer.testing import CliRunner

from sagestep.cli.main import app
from tests.sagemaker.conftest import Env, training_request


def test_jobs_logs_list_describe(env: Env) -> None:
    env.s3.put_object(Bucket="bkt", Key="data/train/x.csv", Body=b"1\n")
    src = env.put_source("code/cli.tar.gz", {"train.py": "print('hello from training')\n"})
    env.sm.create_training_job(**training_request("cli-1", src))
    env.sm.wait_for_job(JobName="cli-1")
    home = str(env.runtime.workspace.root)
    runner = CliRunner()
    out = runner.invoke(app, ["jobs", "logs", "cli-1", "--home", home])
    assert out.exit_code == 0, out.output
    assert "hello from training" in out.output.splitlines()
    out = runner.invoke(app, ["jobs", "list", "--home", home])
    assert "cli-1" in out.output and "Completed" in out.output
    out = runner.invoke(app, ["jobs", "describe", "cli-1", "--home", home])
    assert '"TrainingJobStatus": "Completed"' in out.output
    out = runner.invoke(app, ["jobs", "logs", "nope", "--home", home])
    assert out.exit_code != 0

"""`sagestep stop` and `sagestep redrive` on the local backend, with real jobs (issue 16)."""

import time

import pytest

from sagestep.backends.local import LocalBackend
from sagestep.cli.main import main
from sagestep.sagemaker.process import alive

pytestmark = pytest.mark.slow

CONFIG = """\
name: ctl
defaults:
  bucket: sagestep-tests
stages:
  preprocessing:
    framework: sklearn
    script: step.py
    source_dir: scripts
    instance_type: ml.m5.large
"""


def _cli(*args) -> tuple[int, str]:
    import io
    from contextlib import redirect_stdout

    buf = io.StringIO()
    try:
        with redirect_stdout(buf):
            main(list(args))
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    return code, buf.getvalue()


def _project(tmp_path, script: str):
    (tmp_path / "scripts").mkdir()
    (tmp_path / "scripts" / "step.py").write_text(script)
    (tmp_path / "pipeline.yaml").write_text(CONFIG)
    return tmp_path / "pipeline.yaml", tmp_path / "ws"


def test_stop_stops_the_running_job_and_aborts_the_run(tmp_path, capsys):
    config, home = _project(tmp_path, "import time\nprint('working', flush=True)\ntime.sleep(120)\n")
    code, out = _cli("run", str(config), "--home", str(home), "--no-follow")
    name = out.split("started ")[1].split()[0]
    backend = LocalBackend(home)
    deadline = time.monotonic() + 60
    while True:
        jobs = [j for s in backend.stages(name) for j in s.jobs]
        doc = backend.runtime.sagemaker.records.get("processing-job", jobs[0]) if jobs else None
        if doc and doc.get("ProcessingStartTime"):
            break
        assert time.monotonic() < deadline, "the job never started"
        time.sleep(0.1)
    code, out = _cli("stop", name, "--home", str(home))
    assert (code, out.strip()) == (0, f"stopped {name}: ABORTED")
    deadline = time.monotonic() + 30
    while backend.runtime.sagemaker.records.get("processing-job", jobs[0])["ProcessingJobStatus"] != "Stopped":
        assert time.monotonic() < deadline, "the job was not stopped"
        time.sleep(0.1)
    with backend.runtime.sagemaker.records.connection() as conn:
        pid, start = conn.execute("SELECT pid, pid_start FROM sm_runs WHERE name=?", (jobs[0],)).fetchone()
    assert not alive(pid, start)
    code, out = _cli("status", name, "--home", str(home))
    assert f"{name}  ctl draft (not registered)  ABORTED" in out
    assert "preprocessing    ABORTED" in out


REDRIVE_CONFIG = CONFIG + """\
  training:
    framework: sklearn
    script: train.py
    source_dir: scripts
    instance_type: ml.m5.large
    inputs: {train: "s3://sagestep-tests/later/"}
"""
TRAIN = """\
import os
rows = open('/opt/ml/input/data/train/d.csv').read()
open(os.path.join(os.environ.get('SM_MODEL_DIR', '/opt/ml/model'), 'model.txt'), 'w').write(rows)
"""


def test_redrive_continues_from_the_failed_stage_and_succeeds(tmp_path, capsys):
    """Training fails on a missing input object; once it is uploaded, `sagestep redrive`
    goes on from training (preprocessing is not re-run) and the run SUCCEEDS."""
    config, home = _project(tmp_path, "print('prepared')\n")
    (tmp_path / "scripts" / "train.py").write_text(TRAIN)
    config.write_text(REDRIVE_CONFIG)
    code, out = _cli("run", str(config), "--home", str(home))
    assert code == 1, out
    assert "training         FAILED" in out and "later" in out, out
    name = out.split("started ")[1].split()[0]
    data = tmp_path / "d.csv"
    data.write_text("1,2\n")
    code, out = _cli("upload", str(data), "s3://sagestep-tests/later/d.csv", "--no-follow",
                     "--home", str(home))
    assert code == 0, out
    code, out = _cli("redrive", name, "--home", str(home))  # follows the run to its end
    assert code == 0, (out, capsys.readouterr().err)
    assert f"redriven {name}: RUNNING" in out
    backend = LocalBackend(home)
    info = backend.describe_run(name)
    assert info.status == "SUCCEEDED", (info.error, info.cause)
    stages = {s.stage: s for s in backend.stages(name)}
    assert len(stages["preprocessing"].jobs) == 1, stages["preprocessing"].jobs
    trained = stages["training"].jobs
    assert trained[-1].endswith("-r1-0") and len(set(trained)) == len(trained), trained
    code, out = _cli("status", name, "--home", str(home))
    assert "training         SUCCEEDED" in out and "preprocessing    SUCCEEDED" in out, out

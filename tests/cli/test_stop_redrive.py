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


def test_redrive_of_a_run_that_ended_in_the_pipelines_fail_state_says_what_to_do(tmp_path, capsys):
    """The generic machine catches a stage's error and ends in its Fail state: RedriveExecution
    would re-run only that state (and fail again), so the command says so and what to do."""
    config, home = _project(tmp_path, "import sys\nsys.exit('not fixed yet')\n")
    code, out = _cli("run", str(config), "--home", str(home))
    assert code == 1 and "not fixed yet" in out
    name = out.split("started ")[1].split()[0]
    code, out = _cli("redrive", name, "--home", str(home))
    err = capsys.readouterr().err.replace("\n", "")
    assert code == 1
    assert f"run '{name}' failed in stage preprocessing and ended in the pipeline's final Fail" in err
    assert "start a new run: `sagestep run ctl`" in err

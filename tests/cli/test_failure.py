"""A failing job through the real machine: exit code 1, the stage marked FAILED, its log tail shown."""

from sagestep.cli.main import main

CONFIG = """\
name: broken
defaults:
  bucket: sagestep-tests
stages:
  preprocessing:
    framework: sklearn
    script: fail.py
    source_dir: scripts
    instance_type: ml.m5.large
"""


def test_failed_run_shows_the_failing_stage_and_its_log_tail(tmp_path, capsys):
    (tmp_path / "scripts").mkdir()
    (tmp_path / "scripts" / "fail.py").write_text(
        "print('loading the data')\nraise SystemExit('bad data: column target missing')\n")
    (tmp_path / "pipeline.yaml").write_text(CONFIG)
    home = tmp_path / "ws"
    try:
        main(["run", str(tmp_path / "pipeline.yaml"), "--home", str(home)])
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out = capsys.readouterr().out
    assert code == 1
    lines = out.splitlines()
    assert lines[0] == (f"running {tmp_path / 'pipeline.yaml'} as it is (broken not registered; "
                        "--register makes it what triggers run)")
    failed = [line for line in lines if line.startswith("preprocessing    FAILED")]
    assert len(failed) == 1
    assert "--- preprocessing · broken-prep-" in out  # the failed job's log tail, unasked
    assert "loading the data" in out and "bad data: column target missing" in out
    # the job's FailureReason, not the whole DescribeProcessingJob JSON the cause carries
    job = failed[0].split()[-1]
    assert lines[-1].startswith("broken-") and f" FAILED: States.TaskFailed {job}: " in lines[-1]
    assert "{" not in lines[-1]

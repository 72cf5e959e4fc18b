"""Fail fast (issue 16): an error a retry cannot fix fails the stage at once with SageMaker's
message, through the real compiled machine and the local SageMaker (was: 4 retries, ~75 s)."""

import time

from sagestep.cli.main import main

CONFIG = """\
name: fastfail
defaults:
  bucket: sagestep-tests
stages:
  preprocessing:
    framework: sklearn
    script: ok.py
    source_dir: scripts
    instance_type: ml.m5.large
{extra}
"""


def _run(tmp_path, capsys, extra: str) -> tuple[int, str, float]:
    (tmp_path / "scripts").mkdir()
    (tmp_path / "scripts" / "ok.py").write_text("print('fine')\n")
    (tmp_path / "pipeline.yaml").write_text(CONFIG.format(extra=extra))
    started = time.monotonic()
    try:
        main(["run", str(tmp_path / "pipeline.yaml"), "--home", str(tmp_path / "ws")])
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    return code, capsys.readouterr().out, time.monotonic() - started


def test_validation_exception_fails_the_stage_in_under_5_seconds(tmp_path, capsys):
    code, out, took = _run(tmp_path, capsys,
                           "    image: 123456789012.dkr.ecr.us-east-1.amazonaws.com/my-own:1")
    assert code == 1, out
    assert took < 5, f"took {took:.1f} s"
    failed = [line for line in out.splitlines() if line.startswith("preprocessing    FAILED")]
    assert len(failed) == 1, out
    assert "has no local mapping in sagestep" in out  # SageMaker's own message


def test_missing_input_object_fails_the_stage_at_once(tmp_path, capsys):
    code, out, took = _run(tmp_path, capsys, """\
    inputs:
      - name: raw
        source: s3://sagestep-tests/nothing-here/
        destination: /opt/ml/processing/input/raw""")
    assert code == 1, out
    assert took < 5, f"took {took:.1f} s"
    assert "preprocessing    FAILED" in out
    assert "nothing-here" in out, out

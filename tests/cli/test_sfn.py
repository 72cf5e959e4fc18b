"""`sagestep sfn run|history|send-task-*`: exact output and exit codes."""

from __future__ import annotations

import json
from pathlib import Path

from sagestep.cli.main import main

DEFINITION = {"StartAt": "A", "States": {
    "A": {"Type": "Pass", "Parameters": {"x.$": "$.v"}, "Next": "W"},
    "W": {"Type": "Wait", "Seconds": 86400, "Next": "C"},
    "C": {"Type": "Choice", "Choices": [{"Variable": "$.x", "NumericEquals": 1, "Next": "F"}],
          "Default": "S"},
    "S": {"Type": "Succeed"},
    "F": {"Type": "Fail", "Error": "Bad", "Cause": "x was 1"}}}


def _sagestep(capsys, *args: str) -> tuple[int, str, str]:
    code = 0
    try:
        main(list(args))
    except SystemExit as exc:
        code = int(exc.code or 0)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_run_prints_outcome_and_history(tmp_path, capsys) -> None:
    definition = tmp_path / "flow.json"
    definition.write_text(json.dumps(DEFINITION))
    ok_input, bad_input = tmp_path / "ok.json", tmp_path / "bad.json"
    ok_input.write_text('{"v": 2}')
    bad_input.write_text('{"v": 1}')
    home = str(tmp_path / "ws")

    code, out, _ = _sagestep(capsys, "sfn", "run", str(definition), "--input", str(ok_input),
                             "--home", home, "--warp")
    result = json.loads(out)
    assert code == 0
    assert {k: result[k] for k in ("status", "output", "error", "cause")} == {
        "status": "SUCCEEDED", "output": {"x": 2}, "error": None, "cause": None}
    assert result["executionArn"].startswith(
        "arn:aws:states:us-east-1:123456789012:execution:flow:")

    code, out, _ = _sagestep(capsys, "sfn", "history", result["executionArn"], "--home", home)
    assert code == 0
    kinds = [line.split()[3] for line in out.strip().splitlines()]
    assert kinds == ["ExecutionStarted", "PassStateEntered", "PassStateExited",
                     "WaitStateEntered", "WaitStateExited", "ChoiceStateEntered",
                     "ChoiceStateExited", "SucceedStateEntered", "SucceedStateExited",
                     "ExecutionSucceeded"]

    code, out, _ = _sagestep(capsys, "sfn", "run", str(definition), "--input", str(bad_input),
                             "--home", home)
    failed = json.loads(out)
    assert code == 1
    assert (failed["status"], failed["error"], failed["cause"]) == ("FAILED", "Bad", "x was 1")


def test_run_reports_bad_files(tmp_path, capsys) -> None:
    home = str(tmp_path / "ws")
    code, _, err = _sagestep(capsys, "sfn", "run", str(tmp_path / "missing.json"),
                             "--home", home)
    assert code == 1 and "cannot read definition" in err
    invalid = tmp_path / "invalid.json"
    invalid.write_text('{"StartAt": "X", "States": {"Y": {"Type": "Pass", "End": true}}}')
    code, _, err = _sagestep(capsys, "sfn", "run", str(invalid), "--home", home)
    assert code == 1 and "InvalidDefinition" in err and "Traceback" not in err


def test_history_of_unknown_execution(tmp_path, capsys) -> None:
    code, _, err = _sagestep(capsys, "sfn", "history",
                             "arn:aws:states:us-east-1:123456789012:execution:m:nope",
                             "--home", str(tmp_path / "ws"))
    assert code == 1 and "ExecutionDoesNotExist" in err


def test_lambda_module_next_to_the_user_imports_without_pythonpath(tmp_path) -> None:
    """The installed console script (not `python -m`) finds --lambda modules in the cwd."""
    import os
    import subprocess
    import sys

    (tmp_path / "mylam.py").write_text("def handler(event, context):\n    return {'got': event}\n")
    (tmp_path / "m.json").write_text(json.dumps({"StartAt": "A", "States": {"A": {
        "Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:f",
        "End": True}}}))
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    script = bin_dir / "sagestep"  # what pip writes for [project.scripts]
    script.write_text(f"#!{sys.executable}\nimport sys\nfrom sagestep.cli.main import main\n"
                      "sys.exit(main())\n")
    script.chmod(0o755)
    src = str(Path(__file__).resolve().parents[2] / "src")  # this checkout, not the user's cwd
    env = {**os.environ, "PYTHONPATH": src}
    done = subprocess.run([str(script), "sfn", "run", "m.json", "--lambda", "f=mylam:handler",
                           "--home", str(tmp_path / "ws")], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["output"] == {"got": {}}

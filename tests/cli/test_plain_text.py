"""Errors print whole (no Rich markup), hints name commands that exist, -h and --version."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import typer

from sagestep.cli.main import app, main
from sagestep.errors import SagestepError

SRC = Path(__file__).resolve().parents[2] / "src" / "sagestep"
README = Path(__file__).resolve().parents[2] / "README.md"


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = 0
    try:
        main(args)
    except SystemExit as exc:
        code = int(exc.code or 0)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_error_with_brackets_prints_whole(monkeypatch, capsys):
    message = "Member must satisfy enum value set: [ml.m5.large, ml.m5.xlarge] [bold]x[/]"

    def boom() -> None:
        raise SagestepError(message)

    monkeypatch.setattr("sagestep.cli.main.app", lambda **_: boom())
    code, _, err = run(["anything"], capsys)
    assert code == 1
    assert err.strip() == f"error: {message}"


def test_client_error_with_brackets_prints_whole(monkeypatch, capsys):
    from botocore.exceptions import ClientError

    from sagestep.sagemaker.validation import RequestValidator

    def create() -> None:  # the real request validator's answer to a bad instance type
        RequestValidator().validate("CreateEndpointConfig", {
            "EndpointConfigName": "c", "ProductionVariants": [{
                "VariantName": "v", "ModelName": "m", "InstanceType": "ml.nope",
                "InitialInstanceCount": 1}]})

    monkeypatch.setattr("sagestep.cli.main.app", lambda **_: create())
    with pytest.raises(ClientError):
        create()
    code, _, err = run(["anything"], capsys)
    assert code == 1
    assert "Member must satisfy enum value set: [ml." in err
    assert err.rstrip().endswith("]"), err
    assert "ml.m5.large" in err


def test_table_cells_keep_brackets(tmp_path, capsys):
    from sagestep.cli.pipeline import out, table

    made = table("a", "b")
    made.add_row("[bold]x[/]", "a-very-long-job-name-" * 8)
    out().print(made)
    printed = capsys.readouterr().out
    assert "[bold]x[/]" in printed
    assert "…" not in printed


def _commands(group: Any, prefix: tuple[str, ...] = ()) -> set[tuple[str, ...]]:
    found: set[tuple[str, ...]] = set()
    for name, command in group.commands.items():
        found.add(prefix + (name,))
        if hasattr(command, "commands"):
            found |= _commands(command, prefix + (name,))
    return found


def _hints() -> list[tuple[str, str]]:
    """Every `sagestep ...` written in backquotes in the sources and the README."""
    hints = []
    files = [*SRC.rglob("*.py"), README]
    for path in files:
        for match in re.finditer(r"`sagestep ([a-z][a-z0-9 -]*)", path.read_text(encoding="utf-8")):
            hints.append((f"{path.name}", match.group(1)))
    return hints


def test_every_hint_names_an_existing_command():
    group = typer.main.get_command(app)
    assert hasattr(group, "commands")
    commands = _commands(group)
    hints = _hints()
    assert len(hints) > 20
    missing = []
    for where, text in hints:
        words = [w for w in text.split() if not w.startswith("-")]
        # the longest known prefix must be at least one word long and be a command
        if not words or (words[0],) not in commands:
            missing.append(f"{where}: sagestep {text}")
            continue
        group_cmd = group.commands[words[0]]
        if hasattr(group_cmd, "commands") and len(words) > 1 and (words[0], words[1]) not in commands:
            missing.append(f"{where}: sagestep {text}")
    assert not missing, missing


def test_dash_h_everywhere(capsys):
    group = typer.main.get_command(app)
    assert hasattr(group, "commands")
    for path in sorted(_commands(group)):
        done = subprocess.run([sys.executable, "-m", "sagestep", *path, "-h"],
                              capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, (path, done.stderr)
        assert "Usage:" in done.stdout, path
        break  # one subprocess proves the wiring; the rest below in-process
    for path in sorted(_commands(group)):
        code, out, _ = run([*path, "-h"], capsys)
        assert code == 0 and "Usage:" in out, path


def test_version_flag(capsys):
    from sagestep import __version__

    code, out, _ = run(["--version"], capsys)
    assert code == 0
    assert out.strip() == f"sagestep {__version__}"


def test_schema_command_prints_the_reference(capsys):
    code, out, _ = run(["schema", "gate.threshold"], capsys)
    assert code == 0
    assert out.splitlines()[0] == "stages.gate.threshold  (number, required)"
    code, out, _ = run(["schema"], capsys)
    assert code == 0 and out.count("\n    example: ") > 150
    code, _, err = run(["schema", "nope"], capsys)
    assert code == 1 and "no config field 'nope'" in err

"""Hostile configs, events and execution inputs: clear errors, bounded cost, no traceback.

The CLI runs in-process through its real entry point (``sagestep.cli.main.main``) against a
real local workspace; the billion-laughs check also runs as a separate process under a
2 GB address-space limit (the unpatched loader needed 8.9 GB).
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from botocore.exceptions import ClientError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sagestep.cli.main import main
from sagestep.errors import SagestepError
from sagestep.pipeline.document import parse_document
from sagestep.pipeline.loader import parse_config
from tests.engine.helpers import ROLE, runtime

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "xgboost-breast-cancer"
LAUGHS = "".join(
    f"{name}: &{name} [{', '.join([f'*{prev}'] * 9) if prev else ', '.join(['lol'] * 9)}]\n"
    for prev, name in zip([""] + list("abcdefgh"), "abcdefghi", strict=True))
Cli = Callable[..., tuple[int, str, str]]


@pytest.fixture
def cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Cli:
    """``sagestep ARGS --home <tmp workspace>`` in-process: (exit code, stdout, stderr)."""
    def run(*args: str, home: bool = True) -> tuple[int, str, str]:
        argv = [*args, "--home", str(tmp_path / "ws")] if home else list(args)
        code = 0
        try:
            main(argv)
        except SystemExit as exc:
            code = int(exc.code or 0)
        captured = capsys.readouterr()
        assert "Traceback" not in captured.out + captured.err
        return code, captured.out, captured.err
    return run


def test_billion_laughs_is_refused_in_under_a_second() -> None:
    started = time.perf_counter()
    with pytest.raises(SagestepError, match="expands to more than .* values"):
        parse_document(LAUGHS, "laughs.yaml")
    assert time.perf_counter() - started < 1.0


def test_billion_laughs_through_the_cli_stays_in_bounded_memory(tmp_path: Path) -> None:
    config = tmp_path / "laughs.yaml"
    config.write_text(LAUGHS)

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))

    done = subprocess.run([sys.executable, "-m", "sagestep.cli.main", "validate", str(config)],
                          capture_output=True, text=True, timeout=60, preexec_fn=limit,
                          env={**os.environ, "PYTHONPATH": str(ROOT / "src")})
    assert done.returncode == 2, done.stderr
    assert "laughs.yaml:" in done.stderr and "expands to more than" in done.stderr
    assert "Traceback" not in done.stderr and "MemoryError" not in done.stderr


@pytest.mark.parametrize(("content", "expected"), [
    (b"a: &a\n  - *a\n", "recursive alias"),
    (b"name: caf\xe9\n", "not UTF-8 text (byte 0xe9"),
    (b"[" * 20_000 + b"]" * 20_000, "nests deeper than"),
    (b"- " * 50_000 + b"x\n", "nests deeper than"),
    (b"name: \x1b[31m\n", "control character"),
    (b"", "a config is a mapping"),
], ids=["recursive", "latin-1", "deep-flow", "deep-block", "control-char", "empty"])
def test_malformed_configs_are_clear_errors(cli: Cli, tmp_path: Path, content: bytes,
                                            expected: str) -> None:
    config = tmp_path / "bad.yaml"
    config.write_bytes(content)
    started = time.perf_counter()
    for command in ("validate", "register", "run"):
        args = (command, str(config)) if command != "validate" else (command, str(config))
        code, _, err = cli(*args, home=command != "validate")
        assert code == 2 and expected in err, (command, err)
        assert "bad.yaml" in err
    assert time.perf_counter() - started < 5


def test_missing_and_directory_configs_are_clear_errors(cli: Cli, tmp_path: Path) -> None:
    code, _, err = cli("validate", str(tmp_path / "nope.yaml"), home=False)
    assert code == 2 and "cannot read the config file" in err
    code, _, err = cli("validate", str(tmp_path), home=False)
    assert code == 2 and "cannot read the config file" in err


_TOKENS = st.sampled_from([
    "name: x\n", "stages:\n", "  training:\n", "    inputs:\n", "- ", "&a ", "*a", "[", "]",
    "{", "}", ": ", "\n", "  ", "!!python/object/apply:os.system ['id']", "!!binary ", "'",
    '"', "null", "1e999", "~", "? ", "%YAML 1.1\n", "---\n", "...\n", "<<: *a\n", "\x00",
    "\x1b", "\ufeff", "{{ run.id }}", "triggers:\n", "  s3:\n", "    - bucket: b\n",
])
_EXAMPLE_LINES = (EXAMPLE / "pipeline.yaml").read_text().splitlines()


def _spliced(cut: tuple[int, str, int]) -> str:
    start, middle, end = cut
    return "\n".join(_EXAMPLE_LINES[:start] + [middle] + _EXAMPLE_LINES[end:])


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(text=st.one_of(
    st.text(max_size=300),
    st.lists(_TOKENS, max_size=40).map("".join),
    st.tuples(st.integers(0, len(_EXAMPLE_LINES)), st.lists(_TOKENS, max_size=5).map("".join),
              st.integers(0, len(_EXAMPLE_LINES))).map(_spliced),
))
def test_fuzz_config_loading_raises_only_config_errors(text: str) -> None:
    try:
        parse_config(text, "fuzz.yaml", base_dir=str(EXAMPLE))
    except SagestepError as exc:
        assert "fuzz.yaml" in str(exc), str(exc)  # says where


PASS = {"StartAt": "A", "States": {"A": {"Type": "Pass", "End": True}}}


def _nested(depth: int) -> object:
    value: object = "leaf"
    for _ in range(depth):
        value = {"a": value}
    return value


def test_deeply_nested_execution_input_is_invalid_execution_input(tmp_path: Path) -> None:
    rt = runtime(tmp_path / "ws")
    try:
        sfn = rt.client("stepfunctions")
        arn = sfn.create_state_machine(name="m", definition=json.dumps(PASS),
                                       roleArn=ROLE)["stateMachineArn"]
        for text in ("[" * 100_000 + "]" * 100_000, json.dumps(_nested(129))):
            with pytest.raises(ClientError) as info:
                sfn.start_execution(stateMachineArn=arn, input=text)
            error = info.value.response["Error"]
            assert error["Code"] == "InvalidExecutionInput"
            assert "nested deeper than 128 levels" in error["Message"]
        ok = sfn.start_execution(stateMachineArn=arn, input=json.dumps(_nested(120)))
        assert ok["executionArn"]
    finally:
        rt.engine.close()


def test_trigger_refuses_a_json_array_event(cli: Cli, tmp_path: Path) -> None:
    event = tmp_path / "event.json"
    event.write_text(json.dumps([{"pipeline": "x"}]))
    code, _, err = cli("trigger", str(event))
    assert code != 0 and "must be a JSON object" in err and "array" in err
    event.write_bytes(b"\xff\xfe{}")
    code, _, err = cli("trigger", str(event))
    assert code != 0 and "not UTF-8" in err


def test_router_refuses_dotdot_object_keys_before_starting_a_run(cli: Cli,
                                                                 tmp_path: Path) -> None:
    case = tmp_path / "case"
    shutil.copytree(EXAMPLE, case)
    code, out, err = cli("register", str(case / "pipeline.yaml"))
    assert code == 0, err
    record = {"eventSource": "aws:s3", "eventName": "ObjectCreated:Put",
              "eventTime": "2024-05-02T00:00:00.000Z",
              "s3": {"bucket": {"name": "sagestep-examples"},
                     "object": {"key": "xgboost-breast-cancer/input/../../../etc/x.csv",
                                "size": 1, "eTag": "e", "sequencer": "1"}}}
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"Records": [record]}))
    code, out, err = cli("trigger", str(event))
    assert code != 0 and "'..' segment" in err and "started" not in out
    rt = runtime(tmp_path / "ws")
    try:
        sfn = rt.client("stepfunctions")
        machines = sfn.list_state_machines()["stateMachines"]
        for machine in machines:
            assert not sfn.list_executions(stateMachineArn=machine["stateMachineArn"])["executions"]
        record["s3"]["object"]["key"] = "xgboost-breast-cancer/input/day1.csv"
        event.write_text(json.dumps({"Records": [record]}))
        code, out, err = cli("trigger", str(event))
        assert code == 0 and "started" in out, err  # the same event with a plain key runs
    finally:
        rt.engine.close()

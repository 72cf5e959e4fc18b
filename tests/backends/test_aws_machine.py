"""The compiled state machine, checked by two interpreters and a validator that are not ours.

- moto's Step Functions (its ASL parser and interpreter, ported from LocalStack) accepts the
  definition, and a run with every stage switched off ends in the same state with the same
  output as in sagestep's local engine;
- the npm package asl-validator finds no error in it.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from sagestep.pipeline.compile import ORDER, CompileOptions, compile_state_machine
from sagestep.triggers.events import Trigger
from sagestep.triggers.render import render_run
from tests.motostack import MotoStack

REPO = Path(__file__).resolve().parents[2]
NPM_PREFIX = REPO / ".cache" / "npm"
ROLE = "arn:aws:iam::123456789012:role/sagestep-dev-state-machine"


def _definition() -> dict[str, Any]:
    return compile_state_machine(CompileOptions(helper_function="sagestep-dev-helper"))


def _all_off_input() -> tuple[str, dict[str, Any]]:
    item = {"name": "noop", "version": 1, "item_version": 1}
    item["stages"] = {stage: {"run": False} for stage in ORDER}
    trigger = Trigger(type="manual", identity="id-1", pipeline="noop", dataset_date="2024-01-02")
    run = render_run(item, trigger, 1_700_000_000.0)
    return run.execution_name, run.input


def _wait(sfn: Any, arn: str, timeout: float = 30.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        described: dict[str, Any] = sfn.describe_execution(executionArn=arn)
        if described["status"] != "RUNNING" or time.monotonic() > deadline:
            return described
        time.sleep(0.05)


def _run(sfn: Any, name: str, payload: dict[str, Any]) -> dict[str, Any]:
    machine = sfn.create_state_machine(
        name="sagestep-dev-pipeline", definition=json.dumps(_definition()), roleArn=ROLE
    )["stateMachineArn"]
    started = sfn.start_execution(stateMachineArn=machine, name=name, input=json.dumps(payload))
    return _wait(sfn, started["executionArn"])


@pytest.fixture(scope="module")
def moto_stack() -> Any:
    with MotoStack(execute_state_machines=True) as stack:
        yield stack


def test_moto_parser_accepts_the_compiled_machine(moto_stack: MotoStack) -> None:
    sfn = moto_stack.client("stepfunctions")
    created = sfn.create_state_machine(
        name="accepts", definition=json.dumps(_definition()), roleArn=ROLE
    )
    described = sfn.describe_state_machine(stateMachineArn=created["stateMachineArn"])
    assert json.loads(described["definition"]) == _definition()


def test_moto_parser_rejects_what_is_not_asl(moto_stack: MotoStack) -> None:
    # The check above can fail: moto's parser refuses a definition it cannot parse.
    sfn = moto_stack.client("stepfunctions")
    with pytest.raises(ClientError, match="ASLParserException"):
        sfn.create_state_machine(
            name="broken",
            definition='{"StartAt": "A", "States": {"A": {"Type": "Nope"}}}',
            roleArn=ROLE,
        )


def test_all_stages_off_ends_the_same_in_moto_and_in_the_local_engine(
    moto_stack: MotoStack, tmp_path: Path
) -> None:
    from sagestep.local import client

    name, payload = _all_off_input()
    on_moto = _run(moto_stack.client("stepfunctions"), name, payload)
    local = _run(client("stepfunctions", home=tmp_path / "ws"), name, payload)
    assert on_moto["status"] == "SUCCEEDED", on_moto
    assert local["status"] == on_moto["status"]
    assert json.loads(local["output"]) == json.loads(on_moto["output"])
    assert json.loads(on_moto["output"])["run"]["execution_name"] == name


def _asl_validator() -> str | None:
    """The npm asl-validator in .cache/npm, installed there on first use (None: no npm)."""
    import fcntl

    binary = NPM_PREFIX / "node_modules" / ".bin" / "asl-validator"
    npm = shutil.which("npm")
    if binary.exists() or npm is None:
        return str(binary) if binary.exists() else None
    NPM_PREFIX.mkdir(parents=True, exist_ok=True)
    with open(NPM_PREFIX / ".install.lock", "w") as lock:  # two xdist workers, one install
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not binary.exists():
            subprocess.run(
                [npm, "install", "--prefix", str(NPM_PREFIX), "--no-audit", "--no-fund",
                 "asl-validator@4"],
                check=True, capture_output=True, timeout=300,
            )
    return str(binary) if binary.exists() else None


def test_asl_validator_finds_no_error(tmp_path: Path) -> None:
    binary = _asl_validator()
    if binary is None:
        pytest.fail("npm is missing: install nodejs and npm (scripts/test.sh does with apt-get)")
    good = tmp_path / "machine.json"
    good.write_text(json.dumps(_definition()))
    proc = subprocess.run([binary, "--json-path", str(good)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    # ... and the validator does report errors: a dangling Next is refused.
    bad = tmp_path / "bad.json"
    bad.write_text('{"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "B"}}}')
    proc = subprocess.run([binary, "--json-path", str(bad)], capture_output=True, text=True)
    assert proc.returncode != 0 and "MISSING_TRANSITION_TARGET" in proc.stdout + proc.stderr

"""The generic state machine: golden file, validity under three parsers, structure."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from sagestep.asl import parse_definition
from sagestep.errors import CompileError
from sagestep.pipeline.compile import CompileOptions, compile_json, compile_state_machine
from sagestep.pipeline.item import JOB_STAGES, STAGES
from sagestep.pipeline.promotion_blocks import MAX_TARGETS

GOLDEN = Path(__file__).parent / "golden" / "generic.json"
ROOT = Path(__file__).resolve().parents[2]
SAGEMAKER_ERRORS = "SageMaker.ThrottlingException"
# What a ValidationException arrives as: retrying cannot fix it (fail fast, issue 16).
NOT_RETRIED = "SageMaker.AmazonSageMakerException"


def states() -> dict[str, Any]:
    return dict(compile_state_machine()["States"])


def test_matches_golden_file() -> None:
    # Regenerate after an intended change:
    #   python -c "from sagestep.pipeline.compile import compile_json; print(compile_json(), end='')" \
    #     > tests/pipeline/golden/generic.json
    assert compile_state_machine() == json.loads(GOLDEN.read_text(encoding="utf-8"))
    assert compile_json() == GOLDEN.read_text(encoding="utf-8")


def test_pure_and_deterministic() -> None:
    assert compile_json() == compile_json(CompileOptions())
    other = compile_state_machine(CompileOptions(helper_function="demo-dev-helper"))
    assert "demo-dev-helper" in json.dumps(other)
    assert "sagestep-helper" not in json.dumps(other)


def test_parses_with_sagestep_asl() -> None:
    machine = parse_definition(compile_json())
    assert machine.to_dict() == compile_state_machine()


def test_parses_with_moto() -> None:
    from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser

    program, _ = AmazonStateLanguageParser.parse(compile_json())
    assert program is not None


def test_accepted_by_npm_asl_validator(tmp_path: Path) -> None:
    from tests.backends.test_aws_machine import _asl_validator

    validator = _asl_validator()
    if validator is None:
        pytest.fail("npm is missing: install nodejs and npm (scripts/test.sh does with apt-get)")
    path = tmp_path / "generic.json"
    path.write_text(compile_json(), encoding="utf-8")
    result = subprocess.run([validator, "--json-path", str(path)], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_stage_sits_behind_a_choice_on_its_run_flag() -> None:
    s = states()
    for stage in STAGES:
        name = "Notify Success?" if stage == "notify" else None
        found = [n for n, st in s.items() if st["Type"] == "Choice" and any(
            c.get("Variable") == f"$.stages.{stage}.run" and c.get("BooleanEquals") is True
            for c in st["Choices"])]
        assert found, stage
        if name:
            assert name in found


def test_job_stages_are_retried_attempts_with_fresh_names() -> None:
    s = states()
    for stage, (_, _, action) in JOB_STAGES.items():
        title = stage.replace("_", " ").title()
        attempt = s[title]
        assert attempt["Type"] == "Parallel"
        assert attempt["Parameters"]["attempt.$"] == "$$.State.RetryCount"
        assert SAGEMAKER_ERRORS in attempt["Retry"][0]["ErrorEquals"]
        assert all(NOT_RETRIED not in r["ErrorEquals"] for r in attempt["Retry"])
        assert [c["ErrorEquals"] for c in attempt["Catch"]] == [
            ["States.TaskFailed", "SageMaker.AmazonSageMakerException"], ["States.ALL"]]
        assert [c["Next"] for c in attempt["Catch"]] == [f"{title} Retry?", f"{title} Failed"]
        assert s[f"{title} Again?"]["Default"] == f"{title} Failed"
        assert s[f"{title} Wait"]["Next"] == title
        branch = attempt["Branches"][0]["States"]
        assert branch[f"Run {title}"]["Resource"] == f"arn:aws:states:::sagemaker:{action}.sync"
        render = branch[f"Render {title}"]["Parameters"]["Payload"]
        assert render["attempt.$"] == "$.attempt" and render["stage"] == stage


def test_every_sagemaker_call_retries_and_fails_into_the_failure_path() -> None:
    for name, st in states().items():
        resource = st.get("Resource", "")
        if "sagemaker" not in resource:
            continue
        if name in ("Create Endpoint", "Update Endpoint"):
            # Only throttling is retried; a refusal goes back through the deploy queue.
            assert st["Retry"][0]["ErrorEquals"] == ["SageMaker.ThrottlingException"], name
            assert st["Catch"][0]["Next"] == "Recheck Endpoint", name
            continue
        assert SAGEMAKER_ERRORS in st["Retry"][0]["ErrorEquals"], name
        assert "SageMaker.ValidationException" not in st["Retry"][0]["ErrorEquals"], name
        assert NOT_RETRIED not in st["Retry"][0]["ErrorEquals"], name
        if name.endswith(("Find Endpoint", "Find Model Package Group")):
            continue  # "not found" leads to the create path
        assert st["Catch"][0]["Next"].endswith(" Failed"), name


def test_failure_path_notifies_then_fails_with_the_cause() -> None:
    s = states()
    # The run fails in the helper's "fail" Task (a redrive re-runs it and resumes the stage).
    payload = s["Failed"]["Parameters"]["Payload"]
    assert s["Failed"]["Type"] == "Task" and payload["action"] == "fail"
    assert payload["failure.$"] == "$.failure"
    assert payload["redrive_count.$"] == "$$.Execution.RedriveCount"
    assert s["Failed"]["Next"] == "Resume Stage?" and "Catch" not in s["Failed"]
    first, *rules = s["Resume Stage?"]["Choices"]
    assert first["Next"] == "Find Endpoint"  # a deploy whose endpoint config exists
    resume = {c["StringEquals"]: c["Next"] for c in rules}
    assert resume["training"] == "Training?" and resume["promotion"] == "Promotion?"
    assert resume["notify"] == "Notify Success?"
    assert s["Not Resumable"] == {"Type": "Fail", "ErrorPath": "$.failure.Error",
                                  "CausePath": "$.failure.Cause"}
    # Every failure path passes the state that notes the redrive it failed in.
    joined = [n for n, st in s.items() if st.get("Next") == "Failure Attempt"]
    targets = [f"Target {i} Endpoint {end}" for i in range(1, MAX_TARGETS + 1)
               for end in ("Broken", "Rolled Back")]
    assert sorted(joined) == sorted(["Endpoint Broken", "Failure Record", "Gate Rejected",
                                     *targets])
    assert s["Training"]["Parameters"]["redrive.$"] == "$$.Execution.RedriveCount"
    assert s["Notify Failure"]["Resource"] == "arn:aws:states:::sns:publish"
    assert s["Notify Failure"]["Next"] == "Failed"
    assert s["Training Failed"]["Parameters"]["Message.$"] == "$.stages.notify.messages.failure.training"
    assert s["Notify Success"]["Next"] == "Succeeded"


def test_deploy_creates_or_updates() -> None:
    s = states()
    assert s["Find Endpoint"]["Catch"][0]["Next"] == "Create Endpoint"
    assert s["Find Endpoint"]["Next"] == "Endpoint Free?"
    assert s["Update Endpoint"]["Resource"] == "arn:aws:states:::sagemaker:updateEndpoint"
    assert s["Create Endpoint"]["Resource"] == "arn:aws:states:::sagemaker:createEndpoint"
    assert s["Wait For Endpoint"]["SecondsPath"] == "$.stages.deploy.wait_seconds"


def test_manual_approval_waits_for_a_task_token() -> None:
    approval = states()["Approval"]
    assert approval["Resource"] == "arn:aws:states:::lambda:invoke.waitForTaskToken"
    assert approval["Parameters"]["Payload"]["token.$"] == "$$.Task.Token"


def test_all_states_reachable() -> None:
    s = states()
    seen, todo = set(), [compile_state_machine()["StartAt"]]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        st = s[name]
        todo += [x for x in (st.get("Next"), st.get("Default")) if x]
        todo += [c["Next"] for c in st.get("Choices", [])]
        todo += [c["Next"] for c in st.get("Catch", [])]
    assert seen == set(s)


@pytest.mark.parametrize("options", [CompileOptions(helper_function=""),
                                     CompileOptions(sagemaker_retries=5, job_failure_retries=5),
                                     CompileOptions(job_failure_retries=-1)])
def test_bad_options(options: CompileOptions) -> None:
    with pytest.raises(CompileError):
        compile_state_machine(options)

from tests.cli.conftest import normalise


def test_run_follows_stage_by_stage_and_exits_zero_on_success(cli):
    code, out, err = cli("run", "churn", "--date", "2024-05-01", "-p", "threshold=0.2")
    assert (code, err) == (0, "")
    assert normalise(out) == (
        "started churn-20240501-RUNID\n"
        "preprocessing    SUCCEEDED    N.Ns\n"
        "training         SUCCEEDED    N.Ns\n"
        "churn-20240501-RUNID SUCCEEDED\n"
    )
    (info,) = cli.backend().list_runs()
    assert info.input["run"]["params"] == {"threshold": 0.2}


def test_run_parked_at_an_approval_says_how_to_answer_and_exits_4(cli):
    code, out, _ = cli("run", "gated", "--stop-at-approval", "--timeout", "60")
    assert code == 4
    name = out.split("started ")[1].split()[0]
    hint = f"waiting for approval: answer with `sagestep approve {name}` (or `sagestep reject {name}`)"
    lines = out.splitlines()
    waiting = lines.index("approval         WAITING_FOR_APPROVAL")
    assert lines[waiting + 1].strip() == hint  # shown at once, under the stage
    assert lines[-1] == f"{name} {hint}"


def test_approve_then_status_and_reject(cli):
    code, out, _ = cli("run", "gated", "--no-follow")
    name = out.split("started ")[1].strip()
    backend = cli.backend()
    from tests.backends.test_local import until_waiting

    until_waiting(backend, backend.runs.execution_arn(name))
    code, out, _ = cli("status", name)
    assert code == 0
    assert normalise(out).splitlines()[0] == f"{normalise(name)}  gated v2  WAITING_FOR_APPROVAL"
    assert "approval         WAITING_FOR_APPROVAL" in out
    code, out, _ = cli("approve", name, "-m", "ok")
    # approve drives the run itself (no worker needs to run) until it ends
    assert code == 0 and out.startswith(f"approved {name}\n") and out.endswith(f"{name} SUCCEEDED\n")
    code, out, _ = cli("status", name)
    assert f"{name}  gated v2  SUCCEEDED" in out
    code, out, _ = cli("approve", name)
    assert (code, out) == (0, f"the approval of run '{name}' was already answered: approved\n")
    code, out, err = cli("reject", name)
    assert code == 1 and "already answered: approved; it cannot be changed now" in err.replace("\n", "")


def test_approve_without_follow_says_what_carries_the_run_on(cli):
    code, out, _ = cli("run", "gated", "--no-follow")
    name = out.split("started ")[1].strip()
    backend = cli.backend()
    from tests.backends.test_local import until_waiting

    until_waiting(backend, backend.runs.execution_arn(name))
    code, out, _ = cli("reject", name, "--no-follow")
    assert code == 0
    assert out.replace("\n", "") == (f"rejected {name}the run goes on while a sagestep worker runs on "
                                     f"this workspace: `sagestep server --home {backend.runtime.workspace.root}`")


def test_unknown_pipeline_is_an_error_without_traceback(cli):
    code, out, err = cli("run", "ghost")
    assert code == 1
    err = err.replace("\n", "")
    assert "no pipeline named 'ghost' is registered; registered: churn, gated" in err
    assert "Traceback" not in err + out


def test_bad_param_is_a_usage_error(cli):
    code, _, err = cli("run", "churn", "-p", "novalue")
    assert code == 1 and "expected KEY=VALUE" in err.replace("\n", "")


def test_history_and_status_list(cli):
    code, out, _ = cli("run", "churn", "--date", "2024-05-01")
    name = out.split("started ")[1].split("\n")[0]
    code, out, _ = cli("history", name)
    lines = out.splitlines()
    assert code == 0 and "ExecutionStarted" in lines[0] and "ExecutionSucceeded" in lines[-1]
    assert any("PassStateEntered" in line and "preprocessing: job" in line for line in lines)
    code, out, _ = cli("status")
    assert code == 0 and name in out and "SUCCEEDED" in out


def test_live_table_lists_stages_and_the_approval_hint():
    from rich.console import Console

    from sagestep.backends.base import RunInfo, StageInfo
    from sagestep.cli.follow import stage_table

    console = Console(width=160, record=True, color_system=None)
    info = RunInfo(arn="a", name="gated-20240501-abcd1234", status="RUNNING", pipeline="gated")
    console.print(stage_table(info, [StageInfo("training", "SUCCEEDED", 0.0, 2.5, ("j-0",)),
                                     StageInfo("approval", "WAITING_FOR_APPROVAL", 2.5)], 3.0))
    text = console.export_text()
    assert "gated · gated-20240501-abcd1234 · WAITING_FOR_APPROVAL · 3s" in text
    row = next(line for line in text.splitlines() if "training" in line)
    assert [c.strip() for c in row.strip("│ ").split("│")] == ["training", "SUCCEEDED", "2.5s", "j-0"]
    assert ("waiting for approval: answer with `sagestep approve gated-20240501-abcd1234`"
            in text)

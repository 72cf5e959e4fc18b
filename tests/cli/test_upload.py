import threading
import time

from tests.backends.test_local import until_waiting
from tests.cli.conftest import normalise

# Both test pipelines (tests/cli/conftest.py) watch s3://landing/in/, so one upload starts two
# runs: churn succeeds, gated parks at its manual approval until someone answers it.
HINT = "waiting for approval: answer with `sagestep approve {0}` (or `sagestep reject {0}`)"


def _started(out):
    return {line.split()[2].strip("()"): line.split()[1]
            for line in out.splitlines() if line.startswith("started ")}


def test_upload_follows_every_run_it_starts_together(cli, tmp_path):
    data = tmp_path / "d.csv"
    data.write_text("1\n")
    code, out, err = cli("upload", str(data), "s3://landing/in/d.csv",
                         "--stop-at-approval", "--timeout", "60")
    assert (code, err) == (4, "")  # the worst outcome: gated waits for an approval
    lines = out.splitlines()
    assert lines[0] == "uploaded s3://landing/in/d.csv"
    runs = _started(out)
    assert sorted(runs) == ["churn", "gated"]
    churn, gated = runs["churn"], runs["gated"]
    # churn's outcome is known (and printed) although gated never ends
    assert f"{churn} SUCCEEDED" in lines
    assert any(line.startswith(f"{churn}  training         SUCCEEDED") for line in lines)
    # gated says at once what it waits for, and following stops there (--stop-at-approval)
    waiting = lines.index(f"{gated}  approval         WAITING_FOR_APPROVAL")
    assert lines[waiting + 1].split() == [gated, *HINT.format(gated).split()]
    assert lines[-1] == f"{gated} " + HINT.format(gated)


def test_upload_keeps_following_until_an_approval_from_elsewhere(cli, tmp_path):
    backend = cli.backend()
    backend.state_machine_arn  # noqa: B018 - set up once here, not raced by two threads
    approved = []

    def another_terminal():
        # the gated run is the newest one of its pipeline once it starts
        deadline = time.monotonic() + 30
        while not backend.list_runs("gated") and time.monotonic() < deadline:
            time.sleep(0.05)
        (run,) = backend.list_runs("gated")
        until_waiting(backend, run.arn, timeout=30)
        approved.append(backend.approve(run.name, comment="from another terminal"))

    helper = threading.Thread(target=another_terminal, daemon=True)
    helper.start()
    data = tmp_path / "d.csv"
    data.write_text("1\n")
    code, out, err = cli("upload", str(data), "s3://landing/in/d.csv", "--timeout", "60")
    helper.join(5)
    assert (code, err) == (0, ""), out
    runs = _started(out)
    assert approved and f"{runs['gated']} SUCCEEDED" in out.splitlines()
    assert f"{runs['churn']} SUCCEEDED" in out.splitlines()


def test_upload_without_follow_and_without_a_match(cli, tmp_path):
    data = tmp_path / "d.csv"
    data.write_text("2\n")
    code, out, _ = cli("upload", str(data), "s3://landing/in/d.csv", "--no-follow")
    assert code == 0
    assert sorted(_started(out)) == ["churn", "gated"]
    assert out.splitlines()[-1] == "the run advances while `sagestep server` runs; see `sagestep status`"
    code, out, _ = cli("upload", str(data), "s3://landing/elsewhere/d.csv")
    assert (code, out.splitlines()[-1]) == (0, "no pipeline's S3 trigger matches this object")


def test_upload_bad_destination_is_a_clear_error(cli, tmp_path):
    data = tmp_path / "d.csv"
    data.write_text("1\n")
    code, _, err = cli("upload", str(data), "landing/d.csv")
    assert code == 1 and "is not an S3 URI" in err.replace("\n", "")


def test_trigger_sends_any_router_event(cli, tmp_path):
    event = tmp_path / "event.json"
    event.write_text('{"Records": [{"body": "{\\"consumption_pipeline_name\\": \\"churn\\", '
                     '\\"dataset_date\\": \\"2024-03-09T14:00:00Z\\"}"}]}')
    code, out, err = cli("trigger", str(event))
    assert (code, err) == (0, "")
    assert normalise(out) == ("started churn-20240309-RUNID (churn)\n"
                              "the run advances while `sagestep server` runs; see `sagestep status`\n")
    event.write_text("{nope")
    code, _, err = cli("trigger", str(event))
    assert code == 1 and "not JSON" in " ".join(err.split())

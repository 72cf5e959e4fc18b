from tests.cli.conftest import normalise


def test_upload_starts_the_matching_pipeline(cli, tmp_path):
    data = tmp_path / "d.csv"
    data.write_text("1\n")
    # both test pipelines watch landing/in/; "gated" then waits for a manual approval
    code, out, err = cli("upload", str(data), "s3://landing/in/d.csv", "--timeout", "3")
    assert (code, err) == (3, "")  # one run is still RUNNING when following stops
    lines = normalise(out).splitlines()
    assert lines[0] == "uploaded s3://landing/in/d.csv"
    assert lines[1].startswith("started churn-") and lines[1].endswith("-RUNID (churn)")
    assert lines[2].startswith("started gated-") and lines[2].endswith("-RUNID (gated)")
    assert lines[-2].startswith("churn-") and lines[-2].endswith(" SUCCEEDED")
    assert lines[-1].startswith("gated-") and " still RUNNING " in lines[-1]
    data.write_text("2\n")
    code, out, _ = cli("upload", str(data), "s3://landing/in/d.csv", "--no-follow")
    assert out.splitlines()[-1] == "the run advances while `sagestep server` runs; see `sagestep status`"
    code, out, _ = cli("upload", str(data), "s3://landing/elsewhere/d.csv")
    assert out.splitlines()[-1] == "no pipeline's S3 trigger matches this object"


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

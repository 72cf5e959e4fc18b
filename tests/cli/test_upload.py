from tests.cli.conftest import normalise


def test_upload_starts_the_matching_pipeline(cli, tmp_path):
    data = tmp_path / "d.csv"
    data.write_text("1\n")
    code, out, err = cli("upload", str(data), "s3://landing/in/d.csv")
    assert (code, err) == (0, "")
    lines = normalise(out).splitlines()
    assert lines[0] == "uploaded s3://landing/in/d.csv"
    assert lines[1].startswith("started churn-") and lines[1].endswith("-RUNID (churn)")
    code, out, _ = cli("upload", str(data), "s3://landing/elsewhere/d.csv")
    assert out.splitlines()[-1] == "no pipeline's S3 trigger matches this object"


def test_upload_bad_destination_is_a_clear_error(cli, tmp_path):
    data = tmp_path / "d.csv"
    data.write_text("1\n")
    code, _, err = cli("upload", str(data), "landing/d.csv")
    assert code == 1 and "is not an S3 URI" in err.replace("\n", "")

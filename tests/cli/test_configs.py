"""Config versions on the local registry: run FILE is a draft, --register, --version, list,
versions, diff, rollback (the AWS registry: tests/backends/test_aws.py)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from sagestep.backends.local import LocalBackend
from sagestep.cli.main import main

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "xgboost-breast-cancer"
NAME = "xgboost-breast-cancer"
DATA = "s3://sagestep-examples/xgboost-breast-cancer/input/data.csv"


def sagestep(capsys, *args):
    code = 0
    try:
        main(list(args))
    except SystemExit as exc:
        code = int(exc.code or 0)
    captured = capsys.readouterr()
    return code, captured.out, captured.err.replace("\n", "")


@pytest.fixture
def project(tmp_path):
    shutil.copytree(EXAMPLE, tmp_path / "uc")
    backend = LocalBackend(tmp_path / "ws")
    yield tmp_path / "uc" / "pipeline.yaml", str(tmp_path / "ws"), backend
    if "runtime" in backend.__dict__:
        backend.runtime.engine.close()


def test_versions_drafts_and_rollback(project, capsys):
    config, home, backend = project
    original = config.read_text()
    code, out, _ = sagestep(capsys, "register", str(config), "--home", home)
    assert (code, out) == (0, f"registered {NAME} version 1\n")
    # an experiment: run the edited file as it is; triggers still run version 1
    config.write_text(original.replace("num_round: 60", "num_round: 40"))
    code, out, err = sagestep(capsys, "run", str(config), "--object", DATA, "--no-follow",
                              "--home", home)
    assert code == 0, err
    assert out.startswith(f"running {config} as it is ({NAME} not registered; --register")
    started = out.splitlines()[-1].split()[-1]
    assert backend.describe_run(started).config_version == "draft"
    assert [i["version"] for i in backend.registry.history(NAME)] == [1]
    store = backend.runtime.object_store
    assert any("/drafts/" in o.key for o in store.list("sagestep-examples", f"{NAME}/drafts/"))
    # --register makes it version 2
    code, out, _ = sagestep(capsys, "run", str(config), "--register", "--object", DATA,
                            "--no-follow", "--home", home)
    assert code == 0 and out.splitlines()[0] == f"registered {NAME} version 2"
    code, out, _ = sagestep(capsys, "configs", "diff", NAME, "1", "2", "--home", home)
    assert code == 0
    assert '-          "num_round": "60",' in out and '+          "num_round": "40",' in out
    code, out, _ = sagestep(capsys, "configs", "rollback", NAME, "1", "--home", home)
    assert out == f"{NAME} version 3 is a copy of version 1; triggers now run it\n"
    code, out, _ = sagestep(capsys, "configs", "versions", NAME, "--home", home)
    rows = [line.split("│")[1:-1] for line in out.splitlines() if line.startswith("│")]
    assert [[c.strip() for c in r][:1] + [r[3].strip()] for r in rows] == [
        ["1", ""], ["2", ""], ["3 (latest)", "v1"]]
    code, out, _ = sagestep(capsys, "configs", "diff", NAME, "1", "3", "--home", home)
    assert out == f"{NAME} v1 and v3 are the same\n"
    code, out, _ = sagestep(capsys, "configs", "list", "--home", home)
    assert f"│ {NAME} │ 3 " in out and "s3://sagestep-examples/xgboost-breast-cancer/input/*" in out
    # a pinned older version runs as it was stored
    code, out, _ = sagestep(capsys, "run", NAME, "--version", "2", "--object", DATA,
                            "--no-follow", "--home", home)
    assert code == 0
    assert backend.describe_run(out.splitlines()[-1].split()[-1]).config_version == 2


def test_bad_runs_fail_before_starting(project, capsys):
    config, home, backend = project
    sagestep(capsys, "register", str(config), "--home", home)
    code, _, err = sagestep(capsys, "run", NAME, "--date", "2024-13-45", "--object", DATA,
                            "--home", home)
    assert code == 1 and "--date 2024-13-45: not a date; write YYYY-MM-DD" in err
    code, _, err = sagestep(capsys, "run", NAME, "--home", home)
    assert code == 1
    assert (f"{NAME} reads {{{{ trigger.uri }}}} (the uploaded object) and this run has none: "
            f"add --object s3://sagestep-examples/xgboost-breast-cancer/input/data.csv") in err
    code, _, err = sagestep(capsys, "run", NAME, "--version", "9", "--object", DATA,
                            "--home", home)
    assert code == 1 and f"{NAME} has no version 9; versions: 1" in err
    code, _, err = sagestep(capsys, "configs", "versions", "ghost", "--home", home)
    assert code == 1 and f"no pipeline 'ghost' is registered; registered: {NAME}" in err
    assert backend.list_runs(NAME) == []

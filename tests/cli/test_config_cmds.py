"""init, validate, compile, register against the real spec loader, compiler and registry."""

import json
from pathlib import Path

from sagestep.cli.main import main

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "xgboost-breast-cancer" / "pipeline.yaml"


def sagestep(capsys, *args):
    code = 0
    try:
        main(list(args))
    except SystemExit as exc:
        code = int(exc.code or 0)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_validate_prints_the_stages_that_run(capsys):
    code, out, err = sagestep(capsys, "validate", str(EXAMPLE))
    assert (code, err) == (0, "")
    assert out == ("ok: xgboost-breast-cancer (5 stages run: preprocessing, training, gate, "
                   "create_model, deploy)\n")


def test_validate_error_names_file_line_and_key_path(capsys, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nstages:\n  training:\n    instance_count: many\n")
    code, out, err = sagestep(capsys, "validate", str(bad))
    err = err.replace("\n", "")  # the error console wraps long lines at its width
    assert code == 2 and out == ""
    assert f"{bad}:4" in err and "stages.training.instance_count" in err
    assert "Traceback" not in err


def test_compile_prints_the_generic_state_machine(capsys, tmp_path):
    from sagestep.pipeline.compile import CompileOptions, compile_json

    code, out, _ = sagestep(capsys, "compile")
    machine = json.loads(out)
    assert code == 0 and "StartAt" in machine and "States" in machine
    target = tmp_path / "build" / "machine.json"
    code, out, _ = sagestep(capsys, "compile", "--out", str(target), "--helper-function", "dev-helper")
    assert out == f"wrote {target}\n"
    text = target.read_text()
    assert text == compile_json(CompileOptions(helper_function="dev-helper"))  # byte for byte
    assert '"dev-helper"' in text and '"sagestep-helper"' not in text


def test_register_versions_and_uploads_code(capsys, tmp_path):
    home = str(tmp_path / "ws")
    assert sagestep(capsys, "register", str(EXAMPLE), "--home", home)[1] == (
        "registered xgboost-breast-cancer version 1\n")
    assert sagestep(capsys, "register", str(EXAMPLE), "--home", home)[1] == (
        "registered xgboost-breast-cancer version 2\n")
    code_dir = tmp_path / "ws" / "s3" / "sagestep-examples" / "xgboost-breast-cancer" / "code"
    assert (code_dir / "preprocessing" / "etl.py").is_file()


def test_init_scaffolds_a_use_case_that_validates(capsys, tmp_path):
    target = tmp_path / "My Churn"
    code, out, _ = sagestep(capsys, "init", str(target))
    assert code == 0
    import os

    assert out.splitlines() == [
        f"created {target / 'pipeline.yaml'}",
        f"created {target / 'scripts' / 'prepare.py'}",
        f"created {target / 'data' / 'data.csv'}",
        f"created {target / 'data' / 'sample.csv'}",
        f"created {target / 'README.md'}",
        "next (sample data included; the upload starts a run and follows it):",
        f"  cd '{os.path.relpath(target)}'",
        "  sagestep validate pipeline.yaml",
        "  sagestep register pipeline.yaml",
        "  sagestep upload data/data.csv s3://sagestep-local/my-churn/input/data.csv",
        "  sagestep endpoints invoke my-churn --file data/sample.csv",
        "  sagestep endpoints delete my-churn",
    ]  # tests/cli/test_init.py runs exactly these
    code, out, err = sagestep(capsys, "validate", str(target / "pipeline.yaml"))
    assert (code, err) == (0, "") and out.startswith("ok: my-churn (5 stages run:")
    code, _, err = sagestep(capsys, "init", str(target))
    assert code == 1 and "already exists" in err.replace("\n", "")


def test_init_with_ci_writes_the_ci_file(capsys, tmp_path):
    code, out, _ = sagestep(capsys, "init", str(tmp_path / "uc"), "--ci", "gitlab")
    assert code == 0 and f"created {tmp_path / 'uc' / '.gitlab-ci.yml'}" in out.splitlines()
    assert "sagestep" in (tmp_path / "uc" / ".gitlab-ci.yml").read_text()


def test_example_list_names_the_bundled_examples(capsys):
    code, out, _ = sagestep(capsys, "example", "list")
    assert code == 0
    assert out.splitlines() == ["census-seed002", "diabetes-regression", "xgboost-breast-cancer"]


def test_unknown_example_is_a_clear_error(capsys, tmp_path):
    code, _, err = sagestep(capsys, "example", "run", "nope", "--home", str(tmp_path))
    assert code == 1
    assert "no example 'nope'; bundled: census-seed002, diabetes-regression, xgboost-breast-cancer" in (
        err.replace("\n", ""))

"""Examples and CI templates come with an installed package, not only with the checkout."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from sagestep.cli.bundled import REPO_ROOT, bundled_dir
from sagestep.errors import SagestepError


def test_a_source_checkout_reads_the_repository_directories():
    assert bundled_dir("examples") == REPO_ROOT / "examples"
    assert (bundled_dir("templates") / "gitlab-ci.yml").is_file()
    with pytest.raises(ValueError):
        bundled_dir("secrets")


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """The package as a wheel carries it: setup.py's build_py into a temporary build dir."""
    tmp = tmp_path_factory.mktemp("built")
    lib, egg = tmp / "lib", tmp / "egg"
    egg.mkdir()
    subprocess.run([sys.executable, "setup.py", "-q", "egg_info", "--egg-base", str(egg),
                    "build_py", "--build-lib", str(lib)],
                   cwd=REPO_ROOT, check=True, capture_output=True, text=True)
    return lib


def _sagestep(lib: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(lib)}  # the built package first, as once installed
    return subprocess.run([sys.executable, "-m", "sagestep", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)


def test_the_built_package_carries_examples_and_templates(built, tmp_path):
    assert (built / "sagestep" / "examples" / "xgboost-breast-cancer" / "pipeline.yaml").is_file()
    assert not list((built / "sagestep" / "examples").rglob("__pycache__"))
    where = subprocess.run(
        [sys.executable, "-c", "from sagestep.cli.bundled import bundled_dir; "
         "print(bundled_dir('examples')); print(bundled_dir('templates'))"],
        cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(built)},
        capture_output=True, text=True, check=True).stdout.split()
    assert where == [str(built / "sagestep" / "examples"), str(built / "sagestep" / "templates")]
    listed = _sagestep(built, tmp_path, "example", "list")
    assert listed.stdout.split() == ["census-seed002", "diabetes-regression", "xgboost-breast-cancer"]


def test_init_ci_writes_the_packaged_template(built, tmp_path):
    done = _sagestep(built, tmp_path, "init", "churn", "--ci", "gitlab")
    assert done.returncode == 0, done.stderr
    written = (tmp_path / "churn" / ".gitlab-ci.yml").read_text(encoding="utf-8")
    assert written == (REPO_ROOT / "templates" / "gitlab-ci.yml").read_text(encoding="utf-8")


def test_missing_bundles_are_a_clear_error(monkeypatch, tmp_path):
    from sagestep.cli import bundled

    monkeypatch.setattr(bundled, "REPO_ROOT", tmp_path)
    monkeypatch.setattr(bundled, "_packaged", lambda name: None)
    with pytest.raises(SagestepError, match="bundled examples are missing"):
        bundled.bundled_dir("examples")

"""`sagestep package-lambda`: small, deterministic zips holding only what the handlers import."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from sagestep.backends.lambda_zip import LAMBDAS, build, build_all, closure
from sagestep.errors import BackendError

ROUTER_LIMIT = 1_000_000  # issue 5: the router zip is at most 1 MB


def test_router_zip_is_small_and_holds_router_and_helper(tmp_path: Path) -> None:
    built = build("router", tmp_path)
    assert built.size <= ROUTER_LIMIT
    names = zipfile.ZipFile(built.path).namelist()
    assert "sagestep/triggers/router.py" in names and "sagestep/pipeline/helper.py" in names
    assert "sagestep/__init__.py" in names and "sagestep/triggers/__init__.py" in names
    # Only sagestep's own modules: the Lambda runtime has boto3, and nothing else may ship.
    assert all(n.startswith("sagestep/") and n.endswith(".py") for n in names)
    assert not any(n.startswith(("sagestep/engine/", "sagestep/cli/")) for n in names)
    # From the pipeline package only the standard-library helper and what it reads.
    pipeline = sorted(n for n in names if n.startswith("sagestep/pipeline/"))
    assert pipeline == [
        "sagestep/pipeline/__init__.py", "sagestep/pipeline/deployqueue.py",
        "sagestep/pipeline/helper.py", "sagestep/pipeline/smoke.py",
        "sagestep/pipeline/stages.py",
    ]
    assert built.handler == "sagestep.triggers.router.handler"


def test_zips_are_byte_for_byte_reproducible(tmp_path: Path) -> None:
    first = {z.name: z.sha256_base64 for z in build_all(tmp_path / "a")}
    second = {z.name: z.sha256_base64 for z in build_all(tmp_path / "b")}
    assert first == second and set(first) == set(LAMBDAS)


def test_closure_follows_imports_inside_functions_and_relative_ones() -> None:
    modules = closure("sagestep.triggers.router")
    assert "sagestep.triggers.events" in modules and "sagestep.errors" in modules
    assert closure("sagestep.triggers.notify") == (
        "sagestep",
        "sagestep.triggers",
        "sagestep.triggers.causes",
        "sagestep.triggers.notify",
    )


@pytest.mark.parametrize("name", sorted(LAMBDAS))
def test_handlers_import_from_the_zip_alone(name: str, tmp_path: Path) -> None:
    built = build(name, tmp_path / "zip")
    unpacked = tmp_path / "unpacked"
    zipfile.ZipFile(built.path).extractall(unpacked)
    module, attribute, others = LAMBDAS[name]
    probe = (
        "import importlib, sys\n"
        f"sys.path.insert(0, {str(unpacked)!r})\n"
        f"for m in {[module, *others]!r}:\n"
        "    importlib.import_module(m)\n"
        f"assert callable(getattr(sys.modules[{module!r}], {attribute!r}))\n"
        "outside = [n for n, m in sys.modules.items() if n.startswith('sagestep')\n"
        f"           and not str(getattr(m, '__file__', '')).startswith({str(unpacked)!r})]\n"
        "assert not outside, outside\n"
        "heavy = {'pydantic', 'yaml', 'typer', 'rich', 'pandas', 'numpy', 'sklearn'} & set(sys.modules)\n"
        "assert not heavy, heavy\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, cwd=tmp_path
    )
    assert proc.returncode == 0, proc.stderr


def test_unknown_lambda_names_the_known_ones(tmp_path: Path) -> None:
    with pytest.raises(BackendError, match="sagestep packages: router, notify"):
        build("nope", tmp_path)

"""The Python a job runs on: interpreter, environment overlay and the host dirs it needs.

Every place that starts a job, an endpoint server or a transform worker asks for a
:class:`JobRuntime` instead of using ``sys.executable``, so an image's own framework
environment (see :mod:`sagestep.sagemaker.pyenvs`) and the host Python are interchangeable.
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sagestep

# Modules sagestep puts on a job's path that real images ship but PyPI does not publish
# (sagemaker_xgboost_container.encoder / data_utils), written from their documented behaviour.
SHIMS_DIR = Path(__file__).resolve().parent / "shims"


@dataclass(frozen=True)
class JobRuntime:
    """One Python environment as a job sees it (paths are the same inside and outside)."""

    python: str
    env: Mapping[str, str] = field(default_factory=dict)
    ro_binds: tuple[str, ...] = ()
    description: Mapping[str, Any] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()

    def argv(self, argv: list[str]) -> list[str]:
        """Container command -> local command: python/python3 become this runtime's Python."""
        if argv and _is_python(argv[0]):
            return [self.python, *argv[1:]]
        return list(argv)

    def module(self, module: str, *args: str) -> list[str]:
        """``python -m module args`` on this runtime."""
        return [self.python, "-m", module, *args]

    def with_layer(self, prefix: str, note: str) -> JobRuntime:
        """This runtime with a derived environment (requirements.txt) layered first."""
        python = str(Path(prefix) / "bin" / "python")
        env = dict(self.env)
        env["PATH"] = f"{Path(prefix) / 'bin'}:{env.get('PATH', '')}".rstrip(":")
        env["VIRTUAL_ENV"] = prefix
        desc = dict(self.description, Requirements=note)
        return JobRuntime(python, env, (*self.ro_binds, prefix), desc, self.warnings)


def _is_python(arg0: str) -> bool:
    import re

    return re.fullmatch(r"(/usr(/local)?/bin/)?python3?(\.\d+)?", arg0) is not None


def sagestep_path() -> str:
    """The directory holding the ``sagestep`` package (put on PYTHONPATH of job processes)."""
    return str(Path(sagestep.__file__).resolve().parent.parent)


@functools.cache
def host_runtime() -> JobRuntime:
    """This process's own Python (the explicit ``host`` choice and sagestep's own helpers)."""
    binds = {str(Path(p).resolve()) for p in (sys.prefix, sys.base_prefix)}
    binds.add(str(Path(sagestep.__file__).resolve().parent))
    binds.add(str(Path(sys.executable).resolve().parent))
    env = {"PATH": str(Path(sys.executable).parent), "PYTHONPATH": sagestep_path()}
    desc = {"Python": "host", "Interpreter": sys.executable,
            "PythonVersion": ".".join(map(str, sys.version_info[:3]))}
    return JobRuntime(sys.executable, env, tuple(sorted(binds)), desc)


def venv_runtime(prefix: Path, description: Mapping[str, Any],
                 warnings: tuple[str, ...] = ()) -> JobRuntime:
    """A runtime over a virtual environment at ``prefix`` (with the sagestep shims on its path)."""
    python = prefix / "bin" / "python"
    base = Path(os.path.realpath(python)).parent.parent
    env = {"PATH": str(prefix / "bin"), "VIRTUAL_ENV": str(prefix),
           "PYTHONPATH": f"{SHIMS_DIR}"}
    binds = (str(prefix), str(base), str(SHIMS_DIR))
    return JobRuntime(str(python), env, binds, description, warnings)

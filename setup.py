"""Build hook only (metadata lives in pyproject.toml): copy the repository's bundled
``examples/`` and ``templates/`` into the built package, so `sagestep example` and
`sagestep init --ci` work from an installed wheel (see sagestep/cli/bundled.py)."""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
BUNDLED = ("examples", "templates")
SKIP = shutil.ignore_patterns("__pycache__", "*.pyc", ".sagestep", ".ipynb_checkpoints")


class BuildPyWithBundled(build_py):
    def run(self) -> None:
        super().run()
        for name in BUNDLED:
            source = ROOT / name
            if source.is_dir():  # an sdist carries them too (MANIFEST.in)
                shutil.copytree(source, Path(self.build_lib) / "sagestep" / name,
                                ignore=SKIP, dirs_exist_ok=True)


setup(cmdclass={"build_py": BuildPyWithBundled})

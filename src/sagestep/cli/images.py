"""``sagestep images list|prepare``: the image versions that run locally and their environments.

Each framework image version runs on a Python environment with the image's own library
versions, built with uv on first use into the user cache and reused offline afterwards;
``prepare`` builds them ahead of time (e.g. before going offline, or in CI's cache step).
"""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.table import Table

from sagestep.errors import SagestepError

if TYPE_CHECKING:
    from sagestep.sagemaker.image_catalog import ImageVersion

images_app = typer.Typer(help="Framework images and their local Python environments.",
                         no_args_is_help=True)
console = Console(highlight=False)


@images_app.command("list")
def list_images() -> None:
    """Every supported image version, what it ships and whether its environment is built."""
    from sagestep.sagemaker import image_catalog, pyenvs

    table = Table("image", "framework", "numpy", "pandas", "scipy", "py", "environment")
    for version in image_catalog.VERSIONS:
        built = pyenvs.is_built(version)
        table.add_row(f"{version.framework}:{version.tag}", version.framework_version,
                      version.packages.get("numpy", ""), version.packages.get("pandas", ""),
                      version.packages.get("scipy", ""), version.python,
                      "ready" if built else "on first use")
    console.print(table)
    console.print(f"images: <account>.dkr.ecr.<region>.amazonaws.com/{_repository('sklearn')}|"
                  f"{_repository('xgboost')}:<tag>; environments in {pyenvs.cache_root()} "
                  f"(set {pyenvs.CACHE_ENV} to move them); SAGESTEP_PYTHON=host runs every image "
                  "on this Python instead")


@images_app.command("prepare")
def prepare(
    images: list[str] = typer.Argument(None, help="framework:tag, e.g. sklearn:1.2-1 or "
                                       "xgboost:1.7-1 (default: all)"),
) -> None:
    """Build the environments of IMAGES now, with progress (idempotent, cached per user)."""
    from sagestep.sagemaker import image_catalog, pyenvs

    chosen = [_parse(spec) for spec in images] if images else list(image_catalog.VERSIONS)
    for version in chosen:
        started = time.monotonic()
        if pyenvs.is_built(version):
            console.print(f"{version.framework}:{version.tag}: ready at {pyenvs.env_dir(version)}")
            continue
        try:
            pyenvs.ensure(version, lambda line: console.print(line, markup=False))
        except pyenvs.EnvBuildError as exc:
            raise SagestepError(f"building {version.framework}:{version.tag} failed: {exc}") from exc
        manifest = json.loads((pyenvs.env_dir(version) / "sagestep-env.json").read_text())
        for warning in manifest["warnings"]:
            console.print(warning, markup=False)
        console.print(f"{version.framework}:{version.tag}: built in {time.monotonic() - started:.1f} s")


def _parse(spec: str) -> ImageVersion:
    from sagestep.sagemaker import image_catalog

    framework, _, tag = spec.partition(":")
    framework = {"sagemaker-scikit-learn": "sklearn", "sagemaker-xgboost": "xgboost",
                 "scikit-learn": "sklearn"}.get(framework, framework)
    version = image_catalog.find(framework, tag)
    if version is None:
        known = ", ".join(f"{v.framework}:{v.tag}" for v in image_catalog.VERSIONS)
        raise SagestepError(f"unknown image {spec!r}; known: {known}")
    return version


def _repository(framework: str) -> str:
    return {"sklearn": "sagemaker-scikit-learn", "xgboost": "sagemaker-xgboost"}[framework]


def register(app: typer.Typer) -> None:
    app.add_typer(images_app, name="images")

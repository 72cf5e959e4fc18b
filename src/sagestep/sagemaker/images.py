"""Which local program and Python environment stand in for an AWS container image.

Framework images (scikit-learn, XGBoost script mode) run the user's script on a Python
environment that ships the image's own framework and library versions (built on first use,
see :mod:`pyenvs`), or on the local Python when the user chooses ``host``. Built-in
algorithms run a local implementation module (``python -m <module> train``). Adding a
built-in is one :data:`IMAGES` entry plus its module.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace

from sagestep.algorithms import BUILTINS
from sagestep.errors import client_error
from sagestep.sagemaker import image_catalog
from sagestep.sagemaker.runtime import JobRuntime, host_runtime, sagestep_path

_ECR = re.compile(
    r"(?P<account>\d{12})\.dkr\.ecr\.(?P<region>[a-z0-9-]+)\.amazonaws\.com(?:\.cn)?/"
    r"(?P<repo>[^:@]+)(?::(?P<tag>[^@]+))?(?:@sha256:[0-9a-f]{64})?"
)


@dataclass(frozen=True)
class ImageEntry:
    """One ECR repository name and how it runs locally."""

    repository: str
    framework: str | None  # "sklearn" | "xgboost": runs user scripts the toolkit way (script mode)
    builtin: str | None  # key of the built-in algorithm (algorithms.BUILTINS) run in algorithm mode
    description: str

    @property
    def builtin_module(self) -> str | None:
        return None if self.builtin is None else BUILTINS[self.builtin].module


IMAGES: tuple[ImageEntry, ...] = (
    ImageEntry("sagemaker-scikit-learn", "sklearn", None, "scikit-learn framework (script mode)"),
    ImageEntry("sagemaker-xgboost", "xgboost", "xgboost",
               "XGBoost: built-in algorithm mode, or script mode with sagemaker_program"),
    # The pre-1.0 built-in XGBoost repository (e.g. 811284229777.dkr.ecr.us-east-1.../xgboost:1).
    ImageEntry("xgboost", None, "xgboost", "XGBoost built-in (legacy)"),
)


@dataclass(frozen=True)
class ResolvedImage:
    """An image URI matched to its entry, with the parts of the URI."""

    uri: str
    entry: ImageEntry
    region: str
    tag: str

    @property
    def framework(self) -> str | None:
        """"sklearn" or "xgboost" for framework images (serving defaults), else None."""
        return self.entry.framework

    @property
    def version(self) -> image_catalog.ImageVersion | None:
        """The image version this tag names (framework images), None if unknown."""
        framework = self.entry.framework or ("xgboost" if self.entry.builtin else None)
        if framework is None:
            return None
        if self.entry.repository == "xgboost":
            return image_catalog.find("xgboost", image_catalog.LEGACY_XGBOOST_TAG)
        return image_catalog.find(framework, self.tag)

    def runtime(self, choice: str, progress: Callable[[str], None] = lambda _: None) -> JobRuntime:
        """The Python a user script of this image runs on: the image's own environment
        (``choice`` "image", built on first use) or this Python ("host")."""
        if choice == "host":
            return host_runtime()
        version = self.version
        if version is None:
            tags = ", ".join(image_catalog.supported_tags(self.entry.framework or "xgboost"))
            raise ValueError(f"{self.uri}: no local environment for tag {self.tag!r}; supported "
                             f"tags: {tags} (or set SAGESTEP_PYTHON=host to use this Python)")
        from sagestep.sagemaker import pyenvs

        return pyenvs.ensure(version, progress)

    def builtin_runtime(self, choice: str,
                        progress: Callable[[str], None] = lambda _: None) -> JobRuntime:
        """The Python the built-in algorithm runs on: the image's environment where sagestep's
        implementation supports its library version, else this Python (and the job says so)."""
        version = self.version
        if choice == "host" or version is None:
            return with_sagestep(host_runtime())
        if _version_tuple(version.framework_version) < _MIN_BUILTIN_XGBOOST:
            import xgboost

            note = (f"WARNING: image {version.framework}:{version.tag} ships XGBoost "
                    f"{version.framework_version}; sagestep's built-in algorithm needs XGBoost "
                    f"1.6 or newer, so this job runs it on XGBoost {xgboost.__version__}")
            host = with_sagestep(host_runtime())
            return replace(host, warnings=(*host.warnings, note))
        return with_sagestep(self.runtime(choice, progress))

    def builtin_metric_definitions(self) -> list[dict[str, str]]:
        """The metric definitions the built-in publishes without the user declaring them."""
        if self.entry.builtin is None:
            return []
        return [dict(d) for d in BUILTINS[self.entry.builtin].metric_definitions]


def supported() -> str:
    return ", ".join(f"<account>.dkr.ecr.<region>.amazonaws.com/{e.repository}:<tag> ({e.description})"
                     for e in IMAGES)


def resolve_image(uri: str, operation: str) -> ResolvedImage:
    """The local mapping of ``uri``; a ValidationException listing supported images otherwise."""
    match = _ECR.fullmatch(uri or "")
    if match:
        for entry in IMAGES:
            if entry.repository == match["repo"]:
                return ResolvedImage(uri, entry, match["region"], match["tag"] or "latest")
    raise client_error(
        "ValidationException",
        f"Image {uri!r} has no local mapping in sagestep. Supported images: {supported()}.",
        operation,
    )


def with_sagestep(runtime: JobRuntime) -> JobRuntime:
    """``runtime`` able to import sagestep itself (serving and batch workers run sagestep code)."""
    from pathlib import Path

    import sagestep

    path = f"{runtime.env['PYTHONPATH']}:{sagestep_path()}" if runtime.env.get("PYTHONPATH") else sagestep_path()
    return replace(runtime, env={**runtime.env, "PYTHONPATH": path},
                   ro_binds=(*runtime.ro_binds, str(Path(sagestep.__file__).resolve().parent)))


# sagestep's built-in XGBoost uses xgb.train(custom_metric=...), which XGBoost 1.6 added.
_MIN_BUILTIN_XGBOOST = (1, 6)


def _version_tuple(version: str) -> tuple[int, ...]:
    return tuple(int(p) for p in re.findall(r"\d+", version)[:2])

"""Which local program stands in for an AWS container image.

Framework images (scikit-learn, XGBoost script mode) run the user's script on the local
Python (``sys.executable``), for any region, account and version tag. Built-in algorithms
run a local implementation module (``python -m <module> train``). Adding a built-in is one
:data:`IMAGES` entry plus its module.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass

from sagestep.algorithms import BUILTINS
from sagestep.errors import client_error

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

    def builtin_argv(self, command: str) -> list[str]:
        """``python -m <module> <command>`` (command: train or serve)."""
        if self.entry.builtin_module is None:
            raise ValueError(f"{self.uri} has no built-in algorithm")
        return [sys.executable, "-m", self.entry.builtin_module, command]

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


def local_argv(argv: list[str]) -> list[str]:
    """Container command -> local command: python/python3 become this environment's Python."""
    if argv and re.fullmatch(r"(/usr(/local)?/bin/)?python3?(\.\d+)?", argv[0]):
        return [sys.executable, *argv[1:]]
    return list(argv)

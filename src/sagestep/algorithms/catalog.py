"""The table of built-in algorithms: which images they answer to, how they train and serve.

Adding a built-in is one entry here plus its package (a training program run as a
process in the job directory, and a serving handler factory).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field

from sagestep.algorithms.xgboost.metrics import metric_definitions as xgboost_metrics

# <account>.dkr.ecr.<region>.amazonaws.com[.cn]/<repository>[:<tag>|@<digest>]
_ECR_IMAGE = re.compile(
    r"^(?P<account>\d{12})\.dkr\.ecr\.(?P<region>[a-z0-9-]+)\.amazonaws\.com(?:\.cn)?/"
    r"(?P<repository>[a-z0-9._/-]+?)(?::(?P<tag>[\w.-]+)|@sha256:[0-9a-f]{64})?$"
)


@dataclass(frozen=True)
class BuiltinAlgorithm:
    """One built-in algorithm and what the local runner needs to run it."""

    name: str
    repositories: tuple[str, ...]
    module: str
    channels: tuple[str, ...]
    metric_definitions: tuple[Mapping[str, str], ...] = field(default=())
    # Importable "module:function" building the serving handler from a model dir.
    serving_handler: str = ""

    @property
    def training_argv(self) -> tuple[str, ...]:
        """The command the runner starts in the job directory (the container's ``train``)."""
        return (sys.executable, "-m", self.module, "train")

    @property
    def serving_argv(self) -> tuple[str, ...]:
        """The command that serves a model of this algorithm (the container's ``serve``)."""
        return (sys.executable, "-m", self.module, "serve")


BUILTINS: dict[str, BuiltinAlgorithm] = {
    "xgboost": BuiltinAlgorithm(
        name="xgboost",
        # sagemaker-xgboost (framework image, algorithm mode) and the legacy xgboost:1 image.
        repositories=("sagemaker-xgboost", "xgboost"),
        module="sagestep.algorithms.xgboost",
        channels=("train", "validation", "code"),
        metric_definitions=xgboost_metrics(),
        serving_handler="sagestep.algorithms.xgboost.serve:load_handler",
    ),
}


def image_repository(image: str) -> str | None:
    """The ECR repository name of an image URI (``sagemaker-xgboost``), None if not ECR."""
    match = _ECR_IMAGE.match(image.strip())
    return match.group("repository") if match else None


def lookup(image: str) -> BuiltinAlgorithm | None:
    """The built-in algorithm an image runs in algorithm mode (no user program), if any."""
    repository = image_repository(image)
    for algorithm in BUILTINS.values():
        if repository in algorithm.repositories:
            return algorithm
    return None

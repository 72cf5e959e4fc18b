"""What each supported image version ships: framework and main library versions.

Pins come from the images' own build files: ``requirements.txt`` and ``docker/<tag>/``
of github.com/aws/sagemaker-scikit-learn-container (branches 0.23-1, 1.0-1, 1.2-1, tag
v1.4.2) and github.com/aws/sagemaker-xgboost-container (branches 1.0-1 ... 1.7-1, tag
v3.0-5; XGBOOST_VERSION of the base Dockerfile). The image's own Python is noted: sagestep
runs the local Python, and where a pinned version has no wheel for it the nearest newer
one is installed and the job says so.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

# The toolkits every framework image installs (training, inference, legacy serving stack).
# Their own dependencies are installed unpinned; only the framework libraries are pinned.
TOOLKITS = {"sklearn": {"sagemaker-training": "4.8.0", "sagemaker-inference": "1.2.0",
                        "sagemaker-containers": "2.8.6.post2"},
            "xgboost": {"sagemaker-inference": "1.5.5", "sagemaker-containers": "2.8.6.post2",
                        "sagemaker-training": "4.8.0"}}
# What the toolkits import at start-up (boto3 to fetch code, the serving stack, pkg_resources).
TOOLKIT_DEPS = ("boto3", "six", "psutil", "retrying", "inotify_simple", "paramiko", "flask",
                "gunicorn", "protobuf==3.20.2", "setuptools<81", "joblib",
                # what sagestep's own serving and batch workers import when they run on an
                # image environment (the endpoint server's HTTP parser)
                "httptools")


def toolkit_deps(numpy: str) -> tuple[str, ...]:
    """TOOLKIT_DEPS plus pyarrow (parquet; the built-in algorithms read CSV with it): pyarrow
    18+ declares no numpy requirement but needs NumPy 2, so older images get pyarrow 17."""
    return (*TOOLKIT_DEPS, "pyarrow<18" if int(numpy.split(".")[0]) < 2 else "pyarrow")


@dataclass(frozen=True)
class ImageVersion:
    """One image version tag and the libraries it ships."""

    framework: str  # sklearn | xgboost
    tag: str  # e.g. 1.2-1
    python: str  # the image's own Python (informative)
    packages: Mapping[str, str] = field(default_factory=dict)  # name -> exact version

    @property
    def key(self) -> str:
        return f"{self.framework}-{self.tag}"

    @property
    def framework_version(self) -> str:
        return self.packages["scikit-learn" if self.framework == "sklearn" else "xgboost"]


def _v(framework: str, tag: str, python: str, **pins: str) -> ImageVersion:
    return ImageVersion(framework, tag, python, {k.replace("_", "-"): v for k, v in pins.items()})


VERSIONS: tuple[ImageVersion, ...] = (
    _v("sklearn", "0.23-1", "3.7", scikit_learn="0.23.2", numpy="1.19.2", pandas="1.1.3",
       scipy="1.5.3"),
    _v("sklearn", "1.0-1", "3.8", scikit_learn="1.0.2", numpy="1.24.1", pandas="1.1.3",
       scipy="1.8.0"),
    _v("sklearn", "1.2-1", "3.9", scikit_learn="1.2.1", numpy="1.24.1", pandas="1.1.3",
       scipy="1.8.0"),
    _v("sklearn", "1.4-2", "3.10", scikit_learn="1.4.2", numpy="2.1.0", pandas="2.2.2",
       scipy="1.13.1", pyarrow="17.0.0"),
    _v("xgboost", "0.90-2", "3.6", xgboost="0.90", numpy="1.17.4", pandas="0.25.3",
       scipy="1.2.2", scikit_learn="0.22.2"),
    _v("xgboost", "1.0-1", "3.7", xgboost="1.0.2", numpy="1.19.2", pandas="1.1.3",
       scipy="1.2.2", scikit_learn="0.24.1"),
    _v("xgboost", "1.2-1", "3.7", xgboost="1.2.0", numpy="1.21.6", pandas="1.1.3",
       scipy="1.5.3", scikit_learn="0.23.2"),
    _v("xgboost", "1.2-2", "3.7", xgboost="1.2.0", numpy="1.21.6", pandas="1.1.3",
       scipy="1.5.3", scikit_learn="0.23.2"),
    _v("xgboost", "1.3-1", "3.7", xgboost="1.3.3", numpy="1.21.6", pandas="1.2.4",
       scipy="1.6.2", scikit_learn="0.24.1"),
    _v("xgboost", "1.5-1", "3.8", xgboost="1.5.2", numpy="1.24.4", pandas="1.5.3",
       scipy="1.8.0", scikit_learn="0.24.1"),
    _v("xgboost", "1.7-1", "3.9", xgboost="1.7.4", numpy="1.24.1", pandas="1.2.4",
       scipy="1.8.0", scikit_learn="0.24.1"),
    _v("xgboost", "3.0-5", "3.10", xgboost="3.0.5", numpy="2.1.0", pandas="2.2.3",
       scipy="1.15.0", scikit_learn="1.5.2", pyarrow="22.0.0"),
)
# The legacy built-in repository (…/xgboost:1, :latest) serves XGBoost 0.90 models.
LEGACY_XGBOOST_TAG = "0.90-2"
_TAG = re.compile(r"^(\d+\.\d+-\d+)")


def find(framework: str, tag: str) -> ImageVersion | None:
    """The version a tag names (``1.2-1``, ``1.2-1-cpu-py3``; ``latest``/``1``: the newest)."""
    mine = [v for v in VERSIONS if v.framework == framework]
    if not mine:
        return None
    match = _TAG.match(tag)
    if match is None:
        return mine[-1] if tag in ("latest", "1", "") else None
    return next((v for v in mine if v.tag == match[1]), None)


def supported_tags(framework: str) -> list[str]:
    return [v.tag for v in VERSIONS if v.framework == framework]

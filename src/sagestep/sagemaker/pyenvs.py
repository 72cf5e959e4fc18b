"""Per-image Python environments, built once with uv and reused (offline) by every job.

``ensure(version)`` returns the :class:`JobRuntime` of an image version (see
:mod:`image_catalog`): a virtual environment in the user cache (``~/.cache/sagestep/envs``,
or ``$SAGESTEP_ENV_CACHE``) with the image's framework and main libraries at the image's
versions, its toolkits (sagemaker-training, sagemaker-inference, sagemaker-containers), and
pip. A version with no wheel for the local Python is replaced by the nearest newer one that
has one; the environment remembers that and every job on it says so. ``derived`` layers a
code directory's ``requirements.txt`` on top, cached by content.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

from sagestep.sagemaker.image_catalog import TOOLKITS, ImageVersion, toolkit_deps
from sagestep.sagemaker.runtime import JobRuntime, venv_runtime

CACHE_ENV = "SAGESTEP_ENV_CACHE"
LAYOUT = "4"  # bump when the way environments are built changes
Progress = Callable[[str], None]


class EnvBuildError(Exception):
    """An environment could not be built; the message carries uv's own output."""


def cache_root() -> Path:
    """Where environments live: $SAGESTEP_ENV_CACHE, else $XDG_CACHE_HOME or ~/.cache/sagestep/envs."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV]).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(xdg) / "sagestep" / "envs"


def env_dir(version: ImageVersion) -> Path:
    py = f"py{sys.version_info[0]}{sys.version_info[1]}"
    return cache_root() / f"{version.key}-{py}-v{LAYOUT}"


def is_built(version: ImageVersion) -> bool:
    return (env_dir(version) / "sagestep-env.json").is_file()


def ensure(version: ImageVersion, progress: Progress = lambda _: None) -> JobRuntime:
    """The runtime of ``version``, building its environment on first use."""
    prefix = env_dir(version)
    if not is_built(version):
        with _locked(prefix):
            if not is_built(version):
                _build(version, prefix, progress)
    manifest = json.loads((prefix / "sagestep-env.json").read_text())
    return venv_runtime(prefix, manifest["description"], tuple(manifest["warnings"]))


def derived(base: JobRuntime, requirements: Path, progress: Progress) -> JobRuntime:
    """``base`` plus the packages of ``requirements`` (cached by content); EnvBuildError on failure."""
    text = requirements.read_bytes()
    base_prefix = Path(base.env.get("VIRTUAL_ENV") or sys.prefix)
    digest = hashlib.sha256(str(base_prefix).encode() + b"\0" + text).hexdigest()[:16]
    prefix = cache_root() / "derived" / digest
    marker = prefix / "sagestep-derived.json"
    if not marker.is_file():
        with _locked(prefix):
            if not marker.is_file():
                shutil.rmtree(prefix, ignore_errors=True)
                progress(f"Installing {requirements.name} into a derived environment (first use)")
                if base.env.get("VIRTUAL_ENV"):
                    # hard links: a copy of the image environment in no time and no space
                    subprocess.run(["cp", "-al", str(base_prefix), str(prefix)], check=True)
                    # never write through a hard link into the image environment's own files
                    (prefix / "sagestep-env.json").unlink(missing_ok=True)
                else:  # the host Python: a venv that sees its packages
                    _uv(["venv", "--system-site-packages", "--python", base.python, str(prefix)],
                        progress)
                _uv(["pip", "install", "--python", str(prefix / "bin" / "python"),
                     "-r", str(requirements)], progress)
                marker.write_text(json.dumps({"requirements": text.decode(errors="replace")}))
    return base.with_layer(str(prefix), f"{requirements.name} sha256:{digest}")


def _build(version: ImageVersion, prefix: Path, progress: Progress) -> None:
    shutil.rmtree(prefix, ignore_errors=True)
    progress(f"Building the Python environment of {version.framework} {version.tag} in {prefix} "
             "(first use; later jobs reuse it)")
    _uv(["venv", "--seed", "--python", sys.executable, str(prefix)], progress)
    python = str(prefix / "bin" / "python")
    pins = dict(version.packages)
    try:
        _uv(["pip", "install", "--python", python, "--only-binary", ":all:",
             *(f"{_dist(n, v)}=={v}" for n, v in pins.items())], progress)
    except EnvBuildError:
        progress("Some pinned versions have no wheel for this Python; installing the nearest newer ones")
        _uv(["pip", "install", "--python", python, "--only-binary", ":all:",
             "--resolution", "lowest-direct", *(f"{_dist(n, v)}>={v}" for n, v in pins.items())],
            progress)
    installed = _installed(python)
    constraints = prefix / "sagestep-constraints.txt"
    constraints.write_text("".join(f"{_dist(n, installed[n])}=={installed[n]}\n"
                                   for n in pins if n in installed))
    toolkits = TOOLKITS[version.framework]
    progress(f"Installing the SageMaker toolkits: {', '.join(toolkits)}")
    _uv(["pip", "install", "--python", python, "--no-deps",
         *(f"{n}=={v}" for n, v in toolkits.items())], progress)
    deps = toolkit_deps(installed.get("numpy", "2"))
    _uv(["pip", "install", "--python", python, "-c", str(constraints), *deps], progress)
    _patch_legacy(prefix)
    installed = _installed(python)
    warnings = tuple(
        f"WARNING: image {version.framework}:{version.tag} ships {n} {v}, which has no wheel for "
        f"Python {sys.version_info[0]}.{sys.version_info[1]}; this job uses {n} {installed.get(n)}"
        for n, v in pins.items() if installed.get(n) != v)
    description = {"Python": "image", "Image": f"{version.framework}:{version.tag}",
                   "ImagePython": version.python,
                   "PythonVersion": ".".join(map(str, sys.version_info[:3])),
                   "Prefix": str(prefix),
                   "Packages": {n: installed.get(n, "missing") for n in (*pins, *toolkits)}}
    (prefix / "sagestep-env.json").write_text(json.dumps(
        {"description": description, "warnings": list(warnings)}, indent=1))
    progress(f"Environment of {version.framework} {version.tag} ready")


def _dist(name: str, version: str) -> str:
    # XGBoost 2.1+ publishes a CPU-only wheel (a few MB) beside the one that bundles NCCL
    # (hundreds of MB); the environments are CPU-only, as sagestep itself is.
    if name == "xgboost" and sys.platform == "linux":
        major, minor = (int(p) for p in version.split(".")[:2])
        if (major, minor) >= (2, 1):
            return "xgboost-cpu"
    return name


def _patch_legacy(prefix: Path) -> None:
    # sagemaker-containers 2.8.6 uses collections.Mapping (gone since Python 3.10); the
    # images on Python 3.12 apply this same one-line fix in their Dockerfile.
    for mapping in prefix.glob("lib/python*/site-packages/sagemaker_containers/_mapping.py"):
        text = mapping.read_text()
        mapping.write_text(text.replace("collections.Mapping", "collections.abc.Mapping"))


def _installed(python: str) -> dict[str, str]:
    out = subprocess.run([_uv_bin(), "pip", "freeze", "--python", python],
                         capture_output=True, text=True, check=True).stdout
    pairs = (line.split("==", 1) for line in out.splitlines() if "==" in line)
    found = {name.lower().replace("_", "-"): ver for name, ver in pairs}
    if "xgboost-cpu" in found:
        found.setdefault("xgboost", found["xgboost-cpu"])
    return found


def _uv(args: list[str], progress: Progress) -> None:
    proc = subprocess.run([_uv_bin(), *args], capture_output=True, text=True,
                          env={**os.environ, "UV_NO_PROGRESS": "1"})
    if proc.returncode != 0:
        raise EnvBuildError((proc.stderr or proc.stdout).strip()[-2000:])
    for line in proc.stderr.splitlines():
        if line.strip().startswith(("Installed", "Resolved", "Prepared", "Using")):
            progress("  " + line.strip())


def _uv_bin() -> str:
    found = shutil.which("uv")
    if found:
        return found
    with contextlib.suppress(ImportError):
        from uv import find_uv_bin

        return str(find_uv_bin())
    raise EnvBuildError("uv is not installed: pip install uv (sagestep uses it to build image "
                        "environments), or set SAGESTEP_PYTHON=host to run every image on this Python")


@contextlib.contextmanager
def _locked(prefix: Path) -> Iterator[None]:
    prefix.parent.mkdir(parents=True, exist_ok=True)
    with open(prefix.with_name(prefix.name + ".lock"), "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)

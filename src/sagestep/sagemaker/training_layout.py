"""The /opt/ml tree and command line of a training job (container contract §2, toolkit §3)."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import tarfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sagestep.sagemaker.images import ResolvedImage, resolve_image
from sagestep.sagemaker.runner import JobContext, JobFailure, Launch
from sagestep.sagemaker.runtime import JobRuntime, host_runtime
from sagestep.sagemaker.staging import extract_tarball, stage_s3
from sagestep.sagemaker.toolkit import ToolkitEnv, decode, from_hyperparameters, sm_environment

if TYPE_CHECKING:
    from sagestep.sagemaker.service import SageMakerService

RESOURCE = {"current_host": "algo-1", "hosts": ["algo-1"], "network_interface_name": "eth0"}
_DIRS = ("input/config", "input/data", "model", "output/data", "output/intermediate", "code",
         "checkpoints")


def build_launch(svc: SageMakerService, ctx: JobContext, doc: dict[str, Any]) -> tuple[Launch, bool]:
    """Stage inputs and config files; return the Launch and whether it is script mode."""
    sb = ctx.sandbox
    for sub in _DIRS:
        sb.host(f"/opt/ml/{sub}").mkdir(parents=True, exist_ok=True)
    algo = doc["AlgorithmSpecification"]
    channels = _stage_channels(svc, ctx, doc)
    input_config = {c["ChannelName"]: _channel_config(c, algo) for c in doc.get("InputDataConfig", [])}
    resource = dict(RESOURCE, current_instance_type=doc.get("ResourceConfig", {}).get("InstanceType", "local"),
                    current_group_name="homogeneousCluster",
                    instance_groups=[{"instance_group_name": "homogeneousCluster",
                                      "instance_type": doc.get("ResourceConfig", {}).get("InstanceType", "local"),
                                      "hosts": ["algo-1"]}])
    config = sb.host("/opt/ml/input/config")
    hps = doc.get("HyperParameters", {})
    _write_json(config / "hyperparameters.json", hps)
    _write_json(config / "inputdataconfig.json", input_config)
    _write_json(config / "resourceconfig.json", resource)
    if doc.get("CheckpointConfig"):
        _stage_checkpoints(svc, ctx, doc["CheckpointConfig"])
    base = sb.base
    env = _platform_env(svc, doc, base)
    tk = from_hyperparameters(hps, env, f"{base}/code")
    env.update(sm_environment(tk, base, doc["TrainingJobName"], channels, input_config, resource,
                              f"{base}/code"))
    network = bool(doc.get("EnableNetworkIsolation"))
    image = resolve_image(algo["TrainingImage"], "CreateTrainingJob")
    if algo.get("ContainerEntrypoint") or algo.get("ContainerArguments"):
        runtime = image_runtime(svc, ctx, image)
        argv = runtime.argv(list(algo.get("ContainerEntrypoint") or []) + list(algo.get("ContainerArguments") or []))
        if not argv:
            raise JobFailure("ClientError: ContainerArguments without ContainerEntrypoint need an image "
                             "entrypoint, which local images do not have")
        return Launch(argv, env, base, network, runtime), False
    if tk.entry_point and image.entry.framework:
        return _script_launch(svc, ctx, tk, env, network, image_runtime(svc, ctx, image)), True
    if image.entry.builtin_module:
        runtime = builtin_runtime(svc, ctx, image)
        return Launch(runtime.module(image.entry.builtin_module, "train"), env, base, network,
                      runtime), False
    raise JobFailure(
        f"ClientError: image {algo['TrainingImage']} runs a user script: set the hyperparameter "
        "sagemaker_program (or the environment variable SAGEMAKER_PROGRAM) to the entry point, "
        "and sagemaker_submit_directory to the s3:// URI of sourcedir.tar.gz")


def image_runtime(svc: SageMakerService, ctx: JobContext, image: ResolvedImage) -> JobRuntime:
    """The Python environment of ``image`` (built on first use, progress in the job log)."""
    if image.entry.framework is None and image.entry.builtin is None:
        return host_runtime()
    from sagestep.sagemaker.pyenvs import EnvBuildError

    try:
        return image.runtime(svc.python, ctx.log)
    except (ValueError, EnvBuildError) as exc:
        raise JobFailure(f"ClientError: the Python environment of image {image.uri} could not be "
                         f"prepared: {exc} (build it while online with `sagestep images prepare`, "
                         "or set SAGESTEP_PYTHON=host to run on sagestep's own Python)") from exc


def builtin_runtime(svc: SageMakerService, ctx: JobContext, image: ResolvedImage) -> JobRuntime:
    """The Python of a built-in algorithm job (see ResolvedImage.builtin_runtime)."""
    from sagestep.sagemaker.pyenvs import EnvBuildError

    try:
        return image.builtin_runtime(svc.python, ctx.log)
    except (ValueError, EnvBuildError) as exc:
        raise JobFailure(f"ClientError: the Python environment of image {image.uri} could not be "
                         f"prepared: {exc}") from exc


def install_requirements(ctx: JobContext, runtime: JobRuntime, code: Path) -> JobRuntime:
    """``runtime`` plus the code dir's requirements.txt, as the toolkits pip-install it."""
    requirements = code / "requirements.txt"
    if not requirements.is_file():
        return runtime
    from sagestep.sagemaker.pyenvs import EnvBuildError, derived

    try:
        return derived(runtime, requirements, ctx.log)
    except EnvBuildError as exc:
        raise JobFailure(f"AlgorithmError: InstallRequirementsError: installing {requirements.name} "
                         f"failed: {exc}") from exc


def _platform_env(svc: SageMakerService, doc: dict[str, Any], base: str) -> dict[str, str]:
    """The request's Environment plus what the platform and the toolkit export (§2.2, §3.1)."""
    env = dict(doc.get("Environment", {}))
    env.update({"TRAINING_JOB_NAME": doc["TrainingJobName"], "TRAINING_JOB_ARN": doc["TrainingJobArn"],
                "SAGEMAKER_BASE_DIR": base, "AWS_REGION": svc.arns.region, "SM_STUDIO_LOCAL_MODE": "true",
                "CURRENT_HOST": "algo-1", "SAGEMAKER_JOB_NAME": doc["TrainingJobName"],
                "SAGEMAKER_REGION": svc.arns.region, "PYTHONUNBUFFERED": "1"})
    return env


def _channel_config(ch: dict[str, Any], algo: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if ch.get("ContentType"):
        out["ContentType"] = ch["ContentType"]
    src = ch["DataSource"].get("S3DataSource", {})
    out["TrainingInputMode"] = ch.get("InputMode") or algo["TrainingInputMode"]
    out["S3DistributionType"] = src.get("S3DataDistributionType", "FullyReplicated")
    out["RecordWrapperType"] = ch.get("RecordWrapperType", "None")
    return out


def _stage_channels(svc: SageMakerService, ctx: JobContext, doc: dict[str, Any]) -> list[str]:
    names = []
    for ch in doc.get("InputDataConfig", []):
        name = ch["ChannelName"]
        src = ch["DataSource"]["S3DataSource"]
        dest = ctx.sandbox.host(f"/opt/ml/input/data/{name}")
        count = stage_s3(svc.object_store, src["S3Uri"], src["S3DataType"], dest, f"channel {name}")
        ctx.log(f"Downloaded {count} object(s) for channel {name} from {src['S3Uri']}")
        names.append(name)
    return names


def _stage_checkpoints(svc: SageMakerService, ctx: JobContext, cfg: dict[str, Any]) -> None:
    local = cfg.get("LocalPath", "/opt/ml/checkpoints")
    _write_json(ctx.sandbox.host("/opt/ml/input/config/checkpointconfig.json"),
                {"LocalPath": local, "S3Path": cfg["S3Uri"]})
    dest = ctx.sandbox.host(local)
    dest.mkdir(parents=True, exist_ok=True)
    from sagestep.stores.objectstore import parse_uri

    bucket, prefix = parse_uri(cfg["S3Uri"])
    if any(True for _ in svc.object_store.list(bucket, prefix)):
        svc.object_store.download_prefix(cfg["S3Uri"].rstrip("/") + "/", dest)


def _script_launch(svc: SageMakerService, ctx: JobContext, tk: ToolkitEnv, env: dict[str, str],
                   network: bool, runtime: JobRuntime) -> Launch:
    code = ctx.sandbox.host("/opt/ml/code")
    _stage_code(svc, tk.module_dir, code)
    entry = tk.entry_point
    if not (code / entry).exists():
        raise JobFailure(f"AlgorithmError: entry point {entry} not found in the submitted code "
                         f"({tk.module_dir}); files: {sorted(p.name for p in code.iterdir())[:20]}")
    runtime = install_requirements(ctx, runtime, code)
    base = ctx.sandbox.base
    env["PYTHONPATH"] = os.pathsep.join([f"{base}/code", *([env["PYTHONPATH"]] if env.get("PYTHONPATH") else [])])
    if entry.endswith(".py") and not (code / "setup.py").exists():
        argv = [runtime.python, entry, *tk.args]
    elif (code / "setup.py").exists():
        argv = runtime.module(entry.removesuffix(".py"), *tk.args)
    else:
        (code / entry).chmod(0o755)
        argv = ["/bin/sh", "-c", f"./{entry} {shlex.join(tk.args)}"]
    return Launch(argv, env, f"{base}/code", network, runtime)


def _stage_code(svc: SageMakerService, module_dir: str, code: Path) -> None:
    if any(code.iterdir()):
        return
    if module_dir.startswith("s3://"):
        try:
            extract_tarball(svc.object_store, module_dir, code)
        except (OSError, tarfile.TarError, Exception) as exc:
            raise JobFailure(f"ClientError: cannot unpack sagemaker_submit_directory {module_dir}: {exc}") from exc
    elif Path(module_dir).is_dir() and not module_dir.startswith("/opt/ml"):
        shutil.copytree(module_dir, code, dirs_exist_ok=True)
    elif Path(module_dir).is_file():
        with tarfile.open(module_dir, "r:*") as tar:
            tar.extractall(code, filter="data")


def _write_json(path: Path, value: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(value))


__all__ = ["build_launch", "decode"]

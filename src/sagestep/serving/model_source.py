"""From a CreateModel record to a serving process's inputs: unpacked model, code, handler choice.

As SageMaker starts a serving container: ``ModelDataUrl`` (a .tar.gz) is extracted into the
model dir (/opt/ml/model); ``SAGEMAKER_SUBMIT_DIRECTORY`` (an S3 sourcedir.tar.gz) into the
code dir, else the code comes from ``code/`` inside the model tarball; the image decides
the handler: a built-in algorithm in algorithm mode (no ``SAGEMAKER_PROGRAM``) serves with
its own handler, a framework image runs the user's inference code with its defaults.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sagestep import algorithms
from sagestep.errors import ServiceError, StoreError
from sagestep.sagemaker.images import resolve_image
from sagestep.sagemaker.staging import extract_tarball
from sagestep.serving.handler import ServingSpec

if TYPE_CHECKING:
    from sagestep.sagemaker.runtime import JobRuntime
    from sagestep.sagemaker.service import SageMakerService

def container_of(model: Mapping[str, Any]) -> Mapping[str, Any]:
    """The one container of a model; inference pipelines (several) are not run locally."""
    containers = model.get("Containers") or []
    if model.get("PrimaryContainer"):
        return model["PrimaryContainer"]  # type: ignore[no-any-return]
    if len(containers) == 1:
        return containers[0]  # type: ignore[no-any-return]
    raise ServiceError(
        f"model {model.get('ModelName')} has {len(containers)} containers (an inference "
        "pipeline); local endpoints and transform jobs run a single container"
    )


def stage_model(svc: SageMakerService, model: Mapping[str, Any], dest: Path,
                extra_env: Mapping[str, str] | None = None,
                visible: Callable[[Path], str] = str) -> ServingSpec:
    """Unpack ``model``'s artefacts under ``dest`` and describe how to serve them.

    ``visible`` maps a host path to the path the serving process sees (a sandbox's view).
    """
    container = container_of(model)
    image = container.get("Image", "")
    try:
        resolved = resolve_image(image, "CreateEndpoint")
    except Exception as exc:  # ClientError listing the supported images
        message = getattr(exc, "response", {}).get("Error", {}).get("Message", exc)
        raise ServiceError(str(message)) from exc
    env = {**(container.get("Environment") or {}), **(extra_env or {})}
    model_dir, code_dir = dest / "model", dest / "code"
    shutil.rmtree(model_dir, ignore_errors=True)
    shutil.rmtree(code_dir, ignore_errors=True)
    model_dir.mkdir(parents=True)
    try:
        data_url = container.get("ModelDataUrl") or _data_source_uri(container)
        if data_url:
            _unpack(svc, data_url, model_dir, extract_tarball)
        submit = env.get("SAGEMAKER_SUBMIT_DIRECTORY", "")
        if submit.startswith("s3://"):
            _unpack(svc, submit, code_dir, extract_tarball)
        elif submit and Path(submit).is_dir() and not submit.startswith("/opt/ml"):
            shutil.copytree(submit, code_dir)
    except StoreError as exc:
        raise ServiceError(f"could not fetch the model artefacts: {exc}") from exc
    algorithm = algorithms.lookup(image)
    program = env.get("SAGEMAKER_PROGRAM", "")
    env.update({"SM_MODEL_DIR": visible(model_dir), "SAGEMAKER_BASE_DIR": visible(dest)})
    return ServingSpec(
        model_dir=visible(model_dir),
        environment=env,
        builtin_handler=algorithm.serving_handler if algorithm and not program else "",
        framework=resolved.framework or "",
        code_dir=visible(code_dir if code_dir.is_dir() else model_dir / "code"),
        program=program,
    )


def serving_runtime(svc: SageMakerService, spec: ServingSpec, model: Mapping[str, Any],
                    progress: Callable[[str], None] = lambda _: None,
                    code_dir: Path | None = None) -> JobRuntime:
    """The Python a model server or transform worker runs on: the image's own environment
    (plus ``code_dir``/requirements.txt of user inference code, as the inference toolkit
    pip-installs it at start-up), or the host's; either can import sagestep."""
    from sagestep.sagemaker.images import resolve_image, with_sagestep
    from sagestep.sagemaker.pyenvs import EnvBuildError, derived
    from sagestep.sagemaker.runtime import host_runtime

    image = resolve_image(container_of(model).get("Image", ""), "CreateEndpoint")
    if not spec.builtin_handler and not spec.framework:
        return with_sagestep(host_runtime())
    try:
        if spec.builtin_handler:
            return image.builtin_runtime(svc.python, progress)
        runtime = image.runtime(svc.python, progress)
    except (ValueError, EnvBuildError) as exc:
        raise ServiceError(f"the Python environment of image {image.uri} could not be "
                           f"prepared: {exc}") from exc
    requirements = code_dir / "requirements.txt" if code_dir and spec.program else None
    if requirements is not None and requirements.is_file():
        try:
            runtime = derived(runtime, requirements, progress)
        except EnvBuildError as exc:
            raise ServiceError(f"installing the inference code's requirements.txt failed: {exc}") from exc
    return with_sagestep(runtime)


def _data_source_uri(container: Mapping[str, Any]) -> str:
    source = (container.get("ModelDataSource") or {}).get("S3DataSource") or {}
    return str(source.get("S3Uri", ""))


def _unpack(svc: SageMakerService, uri: str, dest: Path, extract: Any) -> None:
    from sagestep.stores.objectstore import parse_uri

    bucket, key = parse_uri(uri)
    if key.endswith((".tar.gz", ".tgz", ".tar")):
        if not svc.object_store.exists(bucket, key):
            raise ServiceError(f"model data {uri} does not exist in the local object store")
        extract(svc.object_store, uri, dest)
    else:
        # Uncompressed model data (ModelDataSource CompressionType None): a prefix to copy.
        svc.object_store.download_prefix(uri, dest)

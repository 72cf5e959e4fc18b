"""The boto3-shaped local ``sagemaker`` client, assembled from per-resource API mixins.

    from sagestep.local import client
    sm = client("sagemaker", home="./.sagestep")
    sm.create_training_job(**request)      # same request as boto3
    sm.describe_training_job(TrainingJobName="...")

Each mixin in :data:`_API_MIXINS` owns the boto3 methods of one resource family. Non-AWS
extras (documented, prefixed ``get_job_logs``/``wait_for_job``) are for the CLI and tests.
"""

from __future__ import annotations

from typing import Any

from sagestep.sagemaker.api import ApiBase
from sagestep.sagemaker.endpoints_api import EndpointsApi
from sagestep.sagemaker.jobs_api import JobsApi
from sagestep.sagemaker.models_api import ModelsApi
from sagestep.sagemaker.processing_api import ProcessingApi
from sagestep.sagemaker.registry_api import RegistryApi
from sagestep.sagemaker.training_api import TrainingApi
from sagestep.sagemaker.transform_api import TransformApi
from sagestep.sagemaker.tuning_api import TuningApi

# One entry per resource family. Other owners add theirs here (models, endpoint configs,
# endpoints, transform jobs), one line each.
_API_MIXINS: tuple[type[ApiBase], ...] = (
    ProcessingApi,
    TrainingApi,
    TuningApi,
    RegistryApi,
    JobsApi,
    ModelsApi,
    EndpointsApi,
    TransformApi,
)


class LocalSageMakerClient(*_API_MIXINS):  # type: ignore[misc]
    """boto3 ``sagemaker`` client methods over the local service of one runtime."""

    def __init__(self, runtime: Any) -> None:
        self._runtime = runtime
        self._svc = runtime.sagemaker

    @property
    def meta(self) -> Any:
        """Like boto3's client.meta: region and service model."""
        from types import SimpleNamespace

        return SimpleNamespace(region_name=self._svc.arns.region,
                               service_model=self._svc.validator._model)

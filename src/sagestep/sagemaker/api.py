"""Base of the per-resource API mixins the boto3-shaped client is assembled from.

Each mixin (processing_api.ProcessingApi, training_api.TrainingApi, ...) defines boto3 method
names taking boto3 keyword arguments and returning boto3-shaped dicts. Every method first
passes its request through :meth:`ApiBase._request` (botocore-model validation).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from sagestep.errors import client_error

if TYPE_CHECKING:
    from sagestep.sagemaker.service import SageMakerService


class ApiBase:
    """Gives mixins the service and the request validator."""

    _svc: SageMakerService

    def _request(self, operation: str, params: dict[str, Any]) -> dict[str, Any]:
        """Validate ``params`` for ``operation`` (e.g. "CreateTrainingJob"); returns a copy."""
        self._svc.validator.validate(operation, params)
        return dict(params)

    @staticmethod
    def _error(code: str, message: str, operation: str) -> ClientError:
        return client_error(code, message, operation)

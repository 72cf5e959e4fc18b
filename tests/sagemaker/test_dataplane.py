"""The control plane gets its data plane handed in (sagestep.local), never by importing serving."""

from __future__ import annotations

from pathlib import Path

import pytest

from sagestep.clock import SystemClock
from sagestep.errors import ServiceError
from sagestep.local import sagemaker_service
from sagestep.sagemaker.service import SageMakerService
from sagestep.serving.endpoints import EndpointManager
from sagestep.serving.transform_job import TransformJobs
from sagestep.stores.objectstore import LocalObjectStore
from sagestep.workspace import Workspace


def _parts(tmp_path: Path) -> tuple[Workspace, LocalObjectStore, SystemClock]:
    ws = Workspace.resolve(tmp_path / "ws")
    return ws, LocalObjectStore(ws.s3_root), SystemClock()


def test_facade_plugs_in_serving_once(tmp_path: Path) -> None:
    svc = sagemaker_service(*_parts(tmp_path), recover=False)
    assert isinstance(svc.endpoints, EndpointManager) and svc.endpoints is svc.endpoints
    assert isinstance(svc.transform, TransformJobs) and svc.transform is svc.transform


def test_without_a_data_plane_the_error_says_how_to_build_one(tmp_path: Path) -> None:
    svc = SageMakerService(*_parts(tmp_path), recover=False)
    with pytest.raises(ServiceError, match=r"no endpoints; build it with sagestep\.local"):
        svc.endpoints  # noqa: B018
    with pytest.raises(ServiceError, match="no batch transform"):
        svc.transform  # noqa: B018

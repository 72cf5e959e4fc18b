"""Benchmark: batch transform of N rows x 20 features, the transform job API vs a bare floor.

    python bench/transform.py [--rows 1000000 4000000] [--rounds 100]

For each size the same CSV (no header, 20 features) is scored twice, each in one process:
  * sagestep: CreateTransformJob (built-in XGBoost image, SplitType Line, MultiRecord,
    AssembleWith Line) through the local SageMaker API; rows/s over the job's wall time
    (create -> Completed, including process start, model staging and the output upload);
    peak memory = max RSS of the job process (recorded by the engine);
  * floor: one process streaming the CSV in blocks with pyarrow, booster.inplace_predict per
    block, writing one prediction per line (the built-in's text format); max RSS likewise.
Targets (issue 3): sagestep >= 70% of the floor's rows/s, peak memory flat from 1M to 4M rows.
"""

from __future__ import annotations

import argparse
import io
import os
import resource
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

import numpy as np

XGB_IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"
FEATURES = 20
BLOCK = 6 * 1024 * 1024


def floor_main(model: str, source: str, target: str) -> None:
    """The floor: pyarrow streaming reader -> inplace_predict -> write; prints rows and max RSS."""
    import pyarrow.csv as pacsv
    import xgboost as xgb

    booster = xgb.Booster()
    booster.load_model(bytearray(Path(model).read_bytes()))
    rows = 0
    reader = pacsv.open_csv(source, read_options=pacsv.ReadOptions(
        autogenerate_column_names=True, block_size=BLOCK))
    with open(target, "wb") as out:
        for batch in reader:
            matrix = np.column_stack([c.to_numpy() for c in batch.columns]).astype(np.float32)
            preds = booster.inplace_predict(matrix)
            out.write(("\n".join(map(str, preds.tolist())) + "\n").encode())
            rows += len(preds)
    print(rows, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, flush=True)
    os._exit(0)  # skip interpreter teardown, as the transform job process does


def make_model(rounds: int, path: Path) -> None:
    import xgboost as xgb

    rng = np.random.default_rng(0)
    x = rng.normal(size=(20_000, FEATURES)).astype(np.float32)
    y = x[:, 0] * 2 + np.sin(x[:, 1]) + rng.normal(scale=0.1, size=len(x))
    booster = xgb.train({"max_depth": 6, "eta": 0.1}, xgb.DMatrix(x, label=y), rounds)
    path.write_bytes(bytes(booster.save_raw("ubj")))


def make_csv(path: Path, rows: int) -> None:
    """``rows`` x 20 random features as CSV, written in chunks (never all in memory)."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    rng = np.random.default_rng(1)
    options = pacsv.WriteOptions(include_header=False)
    with path.open("wb") as out:
        for start in range(0, rows, 200_000):
            chunk = rng.normal(size=(min(200_000, rows - start), FEATURES)).astype(np.float32)
            table = pa.table({f"f{i}": chunk[:, i] for i in range(FEATURES)})
            pacsv.write_csv(table, out, write_options=options)


def run_sagestep(home: Path, model: Path, data: Path, job: str) -> tuple[float, int, int]:
    """(seconds, output lines, peak RSS kB) of one transform job."""
    from sagestep.local import client

    s3, sm = client("s3", home=home), client("sagemaker", home=home)
    if not sm.list_models(NameContains="bench")["Models"]:
        archive = io.BytesIO()
        with tarfile.open(fileobj=archive, mode="w:gz") as tar:
            tar.add(model, arcname="xgboost-model")
        s3.put_object(Bucket="bench", Key="model.tar.gz", Body=archive.getvalue())
        sm.create_model(ModelName="bench", ExecutionRoleArn="arn:aws:iam::123456789012:role/x",
                        PrimaryContainer={"Image": XGB_IMAGE,
                                          "ModelDataUrl": "s3://bench/model.tar.gz"})
    key = f"input/{job}/data.csv"
    target = s3_path(home, "bench", key)
    target.parent.mkdir(parents=True, exist_ok=True)
    os.link(data, target)  # put the file in the local object store without a copy
    started = time.monotonic()
    sm.create_transform_job(
        TransformJobName=job, ModelName="bench", BatchStrategy="MultiRecord", MaxPayloadInMB=6,
        TransformInput={"DataSource": {"S3DataSource": {"S3DataType": "S3Prefix",
                                                        "S3Uri": f"s3://bench/input/{job}/"}},
                        "ContentType": "text/csv", "SplitType": "Line"},
        TransformOutput={"S3OutputPath": f"s3://bench/output/{job}", "AssembleWith": "Line"},
        TransformResources={"InstanceType": "ml.m5.xlarge", "InstanceCount": 1})
    status = sm.wait_for_job(JobName=job, Timeout=3600)
    seconds = time.monotonic() - started
    if status["Status"] != "Completed":
        raise RuntimeError(f"transform job {job} {status['Status']}: {status['FailureReason']}")
    described = sm.describe_transform_job(TransformJobName=job)
    output = s3_path(home, "bench", f"output/{job}/data.csv.out")
    with output.open("rb") as fh:
        lines = sum(block.count(b"\n") for block in iter(lambda: fh.read(1 << 24), b""))
    output.unlink()
    target.unlink()
    return seconds, lines, int(described["SagestepLocal"]["PeakMemoryKb"])


def s3_path(home: Path, bucket: str, key: str) -> Path:
    from sagestep.local import runtime

    return runtime(home).object_store.path(bucket, key)  # type: ignore[no-any-return]


def run_floor(model: Path, data: Path, scratch: Path) -> tuple[float, int, int]:
    started = time.monotonic()
    done = subprocess.run([sys.executable, __file__, "--floor", str(model), str(data),
                           str(scratch / "floor.out")], capture_output=True, text=True,
                          check=True, start_new_session=True)  # a session of its own, as the job
    seconds = time.monotonic() - started
    rows, peak = (int(v) for v in done.stdout.split())
    (scratch / "floor.out").unlink()
    return seconds, rows, peak


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000, 4_000_000])
    parser.add_argument("--rounds", type=int, default=100)
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="sagestep-bench-transform-"))
    home = scratch / "workspace"
    model = scratch / "xgboost-model"
    make_model(args.rounds, model)
    print(f"model: {args.rounds} trees, depth 6, {FEATURES} features; cpus: {os.cpu_count()}")
    print(f"{'rows':>9s} {'runner':9s} {'seconds':>8s} {'rows/s':>10s} {'peak MB':>8s} "
          f"{'vs floor':>9s}")
    peaks: list[int] = []
    ratios: list[float] = []
    try:
        for number, rows in enumerate(args.rows):
            data = scratch / f"data-{rows}.csv"
            make_csv(data, rows)
            floor = run_floor(model, data, scratch)
            ours = run_sagestep(home, model, data, f"bench-{number}")
            data.unlink()
            for name, (seconds, lines, peak) in (("floor", floor), ("sagestep", ours)):
                if lines != rows:
                    raise RuntimeError(f"{name} wrote {lines} predictions for {rows} rows")
                ratio = (rows / ours[0]) / (rows / floor[0])
                shown = f"{ratio * 100:8.1f}%" if name == "sagestep" else f"{100:8.1f}%"
                print(f"{rows:9d} {name:9s} {seconds:8.2f} {rows / seconds:10.0f} "
                      f"{peak / 1024:8.0f} {shown:>9s}")
            peaks.append(ours[2])
            ratios.append((rows / ours[0]) / (rows / floor[0]))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    for rows, ratio in zip(args.rows, ratios, strict=True):
        print(f"target {'PASS' if ratio >= 0.7 else 'FAIL'}: sagestep >= 70% of the floor's "
              f"rows/s at {rows} rows ({ratio:.0%})")
    if len(peaks) > 1:
        growth = max(peaks) / min(peaks)
        print(f"target {'PASS' if growth <= 1.2 else 'FAIL'}: peak memory flat across sizes "
              f"({', '.join(f'{p / 1024:.0f} MB' for p in peaks)}; max/min {growth:.2f})")


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "--floor":
        floor_main(sys.argv[2], sys.argv[3], sys.argv[4])
    else:
        main()

"""Many runs at once (issue 13): N simultaneous runs of example 1 on the local backend.

    python bench/concurrency.py [--n 1,5,20] [--slots K] [--json]

For each N a fresh workspace gets N uploads under example 1's trigger prefix at once (a
batch drop), and the bench waits for every run. It prints the wall time against N x the
time of one run measured in the same session (target <= 0.8x at N = 20), the peak memory of
this process and all its descendants (jobs, model servers; sampled every 0.2 s), the most
jobs that ran at once against the slots, and the failures (target 0).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "xgboost-breast-cancer"
sys.path.insert(0, str(ROOT / "src"))


def tree_rss_mb(root: int) -> int:
    """Resident memory of process ``root`` and all its descendants, in MiB."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
            status = (proc / "status").read_text()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(proc.name))
        line = next((x for x in status.splitlines() if x.startswith("VmRSS:")), "VmRSS: 0 kB")
        rss[int(proc.name)] = int(line.split()[1])
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        total += rss.get(pid, 0)
        todo += children.get(pid, [])
    return total // 1024


class PeakMemory:
    """Samples :func:`tree_rss_mb` of this process in a thread; ``peak`` in MiB."""

    def __init__(self) -> None:
        import os

        self.peak, self._stop = 0, threading.Event()
        self._thread = threading.Thread(target=self._run, args=(os.getpid(),), daemon=True)

    def _run(self, pid: int) -> None:
        while not self._stop.wait(0.2):
            self.peak = max(self.peak, tree_rss_mb(pid))

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def jobs_at_once(backend: Any, names: list[str]) -> int:
    """The most processing/training jobs whose runs overlapped in time."""
    edges = []
    for name in names:
        for method, key, start, end in (
            ("describe_processing_job", "ProcessingJobName", "ProcessingStartTime", "ProcessingEndTime"),
            ("describe_training_job", "TrainingJobName", "TrainingStartTime", "TrainingEndTime"),
        ):
            try:
                doc = getattr(backend.sagemaker, method)(**{key: name})
            except Exception:  # noqa: BLE001 - the other kind
                continue
            if doc.get(start) and doc.get(end):
                edges += [(doc[start].timestamp(), 1), (doc[end].timestamp(), -1)]
    now = peak = 0
    for _, step in sorted(edges):
        now += step
        peak = max(peak, now)
    return peak


def run_batch(n: int, slots: int | None, work: Path) -> dict[str, Any]:
    """Upload ``n`` files at once in a fresh workspace; wait for every run."""
    from sagestep.backends.local import LocalBackend
    from sagestep.cli.examples import make_data, manifest
    from sagestep.sagemaker.capacity import write_slots
    from sagestep.triggers.watcher import upload

    home = work / "ws"
    home.mkdir(parents=True)
    if slots:
        write_slots(home, slots)
    backend = LocalBackend(home)
    spec = manifest(EXAMPLE)
    data = work / "data"
    make_data(EXAMPLE / spec["data"], data)
    backend.register(EXAMPLE / "pipeline.yaml")
    backend.state_machine_arn  # noqa: B018 - machine setup is one-off, not per run
    prefix = spec["start"]["to"].rsplit("/", 1)[0]
    sources = []
    for i in range(n):
        sources.append(work / f"batch-{n}-{i}.csv")
        shutil.copy(data / spec["start"]["upload"], sources[-1])
    try:
        with PeakMemory() as memory:
            start = time.perf_counter()
            refs = [ref for i, src in enumerate(sources)
                    for ref in upload(backend, src, f"{prefix}/batch-{i}.csv")]
            infos = []
            for ref in refs:
                backend.runtime.engine.wait(ref.arn, timeout=1800)
                infos.append(backend.describe_run(ref.arn))
            wall = time.perf_counter() - start
        jobs = [j for info in infos for s in backend.stages(info.arn) for j in s.jobs]
        failed = [f"{i.name}: {i.status} {i.error} {i.cause[:200]}" for i in infos
                  if i.status != "SUCCEEDED"]
        described = backend.sagemaker.describe_endpoint(EndpointName="xgboost-breast-cancer")
        last = infos[-1].input["names"]["endpoint_config"]
        return {"n": n, "wall_s": round(wall, 2), "peak_mb": memory.peak,
                "slots": backend.runtime.sagemaker.capacity()["slots"],
                "jobs_at_once": jobs_at_once(backend, jobs), "failures": len(failed),
                "failed": failed, "endpoint_on_last_run": described["EndpointConfigName"] == last}
    finally:
        for endpoint in backend.endpoints():
            backend.sagemaker.delete_endpoint(EndpointName=endpoint["EndpointName"])
        backend.runtime.engine.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", default="1,5,20", help="comma-separated batch sizes (first: 1)")
    parser.add_argument("--slots", type=int, default=None, help="local slots (default: machine)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    sizes = [int(x) for x in args.n.split(",")]
    if sizes[0] != 1:
        sizes.insert(0, 1)  # the peer: one run's time in this session
    results = []
    with tempfile.TemporaryDirectory(prefix="sagestep-concurrency-") as tmp:
        for n in sizes:
            results.append(run_batch(n, args.slots, Path(tmp) / f"first-{n}"))
            print(f"  N={n:<3} done in {results[-1]['wall_s']} s", file=sys.stderr, flush=True)
        # One run again at the end: on a shared machine the load drifts during the session,
        # so the peer is the mean of one run before and one after the batches.
        again = run_batch(1, args.slots, Path(tmp) / "again")
    one = (results[0]["wall_s"] + again["wall_s"]) / 2
    print(f"one run alone: {results[0]['wall_s']:.1f} s before, {again['wall_s']:.1f} s after",
          file=sys.stderr)
    for r in results:
        r["vs_serial"] = round(r["wall_s"] / (r["n"] * one), 3)
    if args.json:
        print(json.dumps(results, indent=2))
        return
    print(f"one run alone: {one:.1f} s (mean of before and after; the peer for N x one run)")
    print(f"{'N':>3} {'wall':>8} {'N x one':>8} {'ratio':>6} {'peak mem':>9} "
          f"{'jobs at once/slots':>19} {'failures':>8} {'endpoint on last run':>21}")
    for r in results:
        print(f"{r['n']:>3} {r['wall_s']:>7.1f}s {r['n'] * one:>7.1f}s {r['vs_serial']:>6.2f} "
              f"{r['peak_mb']:>6} MB {r['jobs_at_once']:>11}/{r['slots']:<7} {r['failures']:>8} "
              f"{str(r['endpoint_on_last_run']):>21}")
        for line in r["failed"]:
            print(f"    FAILED {line}")
    last = results[-1]
    verdict = "meets" if last["vs_serial"] <= 0.8 and last["failures"] == 0 else "MISSES"
    print(f"target at N={last['n']}: ratio <= 0.8 and 0 failures -> {verdict}")


if __name__ == "__main__":
    main()

"""Web UI page times on a workspace with 1,000 runs (issue 11: every page under 300 ms).

    python bench/ui.py [--runs 1000] [--repeat 15] [--keep DIR]

Builds a real local workspace: two pipelines whose only stage is a manual approval (no job
processes, so 1,000 runs build in seconds), 1,000 runs started through the router, most of
them answered (approved or rejected) so the list mixes RUNNING, SUCCEEDED and FAILED. Then
it serves the UI with uvicorn on loopback and times real HTTP GETs of each page and each
JSON endpoint the pages poll (median and worst of --repeat), against the 300 ms floor.
"""

from __future__ import annotations

import argparse
import http.client
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

FLOOR_MS = 300.0
CONFIG = "name: {name}\ndefaults:\n  bucket: sagestep-bench\nstages:\n  approval:\n    mode: manual\n"


def build(home: Path, runs: int) -> tuple[Any, list[str]]:
    from sagestep.backends.local import LocalBackend

    backend = LocalBackend(home / "ws")
    for name in ("alpha", "beta"):
        path = home / f"{name}.yaml"
        path.write_text(CONFIG.format(name=name))
        backend.register(path)
    names = [backend.start_run("alpha" if i % 3 else "beta").name for i in range(runs)]
    deadline = time.monotonic() + 600
    waiting = set(names)
    while waiting and time.monotonic() < deadline:  # every run parks at its approval
        for name in list(waiting):
            if backend.run_view(name).waiting_approval:
                waiting.discard(name)
        time.sleep(0.2)
    for i, name in enumerate(names[: int(runs * 0.9)]):
        (backend.approve if i % 4 else backend.reject)(name, "bench")
    return backend, names


def timed(port: int, path: str, repeat: int) -> tuple[float, float, int]:
    times = []
    status = 0
    for _ in range(repeat):
        conn = http.client.HTTPConnection("127.0.0.1", port)
        start = time.perf_counter()
        conn.request("GET", path)
        response = conn.getresponse()
        response.read()
        times.append((time.perf_counter() - start) * 1000)
        status = response.status
        conn.close()
    return statistics.median(times), max(times), status


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    import socket

    import uvicorn

    from sagestep.ui.app import create_app, warm

    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        backend, names = build(Path(tmp), args.runs)
        print(f"workspace: {args.runs} runs built in {time.perf_counter() - started:.1f}s")
        answered = names[: int(args.runs * 0.9)]
        while any(backend.run_view(n).info.status == "RUNNING" for n in answered[-20:]):
            time.sleep(0.2)  # the engine worker finishes the answered runs before timing
        warm(backend)
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        server = uvicorn.Server(uvicorn.Config(create_app(backend), host="127.0.0.1", port=port,
                                               log_level="warning"))
        threading.Thread(target=server.run, daemon=True).start()
        while not server.started:
            time.sleep(0.02)
        waiting, done = names[-1], names[1]
        pages = [
            ("runs list (first page of 50)", "/"),
            ("runs list, page 10", "/?offset=450"),
            ("runs list, pipeline=beta", "/?pipeline=beta"),
            ("runs list, status=FAILED", "/?status=FAILED"),
            ("runs list poll (JSON)", "/api/runs"),
            ("run page (waiting)", f"/runs/{waiting}"),
            ("run page (finished)", f"/runs/{done}"),
            ("run poll (JSON, new events)", f"/api/runs/{waiting}/view?after=1000000"),
            ("stage detail (JSON)", f"/api/runs/{done}/stages/approval"),
            ("compare (last 20 runs)", "/compare?pipeline=alpha"),
            ("models", "/models"),
            ("endpoints", "/endpoints"),
        ]
        print(f"{'page':36} {'median ms':>10} {'worst ms':>10}  floor {FLOOR_MS:.0f} ms")
        worst_median = 0.0
        for label, path in pages:
            median, worst, status = timed(port, path, args.repeat)
            worst_median = max(worst_median, median)
            verdict = "ok" if median < FLOOR_MS and status == 200 else "SLOW" if status == 200 else f"HTTP {status}"
            print(f"{label:36} {median:10.1f} {worst:10.1f}  {verdict}")
        print(f"slowest median {worst_median:.1f} ms vs floor {FLOOR_MS:.0f} ms: "
              f"{'under' if worst_median < FLOOR_MS else 'OVER'}")
        server.should_exit = True
        backend.runtime.engine.close()


if __name__ == "__main__":
    main()

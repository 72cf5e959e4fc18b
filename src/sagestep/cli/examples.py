"""`sagestep example run NAME`: run a bundled example end to end on the local backend.

Each example directory holds ``pipeline.yaml`` (or the config named by ``config``), its
scripts, a ``data.py`` that writes the example's data into a directory, and an
``example.json`` manifest::

    {"config": "pipeline.yaml",
     "data": "data.py",
     "uploads": [{"file": "x.csv", "to": "s3://bucket/key"}],      # before registering
     "register": "s3://bucket/key",             # register this object instead of the config
     "name": "pipeline-name",                   # register under this name (default: the config's)
     "start": {"upload": "data.csv", "to": "s3://bucket/key"}       # an S3-triggered run
           | {"event": {...}}                                       # any router event
           | {"run": true, "params": {...}},                        # or a manual run
     "invoke": {"endpoint": "name", "file": "sample.csv", "content_type": "text/csv"}}
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from rich.console import Console

from sagestep.backends.base import RunInfo, RunRef
from sagestep.errors import SagestepError


def names(root: Path) -> list[str]:
    """The examples under ``root`` (directories with an example.json)."""
    return sorted(p.parent.name for p in root.glob("*/example.json"))


def manifest(directory: Path) -> dict[str, Any]:
    """The example's example.json (SagestepError naming the examples if missing)."""
    path = directory / "example.json"
    if not path.is_file():
        bundled = ", ".join(names(directory.parent)) or "none"
        raise SagestepError(f"no example {directory.name!r}; bundled: {bundled}")
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def run_example(
    backend: Any, directory: Path, console: Console, *, logs: bool = False,
    timeout: float | None = None, keep: bool = False,
) -> RunInfo:
    """Prepare data, register, start, follow; then invoke the endpoint. Exit 1 on failure."""
    from sagestep.cli.follow import follow
    from sagestep.cli.pipeline import finish, print_registered
    from sagestep.triggers.watcher import upload

    spec = manifest(directory)
    with tempfile.TemporaryDirectory(prefix="sagestep-example-") as tmp:
        data = Path(tmp)
        if spec.get("data"):
            make_data(directory / spec["data"], data)
        for extra in spec.get("uploads", []):
            source = _resolve(extra["file"], directory, data)
            upload(backend, source, extra["to"])
        done = backend.register(spec.get("register") or directory / spec.get("config", "pipeline.yaml"),
                                spec.get("name"))
        print_registered(console, done)
        start = spec.get("start") or {"run": True}
        if "upload" in start:
            refs = upload(backend, _resolve(start["upload"], directory, data), start["to"])
            console.print(f"uploaded {start['to']}")
            ref = _only(refs, done.name, start["to"])
        elif "event" in start:  # e.g. seed 002's {"config": {"bucket", "prefix"}}
            ref = _only(backend.send_event(start["event"]), done.name, json.dumps(start["event"]))
        else:
            ref = backend.start_run(done.name, params=start.get("params"))
        console.print(f"started {ref.name}")
        info = follow(backend, ref.arn, console, logs=logs, timeout=timeout)
        if info.status == "SUCCEEDED" and spec.get("invoke"):
            _invoke(backend, spec["invoke"], directory, data, console)
        if info.status == "SUCCEEDED":
            _endpoints(backend, info.name, console, keep)
    finish(console, info)
    return info


def make_data(script: Path, out: Path) -> None:
    """Run an example's data script (a separate process: it may import what it likes)."""
    done = subprocess.run([sys.executable, str(script), str(out)], capture_output=True, text=True)
    if done.returncode != 0:
        raise SagestepError(f"{script} failed (exit {done.returncode}): {done.stderr[-2000:]}")


def _invoke(backend: Any, spec: dict[str, Any], directory: Path, data: Path, console: Console) -> None:
    body = _resolve(spec["file"], directory, data).read_bytes()
    answer = backend.invoke(spec["endpoint"], body, spec.get("content_type", "text/csv"))
    console.print(f"prediction from endpoint {spec['endpoint']}:")
    for line in answer.decode(errors="replace").strip().splitlines():
        console.print(f"  {line}", markup=False)


def _endpoints(backend: Any, run: str, console: Console, keep: bool) -> None:
    """Report the run's endpoints; delete them (stopping their servers) unless ``keep``."""
    from sagestep.cli.deployed import deployed_endpoints, print_deployed

    if keep:
        print_deployed(console, backend, run)
        return
    for name in deployed_endpoints(backend, run):
        backend.delete_endpoint(name)
        console.print(f"deleted endpoint {name} (its server stopped; keep it with --keep)")


def _resolve(name: str, directory: Path, data: Path) -> Path:
    for base in (data, directory):
        if (base / name).is_file():
            return base / name
    raise SagestepError(f"example file {name!r} is in neither {directory} nor its generated data")


def _only(refs: list[RunRef], pipeline: str, uri: str) -> RunRef:
    mine = [r for r in refs if r.pipeline == pipeline]
    if not mine:
        raise SagestepError(f"{uri} started no run of {pipeline}; check its triggers")
    return mine[0]

"""Whole-pipeline chaos: SIGKILL the sagestep process that works a run, restart, compare.

One trial = a fresh workspace, a bundled example (or the approval variant) started by a real
`sagestep upload` (the "follower", itself a worker) or under a real `sagestep server`; the
process doing the work is SIGKILLed at a named point or a random moment, a `sagestep server`
is started 0.1-5 s later, and the run must end SUCCEEDED with the outputs of an uninterrupted
run. Everything here reads the workspace passively (SQLite in query-only mode, files), so the
harness itself never becomes a worker. Used by tests/chaos/test_pipeline_chaos.py (a few
trials) and bench/chaos.py (many).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.chaos.crashcheck import orphan_processes, rows_running_under_dead_owners

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"
TRIAL_LIMIT_S = 240.0
SERVER_ARGS = ("server", "--no-watch", "--no-schedules", "--poll", "0.2")

# Which kill points each pipeline can reach.
POINTS = {
    "xgboost-breast-cancer": ("random", "job_running", "job_ends_in_downtime", "lambda_call",
                              "endpoint"),
    "diabetes-regression": ("random", "job_running", "job_ends_in_downtime", "lambda_call",
                            "batch_transform"),
    "approval": ("random", "approval_wait", "job_ends_in_downtime", "batch_transform"),
}


@dataclass
class Outcome:
    """One trial's verdict; ``problems`` empty means passed."""

    pipeline: str
    point: str
    victim: str
    reached: bool = False
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def passed(self) -> bool:
        return not self.problems


class Workspace:
    """A fresh workspace for one pipeline, prepared up to (not including) its start."""

    def __init__(self, pipeline: str, root: Path, data: Path) -> None:
        self.pipeline, self.home, self.data = pipeline, root / "ws", data
        self.example = EXAMPLES / ("diabetes-regression" if pipeline == "approval" else pipeline)
        self.spec = json.loads((self.example / "example.json").read_text())
        self.procs: list[subprocess.Popen[bytes]] = []

    # -- processes -------------------------------------------------------------------------

    def cli(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "sagestep", *args, "--home", str(self.home)],
                              capture_output=True, text=True, timeout=timeout, env=_env())

    def spawn(self, *args: str) -> subprocess.Popen[bytes]:
        log = open(self.home.parent / f"proc-{len(self.procs)}.log", "wb")  # noqa: SIM115
        proc = subprocess.Popen([sys.executable, "-m", "sagestep", *args, "--home", str(self.home)],
                                stdout=log, stderr=subprocess.STDOUT, env=_env())
        self.procs.append(proc)
        return proc

    def server(self) -> subprocess.Popen[bytes]:
        return self.spawn(*SERVER_ARGS)

    def prepare(self) -> None:
        self.home.mkdir(parents=True, exist_ok=True)
        for extra in self.spec.get("uploads", []):
            self._must(self.cli("upload", str(self._file(extra["file"])), extra["to"], "--no-follow"))
        self._must(self.cli("register", str(self._config())))

    def start(self, follow: bool) -> subprocess.Popen[bytes]:
        """Start the run with `sagestep upload`; following, that process works the run."""
        start = self.spec["start"]
        return self.spawn("upload", str(self._file(start["upload"])), start["to"],
                          "--follow" if follow else "--no-follow", "--timeout", str(TRIAL_LIMIT_S))

    def _config(self) -> Path:
        config = self.example / self.spec.get("config", "pipeline.yaml")
        if self.pipeline != "approval":
            return config
        # The diabetes pipeline with a manual approval before register.
        target = self.home.parent / "approval-config"
        if not target.exists():
            shutil.copytree(self.example, target)
            text = (target / "pipeline.yaml").read_text()
            text = text.replace("  register:\n", "  approval:\n    mode: manual\n  register:\n", 1)
            (target / "pipeline.yaml").write_text(text)
        return target / "pipeline.yaml"

    def _file(self, name: str) -> Path:
        for base in (self.data, self.example):
            if (base / name).is_file():
                return base / name
        raise FileNotFoundError(name)

    @staticmethod
    def _must(done: subprocess.CompletedProcess[str]) -> None:
        if done.returncode != 0:
            raise RuntimeError(f"{done.args}: {done.stdout[-2000:]} {done.stderr[-2000:]}")

    def close(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()

    # -- passive reads -----------------------------------------------------------------------

    def db(self) -> sqlite3.Connection:
        conn = sqlite3.connect(f"file:{self.home / 'sagestep.db'}?mode=ro", uri=True, timeout=5)
        conn.execute("PRAGMA query_only = 1")
        return conn

    def query(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        try:
            conn = self.db()
        except sqlite3.OperationalError:
            return []
        try:
            return conn.execute(sql, params).fetchall()
        except sqlite3.OperationalError:
            return []  # tables not created yet, or a write lock held for a moment
        finally:
            conn.close()

    def run(self) -> tuple[str, str] | None:
        rows = self.query("SELECT name, status FROM sfn_executions ORDER BY started LIMIT 1")
        return (rows[0][0], rows[0][1]) if rows else None

    def jobs(self) -> list[tuple[str, str, dict[str, Any]]]:
        rows = self.query("SELECT kind, name, doc FROM sm_records WHERE kind IN"
                          " ('training-job', 'processing-job', 'transform-job')")
        return [(k, n, json.loads(d)) for k, n, d in rows]


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO / "src"), str(REPO),
                                                      env.get("PYTHONPATH")]))
    return env


# -- kill points ------------------------------------------------------------------------------

def _status(doc: dict[str, Any]) -> str:
    return str(next((v for k, v in doc.items() if k.endswith("JobStatus")), ""))


def _running_job(ws: Workspace, kind: str | None = None) -> str | None:
    for k, name, doc in ws.jobs():
        started = any(doc.get(f) for f in ("TrainingStartTime", "ProcessingStartTime",
                                           "TransformStartTime"))
        if (kind is None or k == kind) and _status(doc) == "InProgress" and started:
            return f"{k}/{name}"
    return None


def _detector(point: str, started: float, random_at: float) -> Callable[[Workspace], Any]:
    def detect(ws: Workspace) -> Any:
        if point == "random":  # a kill before the run exists would only undo the command
            return (ws.run() is not None and time.monotonic() - started >= random_at) or None
        if point in ("job_running", "job_ends_in_downtime"):
            return _running_job(ws)
        if point == "batch_transform":
            return _running_job(ws, "transform-job")
        if point == "approval_wait":
            return ws.query("SELECT 1 FROM sfn_task_tokens WHERE status = 'WAITING'") or None
        if point == "lambda_call":
            return ws.query("SELECT 1 FROM sfn_calls WHERE status = 'RUNNING'") or None
        if point == "endpoint":
            return ws.query("SELECT name FROM sm_records WHERE kind = 'endpoint' AND"
                            " json_extract(doc, '$.EndpointStatus') IN ('Creating', 'Updating')")\
                or None
        raise ValueError(point)
    return detect


def _approve_when_waiting(ws: Workspace) -> None:
    run = ws.run()
    if run and ws.query("SELECT 1 FROM sfn_task_tokens WHERE status = 'WAITING'"):
        ws.cli("approve", run[0], "--no-follow")


def _wait_exit_code(ws: Workspace, job: str, limit_s: float = 120) -> None:
    kind, name = job.split("/", 1)
    rc = ws.home / "jobs" / kind / f"{name}.run" / "exitcode"
    deadline = time.monotonic() + limit_s
    while not rc.exists() and time.monotonic() < deadline:
        time.sleep(0.05)


def trial(pipeline: str, point: str, victim: str, root: Path, data: Path,
          baseline: dict[str, Any] | None, rng: random.Random,
          typical_s: float = 20.0) -> tuple[Outcome, dict[str, Any]]:
    """Run one trial; its outcome and the outputs it produced."""
    out = Outcome(pipeline, point, victim)
    began = time.monotonic()
    ws = Workspace(pipeline, root, data)
    outputs: dict[str, Any] = {}
    try:
        ws.prepare()
        worker = ws.start(follow=True) if victim == "follower" else None
        if worker is None:
            worker = ws.server()
            time.sleep(0.5)
            ws.start(follow=False).wait(60)
        detect = _detector(point, time.monotonic(), rng.uniform(0.5, typical_s * 0.9))
        deadline = time.monotonic() + TRIAL_LIMIT_S
        found = None
        while point != "none" and found is None and time.monotonic() < deadline:
            run = ws.run()
            if run and run[1] != "RUNNING":
                break  # ended before the point was reached
            found = detect(ws)
            if found is None:
                if point != "approval_wait":
                    _approve_when_waiting(ws)
                time.sleep(0.005 if point == "lambda_call" else 0.05)
        if found is not None:
            out.reached = True
            worker.send_signal(signal.SIGKILL)
            worker.wait()
            if point == "job_ends_in_downtime":
                _wait_exit_code(ws, str(found))
            time.sleep(rng.uniform(0.1, 5.0))
            worker = ws.server()
        elif victim == "follower":
            worker = ws.server()  # nothing killed: a server finishes what the follower left
        outputs = _finish(ws, out, deadline)
        if baseline is not None and out.passed:
            _compare(baseline, outputs, out)
    except Exception as exc:  # noqa: BLE001 - a harness error is a failed trial, with its reason
        out.problems.append(f"harness: {type(exc).__name__}: {exc}")
    finally:
        ws.close()
        left = orphan_processes(ws.home)
        if left:
            out.problems.append(f"orphan processes: {left}")
            for pid in left:
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)
        out.seconds = time.monotonic() - began
    return out, outputs


def _finish(ws: Workspace, out: Outcome, deadline: float) -> dict[str, Any]:
    while time.monotonic() < deadline:
        run = ws.run()
        if run and run[1] != "RUNNING":
            break
        _approve_when_waiting(ws)
        time.sleep(0.2)
    run = ws.run()
    if run is None or run[1] != "SUCCEEDED":
        status = ws.cli("status", run[0]).stdout if run else "no run"
        out.problems.append(f"run {run}: {status[-1500:]}")
        return {}
    dead = rows_running_under_dead_owners(ws.home / "sagestep.db")
    if dead:
        out.problems.append(f"rows RUNNING under dead owners: {dead}")
    outputs = collect(ws)
    for name in outputs.get("endpoints", []):
        ws.cli("endpoints", "delete", name)
    return outputs


def collect(ws: Workspace) -> dict[str, Any]:
    """What the run produced, free of run ids: model bytes, predictions, packages, jobs."""
    from sagestep.stores.objectstore import LocalObjectStore

    store = LocalObjectStore(ws.home / "s3")
    run_id = (ws.run() or ("", ""))[0].rsplit("-", 1)[-1]
    found: dict[str, Any] = {"jobs": {}, "models": {}, "predictions": {}, "endpoints": []}
    for kind, name, doc in ws.jobs():
        found["jobs"][f"{kind}:{name.replace(run_id, 'RUN')}"] = _status(doc)
        if kind == "training-job":
            found["models"][name.replace(run_id, "RUN")] = _tar_digest(
                store, doc["ModelArtifacts"]["S3ModelArtifacts"])
        if kind == "transform-job":
            prefix = doc["TransformOutput"]["S3OutputPath"]
            found["predictions"].update(_digests(store, prefix, run_id))
    packages = ws.query("SELECT doc FROM sm_records WHERE kind = 'model-package'")
    found["packages"] = sorted(json.loads(d[0]).get("ModelApprovalStatus", "") for d in packages)
    for (name,) in ws.query("SELECT name FROM sm_records WHERE kind = 'endpoint'"):
        found["endpoints"].append(name)
        sample = ws.spec.get("invoke", {}).get("file")
        if sample:
            done = ws.cli("endpoints", "invoke", name, str(ws._file(sample)))  # noqa: SLF001
            found["predictions"][f"endpoint:{name}"] = hashlib.sha256(done.stdout.encode()).hexdigest()
    return found


def _tar_digest(store: Any, uri: str) -> dict[str, str]:
    from sagestep.stores.objectstore import parse_uri

    bucket, key = parse_uri(uri)
    data = store.get_bytes(bucket, key)
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:  # members, not tar metadata (mtimes)
        return {m.name: hashlib.sha256(tar.extractfile(m).read()).hexdigest()  # type: ignore[union-attr]
                for m in tar.getmembers() if m.isfile()}


def _digests(store: Any, prefix: str, run_id: str) -> dict[str, str]:
    from sagestep.stores.objectstore import parse_uri

    bucket, key = parse_uri(prefix)
    root = store.bucket_path(bucket) / key.strip("/")
    return {str(p.relative_to(root)).replace(run_id, "RUN"): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()} if root.is_dir() else {}


def _compare(baseline: dict[str, Any], got: dict[str, Any], out: Outcome) -> None:
    for key in ("jobs", "models", "predictions", "packages"):
        if baseline.get(key) != got.get(key):
            out.problems.append(f"{key} differ from the uninterrupted run: "
                                f"{baseline.get(key)} != {got.get(key)}")


def prepare_data(pipeline: str, into: Path) -> Path:
    """The example's generated data (once per pipeline)."""
    example = EXAMPLES / ("diabetes-regression" if pipeline == "approval" else pipeline)
    spec = json.loads((example / "example.json").read_text())
    into.mkdir(parents=True, exist_ok=True)
    if spec.get("data") and not any(into.iterdir()):
        subprocess.run([sys.executable, str(example / spec["data"]), str(into)], check=True,
                       env=_env())
    return into


def baseline(pipeline: str, root: Path, data: Path) -> tuple[dict[str, Any], float]:
    """The outputs of an uninterrupted run under a server, and how long it took."""
    out, outputs = trial(pipeline, "none", "server", root, data, None, random.Random(0))
    if not out.passed:
        raise RuntimeError(f"the uninterrupted run of {pipeline} failed: {out.problems}")
    return outputs, out.seconds


def scratch() -> Path:
    return Path(tempfile.mkdtemp(prefix="sagestep-chaos-"))

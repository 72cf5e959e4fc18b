import threading
import time

from rich.console import Console

from sagestep.backends.local import LocalBackend
from sagestep.cli.server import serve
from tests.backends.test_local import DEFINITION, Registry, pipeline


def test_server_watches_uploads_fires_schedules_and_stops_cleanly(tmp_path):
    scheduled = pipeline("nightly", triggers={"schedules": [{"expression": "rate(1 minute)"}]})
    backend = LocalBackend(tmp_path / "ws", registry=Registry(pipeline(), scheduled),
                           definition=DEFINITION)
    clock = {"now": 1_700_000_000.0}
    stop = threading.Event()
    console = Console(file=open(tmp_path / "server.log", "w"), width=200)  # noqa: SIM115
    thread = threading.Thread(target=serve, args=(backend, stop, console),
                              kwargs={"poll": 0.05, "now": lambda: clock["now"]})
    thread.start()
    try:
        _until(lambda: "watching" in (tmp_path / "server.log").read_text())
        time.sleep(0.2)  # let the watcher take its baseline
        backend.runtime.object_store.create_bucket("landing")
        backend.runtime.object_store.put_bytes("landing", "in/new.csv", b"1,2\n")
        _until(lambda: len(backend.list_runs("churn")) == 1)
        clock["now"] += 61  # the rate(1 minute) schedule is due
        _until(lambda: len(backend.list_runs("nightly")) == 1)
    finally:
        stop.set()
        thread.join(10)
    assert not thread.is_alive()
    (run,) = backend.list_runs("churn")
    assert run.input["run"]["trigger"]["key"] == "in/new.csv"
    (night,) = backend.list_runs("nightly")
    assert night.input["run"]["trigger"]["rule"] == "sagestep-nightly-schedule-0"
    log = (tmp_path / "server.log").read_text()
    assert "schedule sagestep-nightly-schedule-0 fired" in log and log.endswith("server stopped\n")


def _until(predicate, timeout=15.0):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.05)


def test_ctrl_c_stops_the_server_process_cleanly(tmp_path):
    import signal
    import subprocess
    import sys

    proc = subprocess.Popen(
        [sys.executable, "-m", "sagestep", "server", "--home", str(tmp_path / "ws"), "--poll", "0.1"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    lines = []
    for line in proc.stdout:
        lines.append(line)
        if line.startswith("watching"):
            break
    proc.send_signal(signal.SIGINT)
    rest, _ = proc.communicate(timeout=20)
    output = "".join(lines) + rest
    assert proc.returncode == 0, output
    assert output.endswith("server stopped\n") and "Traceback" not in output

"""The UI app without a browser: escaping, CSRF and Host checks, plain errors, the CLI entry points."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from tests.ui.conftest import Client, free_port, served

from sagestep.backends.base import RunInfo
from sagestep.backends.local import LocalBackend
from sagestep.backends.views import RunsPage
from sagestep.ui import graph, pages
from sagestep.ui.app import create_app

EVIL = '"><script>alert(1)</script><img src=x onerror=alert(2)>'
TOKEN = "t0ken"


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    backend = LocalBackend(tmp_path_factory.mktemp("app") / "ws")
    with served(create_app(backend, token=TOKEN)) as port:
        yield Client(port)
    if "runtime" in backend.__dict__:
        backend.runtime.engine.close()


def test_attacker_text_is_escaped_in_every_renderer():
    info = RunInfo(arn="arn:" + EVIL, name=EVIL, status="FAILED", pipeline=EVIL,
                   config_version=1, input={"run": {"trigger": {"type": EVIL}}})
    html = pages.run_row("", info) + pages.failure_box({"stage": EVIL, "error": EVIL, "cause": EVIL})
    html += graph.svg([(EVIL, "RUNNING")]) + pages.event_tr(
        {"id": 1, "at": EVIL, "type": EVIL, "name": EVIL, "detail": EVIL})
    html += pages.runs_body("", RunsPage((info,), 0, None, (EVIL,)), {"pipeline": EVIL})
    assert "<script>" not in html and "<img" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_actions_need_the_page_token_and_the_same_origin(client):
    page = client.get("/")
    assert page.status_code == 200 and f'content="{TOKEN}"' in page.text
    refused = client.post("/api/runs/some-run/approve", json={})
    assert refused.status_code == 403 and "X-CSRF-Token" in refused.json()["error"]
    cross = client.post("/api/runs/some-run/approve", json={},
                        headers={"X-CSRF-Token": TOKEN, "Origin": "http://evil.example"})
    assert cross.status_code == 403 and "cross-origin" in cross.json()["error"]
    # with the token the request reaches the backend, which answers in its own words
    allowed = client.post("/api/runs/some-run/approve", json={},
                          headers={"X-CSRF-Token": TOKEN, "Origin": f"http://127.0.0.1:{client.port}"})
    assert allowed.status_code == 400 and "ExecutionDoesNotExist" in allowed.json()["error"]


def test_a_foreign_host_header_is_refused(client):
    response = client.get("/", headers={"Host": "attacker.example"})
    assert response.status_code == 421


def test_bad_input_is_a_plain_message_not_a_traceback(client):
    page = client.get("/runs/ghost")
    assert page.status_code == 400 and "no run &#x27;ghost&#x27;" in page.text
    assert "Traceback" not in page.text
    dates = client.get("/?since=yesterday")
    assert dates.status_code == 400 and "since: &#x27;yesterday&#x27; is not a date" in dates.text
    started = client.post("/api/runs", json={"pipeline": "ghost", "params": "{nope"},
                          headers={"X-CSRF-Token": TOKEN})
    assert started.status_code == 400 and "parameters are not JSON" in started.json()["error"]
    started = client.post("/api/runs", json={"pipeline": "ghost"}, headers={"X-CSRF-Token": TOKEN})
    assert started.status_code == 400 and "ghost" in started.json()["error"]


def _get(url: str, deadline: float) -> str:
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return response.read().decode()
        except (urllib.error.URLError, ConnectionError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


@pytest.mark.slow
@pytest.mark.parametrize("command", ["ui", "server"])
def test_cli_serves_the_ui_on_loopback(tmp_path: Path, command: str):
    port = free_port()
    args = (["ui", "--port", str(port)] if command == "ui"
            else ["server", "--ui-port", str(port), "--no-watch", "--no-schedules"])
    src = str(Path(__file__).resolve().parents[2] / "src")
    env = {**os.environ, "PYTHONPATH": src + os.pathsep + os.environ.get("PYTHONPATH", "")}
    proc = subprocess.Popen([sys.executable, "-m", "sagestep", *args, "--home", str(tmp_path / "ws")],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        base = f"http://127.0.0.1:{port}" + ("/ui" if command == "server" else "")
        html = _get(base + "/", time.monotonic() + 60)
        assert "<h1>Runs</h1>" in html and f'href="{base[len(f"http://127.0.0.1:{port}"):]}/static/app.css"' in html
        assert "escapeHTML" not in _get(base + "/static/app.js", time.monotonic() + 5)
    finally:
        proc.terminate()
        out, _ = proc.communicate(timeout=20)
    assert "Traceback" not in out


def test_aws_jobs_link_to_their_console_page():
    from types import SimpleNamespace

    from sagestep.ui.api import console_url

    aws = SimpleNamespace(kind="aws", settings=SimpleNamespace(region="eu-west-1"))
    assert console_url(aws, "training", "churn-train-1") == (
        "https://eu-west-1.console.aws.amazon.com/sagemaker/home?region=eu-west-1"
        "#/jobs/churn-train-1")
    assert console_url(SimpleNamespace(kind="local"), "training", "j") == ""


def test_graph_is_layered_top_down_with_status_in_words():
    nodes, height = graph.layout([("preprocessing", "SUCCEEDED"), ("training", "RETRYING"),
                                  ("approval", "WAITING_FOR_APPROVAL")])
    assert [n.key for n in nodes] == ["start", "preprocessing", "training", "approval", "end"]
    assert all(a.y + a.h < b.y for a, b in zip(nodes, nodes[1:], strict=False))
    assert height > nodes[-1].y
    svg = graph.svg([("training", "RETRYING"), ("approval", "WAITING_FOR_APPROVAL")])
    assert 'class="node st-RETRYING"' in svg and "↻ retrying" in svg
    assert "waiting for approval" in svg and svg.count("<line") == 3


def test_metric_charts_name_min_max_and_latest():
    from datetime import UTC, datetime

    from sagestep.ui import charts

    runs = [(RunInfo(arn=f"a{i}", name=f"r{i}", status="SUCCEEDED",
                     start=datetime(2024, 1, i + 1, tzinfo=UTC)), {"error": v})
            for i, v in enumerate([0.3, 0.1, 0.2])]
    drawn = charts.charts(runs)
    assert drawn.count("<figure") == 1 and drawn.count("<circle") == 3
    assert "error: 3 runs, min 0.1, max 0.3, latest 0.2" in drawn
    assert charts.charts([]) == "<p class=empty>No metrics yet.</p>"


def test_server_with_a_busy_ui_port_says_so_and_goes_on():
    import io
    import socket

    from rich.console import Console

    from sagestep.cli.server import _start_web

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        out = io.StringIO()
        assert _start_web(None, busy.getsockname()[1], Console(file=out, width=200)) is None
    assert "web UI not started" in out.getvalue() and "--ui-port" in out.getvalue()

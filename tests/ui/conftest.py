"""One real workspace, one real UI server and one real browser (Debian's chromium) per module.

Screenshots go to out/ui/ (git-ignored) as test artefacts.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from tests.ui.workspace import write_configs

from sagestep.backends.local import LocalBackend
from sagestep.ui.app import create_app, warm

SHOTS = Path(__file__).resolve().parents[2] / "out" / "ui"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
LAPTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def served(app: Any) -> Iterator[int]:
    """``app`` served by uvicorn on a free loopback port (yields the port)."""
    import uvicorn

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    try:
        yield port
    finally:
        server.should_exit = True
        thread.join(10)


@dataclass
class Reply:
    status_code: int
    text: str

    def json(self) -> Any:
        return json.loads(self.text)


class Client:
    """A plain HTTP client for the served UI (real sockets, headers as given)."""

    def __init__(self, port: int) -> None:
        self.port = port

    def request(self, method: str, path: str, body: Any = None,
                headers: dict[str, str] | None = None) -> Reply:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        data = None if body is None else json.dumps(body)
        sent = {"Host": f"127.0.0.1:{self.port}", **(headers or {})}
        if data is not None:
            sent["Content-Type"] = "application/json"
        conn.request(method, path, body=data, headers=sent)
        response = conn.getresponse()
        reply = Reply(response.status, response.read().decode())
        conn.close()
        return reply

    def get(self, path: str, headers: dict[str, str] | None = None) -> Reply:
        return self.request("GET", path, headers=headers)

    def post(self, path: str, json: Any = None, headers: dict[str, str] | None = None) -> Reply:
        return self.request("POST", path, json if json is not None else {}, headers)


class Site:
    """The served UI: its backend, base URL and the configs registered in it."""

    def __init__(self, backend: LocalBackend, url: str, configs: dict[str, Path]) -> None:
        self.backend, self.url, self.configs = backend, url, configs

    def wait(self, run: str, check: Any, timeout: float = 60) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            view = self.backend.run_view(run)
            if check(view):
                return view
            time.sleep(0.2)
        raise AssertionError(f"{run} never reached the expected state: {view.info.status}")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    root = tmp_path_factory.mktemp("ui")
    configs = write_configs(root)
    backend = LocalBackend(root / "ws")
    for path in configs.values():
        backend.register(path)
    warm(backend)
    try:
        with served(create_app(backend)) as port:
            yield Site(backend, f"http://127.0.0.1:{port}", configs)
    finally:
        for endpoint in backend.endpoints():  # endpoint servers are processes: stop them
            backend.delete_endpoint(str(endpoint["EndpointName"]))
        backend.runtime.engine.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if CHROMIUM is None:
        pytest.fail("chromium is not installed: apt-get install -y chromium (scripts/test.sh does)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as play:
        launched = play.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport=LAPTOP)
    opened = context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda exc: errors.append(str(exc)))
    yield opened
    context.close()
    assert not errors, f"script errors on the page: {errors}"


def shoot(page: Any, name: str, phone: bool = True) -> None:
    """Save the page at laptop width, and at phone width too."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}-laptop.png"), full_page=True)
    if phone:
        size = page.viewport_size
        page.set_viewport_size(PHONE)
        page.screenshot(path=str(SHOTS / f"{name}-phone.png"))  # the first screen a phone shows
        page.set_viewport_size(size)

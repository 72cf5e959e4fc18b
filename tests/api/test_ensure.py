"""ensure_api: reuse the API another process serves for the workspace, else start one here."""

from __future__ import annotations

import json
import subprocess
import sys

from sagestep.api import ensure_api
from sagestep.api.server import _started, running
from sagestep.local import LocalRuntime
from sagestep.workspace import Workspace


def test_starts_one_when_api_json_is_stale_and_others_reuse_it(tmp_path) -> None:
    ws = Workspace.resolve(tmp_path / "ws")
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True).stdout.strip()
    ws.api_info_path.write_text(json.dumps({"url": "http://127.0.0.1:9", "pid": int(dead)}))
    assert running(ws) is None
    rt = LocalRuntime(ws)
    try:
        ep = rt.api_endpoint()
        assert ep.url.startswith("http://127.0.0.1:") and ep.url != "http://127.0.0.1:9"
        assert (ep.access_key, ep.secret_key) == ws.api_keys()
        assert ensure_api(rt) == ep  # the same server, not a second one
        assert ep.env()["AWS_ENDPOINT_URL"] == ep.url and ep.env()["AWS_DEFAULT_REGION"] == "us-east-1"
        code = ("from sagestep.api import ensure_api; from sagestep.workspace import Workspace; "
                f"print(ensure_api(Workspace.resolve({str(ws.root)!r})).url)")
        other = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
        assert other.stdout.strip() == ep.url  # found through api.json: no server started there
    finally:
        server = _started.pop(str(ws.root), None)
        if server is not None:
            server.stop()
    assert not ws.api_info_path.exists()


def test_keys_are_private_and_stable(tmp_path) -> None:
    ws = Workspace.resolve(tmp_path / "ws")
    assert ws.api_keys_path.stat().st_mode & 0o777 == 0o600
    assert Workspace.resolve(tmp_path / "ws").api_keys() == ws.api_keys()
    assert Workspace.resolve(tmp_path / "other").api_keys() != ws.api_keys()


def test_a_bare_workspace_without_a_server_gets_a_clear_error(tmp_path) -> None:
    import pytest

    from sagestep.errors import SagestepError

    with pytest.raises(SagestepError, match="no local AWS API answers for workspace"):
        ensure_api(Workspace.resolve(tmp_path / "ws"))


def test_a_server_started_directly_serves_this_process_jobs_too(tmp_path) -> None:
    """`sagestep server` starts its ApiServer itself: jobs of that process (ensure_api) must get
    that server, not start a second one racing it for the workspace's files."""
    from concurrent.futures import ThreadPoolExecutor

    from sagestep.api import sdk_config
    from sagestep.api.server import ApiServer

    ws = Workspace.resolve(tmp_path / "ws")
    rt = LocalRuntime(ws)
    server = ApiServer(rt)
    try:
        ep = server.start()
        ws.api_info_path.unlink()  # even when api.json cannot point at it
        assert ensure_api(rt).url == ep.url
        with ThreadPoolExecutor(8) as pool:  # servers starting at once write the SDK file
            paths = list(pool.map(lambda _: sdk_config.write(ws.root, "us-east-1", "1"), range(32)))
        assert {p.name for p in paths} == {sdk_config.FILE_NAME}
        assert not [p for p in ws.root.iterdir() if p.name.startswith(f".{sdk_config.FILE_NAME}")]
    finally:
        _started.pop(str(ws.root), None)
        server.stop()

"""The model server process over raw sockets: keep-alive, pipelining, chunked bodies, drain."""

from __future__ import annotations

import re
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from sagestep.algorithms import BUILTINS
from sagestep.sagemaker.process import alive
from sagestep.serving import fleet
from sagestep.serving.handler import ServingSpec
from tests.serving.helpers import xgboost_model_bytes

pytestmark = pytest.mark.slow
ROW = ",".join(["1.5"] * 30).encode()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[fleet.Server]:
    workdir = tmp_path_factory.mktemp("server")
    (workdir / "model").mkdir()
    (workdir / "model" / "xgboost-model").write_bytes(xgboost_model_bytes(3))
    spec = ServingSpec(model_dir=str(workdir / "model"),
                       builtin_handler=BUILTINS["xgboost"].serving_handler)
    running = fleet.start(spec, workdir, timeout=60)
    yield running
    fleet.stop(running, grace=5)


def _exchange(port: int, payload: bytes, responses: int) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(payload)
        data = b""
        while data.count(b"HTTP/1.1 ") < responses or not _complete(data):
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    return data


def _complete(data: bytes) -> bool:
    head, _, body = data.rpartition(b"\r\n\r\n")
    length = [int(line.split(b":")[1]) for line in head.split(b"\r\n")
              if line.lower().startswith(b"content-length")]
    return bool(length) and len(body) >= length[-1]


def _post(body: bytes, extra: str = "") -> bytes:
    return (f"POST /invocations HTTP/1.1\r\nHost: x\r\nContent-Type: text/csv\r\n{extra}"
            f"Content-Length: {len(body)}\r\n\r\n").encode() + body


def test_ping_404_and_pipelined_keep_alive(server: fleet.Server) -> None:
    data = _exchange(server.port, b"GET /ping HTTP/1.1\r\nHost: x\r\n\r\n" + _post(ROW)
                     + b"GET /nope HTTP/1.1\r\nHost: x\r\n\r\n", 3)
    assert re.findall(rb"HTTP/1\.1 (\d{3})", data) == [b"200", b"200", b"404"]


def test_chunked_body_and_split_packets(server: fleet.Server) -> None:
    chunked = (b"POST /invocations HTTP/1.1\r\nHost: x\r\nContent-Type: text/csv\r\n"
               b"Transfer-Encoding: chunked\r\n\r\n" + f"{len(ROW):x}\r\n".encode() + ROW
               + b"\r\n0\r\n\r\n")
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        for i in range(0, len(chunked), 7):  # byte-dribbled request
            sock.sendall(chunked[i:i + 7])
        answer = sock.recv(65536)
    assert answer.startswith(b"HTTP/1.1 200 OK")
    assert float(answer.split(b"\r\n\r\n", 1)[1]) > 0


def test_execution_parameters_and_payload_limit(server: fleet.Server) -> None:
    data = _exchange(server.port, b"GET /execution-parameters HTTP/1.1\r\nHost: x\r\n\r\n", 1)
    assert b'"BatchStrategy": "MULTI_RECORD"' in data
    too_big = b"POST /invocations HTTP/1.1\r\nContent-Length: 99999999\r\n\r\n"
    assert _exchange(server.port, too_big, 1).startswith(b"HTTP/1.1 413")


def test_sigterm_drains_then_exits(tmp_path: Path) -> None:
    (tmp_path / "model").mkdir()
    (tmp_path / "model" / "xgboost-model").write_bytes(xgboost_model_bytes(3))
    spec = ServingSpec(model_dir=str(tmp_path / "model"),
                       builtin_handler=BUILTINS["xgboost"].serving_handler)
    running = fleet.start(spec, tmp_path, timeout=60)
    idle = socket.create_connection(("127.0.0.1", running.port), timeout=5)
    started = time.monotonic()
    fleet.stop(running)
    assert time.monotonic() - started < 5  # idle keep-alive connections do not hold it up
    assert not alive(running.pid, running.pid_start)
    assert idle.recv(10) == b""  # closed by the server, not reset mid-answer
    idle.close()


def test_several_workers_share_the_port(tmp_path: Path) -> None:
    import os

    (tmp_path / "model").mkdir()
    (tmp_path / "model" / "xgboost-model").write_bytes(xgboost_model_bytes(3))
    spec = ServingSpec(model_dir=str(tmp_path / "model"),
                       environment={"SAGEMAKER_MODEL_SERVER_WORKERS": "2"},
                       builtin_handler=BUILTINS["xgboost"].serving_handler)
    running = fleet.start(spec, tmp_path, timeout=60)
    try:
        children = [int(p) for p in Path(f"/proc/{running.pid}/task/{running.pid}/children")
                    .read_text().split()]
        assert len(children) == 1
        deadline = time.monotonic() + 30
        while (tmp_path / "server.log").read_text().count("serving on port") < 2:
            assert time.monotonic() < deadline
            time.sleep(0.1)
        for _ in range(20):
            assert _exchange(running.port, _post(ROW), 1).startswith(b"HTTP/1.1 200 OK")
    finally:
        fleet.stop(running)
    assert not any(os.path.exists(f"/proc/{pid}") and alive(pid, None) for pid in children)

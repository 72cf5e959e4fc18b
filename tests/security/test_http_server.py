"""Hostile HTTP clients against a real endpoint server process, over real sockets.

Each test is one attack of issue 8; each fails if its defence is removed from
serving/protocol.py (the hand-written parser looped forever on a negative Content-Length,
buffered any chunked body, echoed a bare-LF header and held partial requests forever).
"""

from __future__ import annotations

import contextlib
import re
import select
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sagestep.serving import fleet
from sagestep.serving.handler import ServingSpec
from sagestep.serving.protocol import Limits, Response, render

pytestmark = pytest.mark.slow
SECRET = "secret-db-password-7f3a"
INFERENCE = f'''
def model_fn(model_dir):
    return "model"

def transform_fn(model, data, content_type, accept):
    if "boom" in str(data):
        raise RuntimeError("cannot connect with {SECRET}")
    return "ok", "text/plain"
'''
LIMITS = {"SAGESTEP_HTTP_READ_TIMEOUT": "1", "SAGESTEP_HTTP_KEEPALIVE_TIMEOUT": "1",
          "SAGESTEP_HTTP_MAX_CONNECTIONS": "8"}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[fleet.Server]:
    workdir = tmp_path_factory.mktemp("hostile")
    (workdir / "model" / "code").mkdir(parents=True)
    (workdir / "model" / "code" / "inference.py").write_text(INFERENCE)
    spec = ServingSpec(model_dir=str(workdir / "model"), framework="sklearn",
                       environment=LIMITS)
    running = fleet.start(spec, workdir, timeout=60)
    yield running
    fleet.stop(running, grace=5)


def _connect(server: fleet.Server, timeout: float = 5) -> socket.socket:
    return socket.create_connection(("127.0.0.1", server.port), timeout=timeout)


def _answer(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes (or the socket times out)."""
    data = b""
    with contextlib.suppress(ConnectionResetError):
        while chunk := sock.recv(65536):
            data += chunk
    return data


def _exchange(server: fleet.Server, payload: bytes) -> bytes:
    with _connect(server) as sock:
        sock.sendall(payload)
        sock.shutdown(socket.SHUT_WR)
        return _answer(sock)


def _still_serving(server: fleet.Server) -> None:
    started = time.monotonic()
    assert fleet.ping(server.port, timeout=2)
    assert time.monotonic() - started < 1


def test_negative_content_length_is_a_400(server: fleet.Server) -> None:
    with _connect(server) as sock:  # no shutdown: the answer must not wait for more bytes
        sock.sendall(b"POST /invocations HTTP/1.1\r\nHost: x\r\nContent-Length: -1000\r\n\r\n")
        answer = _answer(sock)
    assert answer.startswith(b"HTTP/1.1 400 Bad Request")
    assert b"Content-Length" in answer  # the reason names the header
    _still_serving(server)


@pytest.mark.parametrize("chunk_head", [b"zz", b"-5", b"1;" + b"x" * 100_000],
                         ids=["not-hex", "negative", "huge-extension"])
def test_bad_chunk_header_is_a_400(server: fleet.Server, chunk_head: bytes) -> None:
    answer = _exchange(server, b"POST /invocations HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: "
                               b"chunked\r\n\r\n" + chunk_head + b"\r\nabcde\r\n0\r\n\r\n")
    assert answer.startswith((b"HTTP/1.1 400", b"HTTP/1.1 431"))
    _still_serving(server)


def test_100_mb_chunked_body_is_cut_at_the_payload_limit(server: fleet.Server) -> None:
    chunk = b"%x\r\n%s\r\n" % (1 << 20, b"1" * (1 << 20))
    sent, answer = 0, b""
    started = time.monotonic()
    with _connect(server, timeout=10) as sock:
        sock.sendall(b"POST /invocations HTTP/1.1\r\nHost: x\r\nContent-Type: text/csv\r\n"
                     b"Transfer-Encoding: chunked\r\n\r\n")
        try:
            for _ in range(100):
                sock.sendall(chunk)
                sent += len(chunk)
                if select.select([sock], [], [], 0)[0]:
                    answer = sock.recv(65536)
                    break
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server closed after answering 413; the answer may be lost to the RST
        if not answer:
            with contextlib.suppress(OSError):
                answer = sock.recv(65536)
    assert sent < 20 * (1 << 20), f"the server accepted {sent >> 20} MB of a chunked body"
    assert answer == b"" or answer.startswith(b"HTTP/1.1 413"), answer[:100]
    assert time.monotonic() - started < 10
    _still_serving(server)


def test_expect_continue_is_answered_before_the_body(server: fleet.Server) -> None:
    with _connect(server) as sock:
        sock.sendall(b"POST /invocations HTTP/1.1\r\nHost: x\r\nContent-Type: text/csv\r\n"
                     b"Expect: 100-continue\r\nContent-Length: 3\r\nConnection: close\r\n\r\n")
        assert sock.recv(100) == b"HTTP/1.1 100 Continue\r\n\r\n"
        sock.sendall(b"1,2")
        assert _answer(sock).startswith(b"HTTP/1.1 200")


def test_declared_body_over_the_limit_is_a_413(server: fleet.Server) -> None:
    with _connect(server) as sock:
        sock.sendall(b"POST /invocations HTTP/1.1\r\nHost: x\r\nContent-Length: 7000000\r\n\r\n")
        assert _answer(sock).startswith(b"HTTP/1.1 413")


def test_oversized_request_head_is_a_431(server: fleet.Server) -> None:
    answer, sent = b"", 0
    with _connect(server) as sock:  # one endless header, never finished
        sock.sendall(b"POST /invocations HTTP/1.1\r\nHost: x\r\nX-Big: ")
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            while sent < 1 << 20 and not answer:
                sock.sendall(b"a" * 4096)
                sent += 4096
                if select.select([sock], [], [], 0.01)[0]:
                    answer = sock.recv(65536)
    assert answer.startswith(b"HTTP/1.1 431"), answer[:80]
    assert sent < 256 * 1024
    _still_serving(server)


def test_bare_lf_in_a_header_is_refused_and_never_echoed(server: fleet.Server) -> None:
    ok = _exchange(server, b"POST /invocations HTTP/1.1\r\nHost: x\r\nContent-Type: text/csv\r\n"
                           b"X-Amzn-SageMaker-Custom-Attributes: trace=1\r\nContent-Length: 3"
                           b"\r\nConnection: close\r\n\r\n1,2")
    assert ok.startswith(b"HTTP/1.1 200") and b"Custom-Attributes: trace=1\r\n" in ok
    answer = _exchange(server, b"POST /invocations HTTP/1.1\r\nHost: x\r\nContent-Type: text/csv"
                               b"\r\nX-Amzn-SageMaker-Custom-Attributes: a\nSet-Cookie: pwned=1"
                               b"\r\nContent-Length: 3\r\n\r\n1,2")
    assert answer.startswith(b"HTTP/1.1 400")
    assert b"Set-Cookie" not in answer and b"pwned" not in answer


def test_render_strips_control_characters_from_header_values() -> None:
    raw = render(Response(200, b"", "text/plain", (("X-Echo", "a\r\nSet-Cookie: x=1"),)), True)
    assert raw.count(b"\r\n") == 5  # status line, 3 headers, blank line: nothing injected
    assert b"\r\nSet-Cookie" not in raw


def test_slowloris_partial_requests_are_cut_off(server: fleet.Server) -> None:
    started = time.monotonic()
    sockets = [_connect(server) for _ in range(3)]
    for sock in sockets:
        sock.sendall(b"POST /invocations HTTP/1.1\r\nHost: x\r\n")
    answers = [b""] * len(sockets)
    while time.monotonic() - started < 4 and not all(answers):
        for i, sock in enumerate(sockets):  # keep dribbling one header byte at a time
            with contextlib.suppress(OSError):
                sock.sendall(b"X")
            if not answers[i] and select.select([sock], [], [], 0)[0]:
                answers[i] = _answer(sock) or b"closed"
        time.sleep(0.2)
    for sock in sockets:
        sock.close()
    assert all(answer.startswith(b"HTTP/1.1 408") for answer in answers), answers
    assert time.monotonic() - started < 3  # read timeout 1 s, not forever
    _still_serving(server)


def test_idle_keep_alive_connection_is_closed(server: fleet.Server) -> None:
    with _connect(server) as sock:
        sock.sendall(b"GET /ping HTTP/1.1\r\nHost: x\r\n\r\n")
        started = time.monotonic()
        answer = _answer(sock)  # returns when the server closes the idle connection
    assert answer.startswith(b"HTTP/1.1 200") and time.monotonic() - started < 3


def test_connections_past_the_cap_are_refused(server: fleet.Server) -> None:
    held = [_connect(server) for _ in range(int(LIMITS["SAGESTEP_HTTP_MAX_CONNECTIONS"]))]
    try:
        time.sleep(0.2)
        with _connect(server) as extra:
            assert _answer(extra).startswith(b"HTTP/1.1 503")
    finally:
        for sock in held:
            sock.close()
    time.sleep(0.2)
    _still_serving(server)


def test_500_body_carries_no_exception_text(server: fleet.Server) -> None:
    answer = _exchange(server, b"POST /invocations HTTP/1.1\r\nHost: x\r\nContent-Type: text/"
                               b"plain\r\nContent-Length: 4\r\nConnection: close\r\n\r\nboom")
    assert answer.startswith(b"HTTP/1.1 500")
    assert SECRET.encode() not in answer and b"Traceback" not in answer
    deadline = time.monotonic() + 5
    while SECRET not in (Path(server.workdir) / "server.log").read_text():
        assert time.monotonic() < deadline, "the reason was not logged"
        time.sleep(0.05)


def test_default_limits_are_the_invoke_endpoint_payload_limit() -> None:
    assert Limits().max_body == 6 * 1024 * 1024


_TOKENS = st.sampled_from([
    b"GET ", b"POST ", b"/invocations", b"/ping", b" HTTP/1.1", b" HTTP/1.0", b"\r\n", b"\n",
    b"\r", b"Host: x", b"Content-Length: ", b"Transfer-Encoding: chunked", b"-1", b"0",
    b"99999999999", b"5", b"ff", b":", b" ", b"\x00", b"Connection: close", b"abc",
    b"Expect: 100-continue", b"Content-Type: text/csv", b"1,2,3",
])


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(payload=st.one_of(st.binary(max_size=512),
                         st.lists(_TOKENS, max_size=40).map(b"".join)))
def test_fuzz_any_bytes_get_an_answer_or_a_clean_close(server: fleet.Server,
                                                       payload: bytes) -> None:
    started = time.monotonic()
    answer = _exchange(server, payload)
    assert time.monotonic() - started < 3, "the server held the connection"
    if answer:
        statuses = re.findall(rb"HTTP/1\.1 (\d{3}) ", answer)
        assert statuses and all(s[:1] in b"2345" for s in statuses), answer[:200]
        assert b"Traceback" not in answer
    assert fleet.ping(server.port, timeout=2)

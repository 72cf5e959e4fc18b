"""The model server's HTTP/1.1 connection: llhttp (via httptools) parses, this module limits.

Why not uvicorn/starlette: on one row per request the framework layers (ASGI scope
building, middleware) cost several times the model's own predict. The request is parsed
by httptools, the C parser uvicorn itself uses (llhttp, strict mode: negative or
duplicate Content-Length, bad chunk sizes, bare CR/LF and control characters in
header values are parse errors), and handled inline (the predict is CPU-bound, so a thread
hop would only add latency). Keep-alive and pipelined requests are answered in order.

What this module adds on top of the parser, against hostile clients:
  * bodies over ``max_body`` (InvokeEndpoint's 6 MB) answer 413, chunked or not, as soon
    as the declared or received size passes the limit (nothing larger is buffered);
  * a request head over ``max_head`` answers 431;
  * a request must arrive whole within ``read_timeout`` (slowloris), an idle keep-alive
    connection closes after ``keepalive_timeout``, and connections past
    ``max_connections`` are answered 503 and closed;
  * a 500 never carries exception text (it is logged to stderr, the endpoint's log).
"""

from __future__ import annotations

import asyncio
import sys
import traceback
from collections.abc import Callable
from typing import NamedTuple

import httptools

REASONS = {200: "OK", 204: "No Content", 400: "Bad Request", 404: "Not Found",
           405: "Method Not Allowed", 406: "Not Acceptable", 408: "Request Timeout",
           413: "Payload Too Large", 415: "Unsupported Media Type",
           431: "Request Header Fields Too Large", 500: "Internal Server Error",
           503: "Service Unavailable"}
INTERNAL_ERROR = b"internal server error (the reason is in the endpoint's log)"
# Characters never written into a response header (response splitting).
_UNSAFE = str.maketrans("", "", "".join(chr(c) for c in range(32)) + "\x7f")


class Limits(NamedTuple):
    """Per-connection limits; the defaults are the server's."""

    max_body: int = 6 * 1024 * 1024  # InvokeEndpoint's payload limit
    max_head: int = 32 * 1024
    read_timeout: float = 30.0
    keepalive_timeout: float = 5.0
    max_connections: int = 256


# NamedTuples rather than dataclasses: built twice per request, they are the cheapest
# immutable records Python has.
class Request(NamedTuple):
    """One parsed request; header names are lower-case."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes


class Response(NamedTuple):
    """What the application answers."""

    status: int
    body: bytes = b""
    content_type: str = ""
    headers: tuple[tuple[str, str], ...] = ()


App = Callable[[Request], Response]


class _Reject(Exception):
    """Raised from a parser callback: answer ``status`` and close the connection."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _safe(value: str) -> str:
    return value if value.isprintable() else value.translate(_UNSAFE)


def render(response: Response, keep_alive: bool) -> bytes:
    """The response bytes (status line, headers, body); control characters never pass."""
    lines = [f"HTTP/1.1 {response.status} {REASONS.get(response.status, 'Status')}"]
    if response.content_type:
        lines.append(f"Content-Type: {_safe(response.content_type)}")
    lines.append(f"Content-Length: {len(response.body)}")
    lines.extend(f"{_safe(name)}: {_safe(value)}" for name, value in response.headers)
    if not keep_alive:
        lines.append("Connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1", "replace") + response.body


class HttpProtocol(asyncio.Protocol):
    """One client connection (also the parser's callback target)."""

    def __init__(self, app: App, connections: set[HttpProtocol], limits: Limits) -> None:
        self.app = app
        self.connections = connections
        self.limits = limits
        self.parser = httptools.HttpRequestParser(self)
        self.transport: asyncio.Transport | None = None
        self.closing = False
        self.timer: asyncio.TimerHandle | None = None
        self.deadline = 0.0
        self._reset()

    def _reset(self) -> None:
        self.in_request = False
        self.head_done = False
        self.head_bytes = 0
        self.url = b""
        self.headers: dict[str, str] = {}
        self.body: list[bytes] = []
        self.body_size = 0

    # --- connection life -----------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        if len(self.connections) >= self.limits.max_connections:
            transport.write(render(Response(503, b"too many connections", "text/plain"), False))
            transport.close()
            return
        self.transport = transport
        self.connections.add(self)
        self._arm(self.limits.keepalive_timeout)

    def connection_lost(self, exc: Exception | None) -> None:
        self.connections.discard(self)
        self.transport = None
        self._disarm()

    @property
    def idle(self) -> bool:
        """No partial request is buffered (safe to close while draining)."""
        return not self.in_request

    def shutdown(self) -> None:
        """Drain: close now if idle, else after the request in progress is answered."""
        self.closing = True
        if self.idle and self.transport is not None:
            self.transport.close()

    # One timer per connection, moved lazily: a request only moves ``deadline`` (a float),
    # and the timer re-arms itself when it fires early. Scheduling and cancelling an asyncio
    # timer twice per request cost as much as the parsing.
    def _arm(self, seconds: float) -> None:
        loop = asyncio.get_running_loop()
        self.deadline = loop.time() + seconds
        if self.timer is None or self.timer.when() > self.deadline:
            self._disarm()
            self.timer = loop.call_at(self.deadline, self._timed_out)

    def _disarm(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None

    def _timed_out(self) -> None:
        self.timer = None
        if self.transport is None:
            return
        loop = asyncio.get_running_loop()
        if loop.time() < self.deadline:
            self.timer = loop.call_at(self.deadline, self._timed_out)
        elif self.in_request:  # a partial request held too long (slowloris)
            self._fail(408, "request not received in time")
        else:  # idle keep-alive connection
            self.transport.close()

    def _fail(self, status: int, message: str) -> None:
        if self.transport is None:
            return
        self.transport.write(render(Response(status, message.encode(), "text/plain"), False))
        self.transport.close()
        self.transport = None
        self.connections.discard(self)
        self._disarm()

    # --- bytes in --------------------------------------------------------------------------

    def data_received(self, data: bytes) -> None:
        if self.transport is None:
            return
        if not self.head_done:
            self.head_bytes += len(data)
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserCallbackError as exc:
            reject = exc.__context__
            if isinstance(reject, _Reject):
                self._fail(reject.status, reject.message)
            else:
                self._fail(400, "malformed request")
            return
        except httptools.HttpParserUpgrade:
            self._fail(400, "protocol upgrades are not supported")
            return
        except httptools.HttpParserError as exc:
            # llhttp's reason names the rule broken ("Invalid character in Content-Length").
            self._fail(400, f"malformed request: {exc}")
            return
        if self.in_request and not self.head_done and self.head_bytes > self.limits.max_head:
            self._fail(431, f"request head exceeds {self.limits.max_head} bytes")

    # --- parser callbacks (httptools calls these by name) ------------------------------------

    def on_message_begin(self) -> None:
        self.in_request = True
        self._arm(self.limits.read_timeout)

    def on_url(self, url: bytes) -> None:
        self.url += url
        if len(self.url) > self.limits.max_head:
            raise _Reject(431, f"request target exceeds {self.limits.max_head} bytes")

    def on_header(self, name: bytes, value: bytes) -> None:
        # llhttp already refuses CR, LF and other control characters in values; the check
        # here keeps that true whatever parser leniency a future httptools defaults to.
        if b"\r" in value or b"\n" in value or b"\x00" in value:
            raise _Reject(400, "header values must not contain CR, LF or NUL")
        self.headers[name.decode("latin-1").lower()] = value.decode("latin-1").strip()

    def on_headers_complete(self) -> None:
        self.head_done = True
        declared = self.headers.get("content-length")
        if declared is not None and int(declared) > self.limits.max_body:
            raise _Reject(413, f"request body of {declared} bytes exceeds "
                               f"{self.limits.max_body}")
        if self.headers.get("expect", "").lower() == "100-continue" and self.transport:
            # curl asks before sending a large body; answering saves it a 1 s wait.
            self.transport.write(b"HTTP/1.1 100 Continue\r\n\r\n")

    def on_body(self, body: bytes) -> None:
        self.body_size += len(body)
        if self.body_size > self.limits.max_body:
            raise _Reject(413, f"request body exceeds {self.limits.max_body} bytes")
        self.body.append(body)

    def on_message_complete(self) -> None:
        if self.transport is None:
            return
        keep_alive = self.parser.should_keep_alive() and not self.closing
        method = self.parser.get_method().decode("latin-1")
        path = self.url.split(b"?", 1)[0].decode("latin-1")
        body = self.body[0] if len(self.body) == 1 else b"".join(self.body)
        request = Request(method, path, self.headers, body)
        self._reset()
        try:
            response = self.app(request)
        except Exception:  # the app failed, not the client: log why, answer 500, keep serving
            print(f"{method} {path} failed:\n{traceback.format_exc()}", file=sys.stderr,
                  flush=True)
            response = Response(500, INTERNAL_ERROR, "text/plain")
        self.transport.write(render(response, keep_alive))
        if keep_alive:
            self._arm(self.limits.keepalive_timeout)
        else:
            self.transport.close()
            self.transport = None
            self.connections.discard(self)

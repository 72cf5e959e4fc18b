"""A minimal HTTP/1.1 server protocol on raw asyncio, for the serving contract's three routes.

Why not uvicorn/starlette: on one row per request the framework layers (ASGI scope
building, h11 parsing, middleware) cost several times the model's own predict; this
protocol parses the request head with ``bytes.split``, answers keep-alive and pipelined
requests in order, and handles the request inline (the predict is CPU-bound, so a
thread hop would only add latency). Chunked request bodies are accepted.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import NamedTuple

MAX_HEAD = 64 * 1024
REASONS = {200: "OK", 204: "No Content", 400: "Bad Request", 404: "Not Found",
           405: "Method Not Allowed", 406: "Not Acceptable", 413: "Payload Too Large",
           415: "Unsupported Media Type", 500: "Internal Server Error",
           503: "Service Unavailable"}


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


def render(response: Response, keep_alive: bool) -> bytes:
    """The response bytes (status line, headers, body)."""
    lines = [f"HTTP/1.1 {response.status} {REASONS.get(response.status, 'Status')}"]
    if response.content_type:
        lines.append(f"Content-Type: {response.content_type}")
    lines.append(f"Content-Length: {len(response.body)}")
    lines.extend(f"{name}: {value}" for name, value in response.headers)
    if not keep_alive:
        lines.append("Connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + response.body


class HttpProtocol(asyncio.Protocol):
    """One client connection."""

    def __init__(self, app: App, connections: set[HttpProtocol], max_body: int) -> None:
        self.app = app
        self.connections = connections
        self.max_body = max_body
        self.buffer = b""
        self.transport: asyncio.Transport | None = None
        self.closing = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.connections.add(self)

    def connection_lost(self, exc: Exception | None) -> None:
        self.connections.discard(self)
        self.transport = None

    @property
    def idle(self) -> bool:
        """No partial request is buffered (safe to close while draining)."""
        return not self.buffer

    def shutdown(self) -> None:
        """Drain: close now if idle, else after the request in progress is answered."""
        self.closing = True
        if self.idle and self.transport is not None:
            self.transport.close()

    def data_received(self, data: bytes) -> None:
        self.buffer = self.buffer + data if self.buffer else data
        while self.transport is not None and self.buffer:
            parsed = self._next_request()
            if parsed is None:
                return
            request, keep_alive = parsed
            keep_alive = keep_alive and not self.closing
            try:
                response = self.app(request)
            except Exception as exc:  # the app failed, not the client: answer 500, keep serving
                response = Response(500, f"internal server error: {exc}".encode(), "text/plain")
            self.transport.write(render(response, keep_alive))
            if not keep_alive:
                self.transport.close()
                return

    def _fail(self, status: int, message: str) -> None:
        assert self.transport is not None
        self.transport.write(render(Response(status, message.encode(), "text/plain"), False))
        self.transport.close()
        self.buffer = b""

    def _next_request(self) -> tuple[Request, bool] | None:
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0:
            if len(self.buffer) > MAX_HEAD:
                self._fail(400, "request head too large")
            return None
        head = self.buffer[:end].decode("latin-1").split("\r\n")
        try:
            method, target, version = head[0].split(" ", 2)
        except ValueError:
            self._fail(400, "malformed request line")
            return None
        headers = {}
        for line in head[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        start = end + 4
        if headers.get("transfer-encoding", "").lower() == "chunked":
            decoded = _dechunk(self.buffer, start)
            if decoded is None:
                return None
            body, consumed = decoded
        else:
            try:
                length = int(headers.get("content-length") or 0)
            except ValueError:
                self._fail(400, "bad Content-Length")
                return None
            if length > self.max_body:
                self._fail(413, f"request body of {length} bytes exceeds {self.max_body}")
                return None
            if len(self.buffer) < start + length:
                return None
            body, consumed = self.buffer[start:start + length], start + length
        self.buffer = self.buffer[consumed:]
        connection = headers.get("connection", "").lower()
        keep_alive = connection != "close" if version == "HTTP/1.1" else connection == "keep-alive"
        return Request(method, target.split("?", 1)[0], headers, body), keep_alive


def _dechunk(buffer: bytes, start: int) -> tuple[bytes, int] | None:
    """(body, end offset) of a complete chunked body at ``start``, or None if incomplete."""
    parts: list[bytes] = []
    position = start
    while True:
        line_end = buffer.find(b"\r\n", position)
        if line_end < 0:
            return None
        size = int(buffer[position:line_end].split(b";", 1)[0] or b"0", 16)
        position = line_end + 2
        if size == 0:
            trailer_end = buffer.find(b"\r\n", position)
            if trailer_end < 0:
                return None
            return b"".join(parts), trailer_end + 2
        if len(buffer) < position + size + 2:
            return None
        parts.append(buffer[position:position + size])
        position += size + 2

"""The HTTP exchange at ASGI level: a parsed request and the protocol-specific replies.

Plain ASGI rather than Starlette's Request/Response objects on the hot path: AWS routes by
Host, X-Amz-Target and model URIs rather than by path patterns, and a small-object PUT/GET
is dominated by per-request overhead, so the app reads the scope once and sends raw
messages (bodies from disk in 1 MiB reads).
"""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import parse_qs
from xml.sax.saxutils import escape

from sagestep.api.errors import ApiError
from sagestep.api.s3_objects import FileSlice

SEND_CHUNK = 1 << 20


class Wire:
    """One request: method, raw path and query, lower-cased headers, and its body stream."""

    def __init__(self, scope: dict[str, Any], receive: Any) -> None:
        self.method: str = scope["method"]
        self.raw_path: str = (scope.get("raw_path") or scope["path"].encode()).decode("latin-1")
        self.raw_query: str = scope.get("query_string", b"").decode("latin-1")
        self.query: dict[str, list[str]] = parse_qs(self.raw_query, keep_blank_values=True)
        headers: dict[str, str] = {}
        for k, v in scope["headers"]:
            name = k.decode("latin-1").lower()
            value = v.decode("latin-1")
            headers[name] = f"{headers[name]},{value}" if name in headers else value
        self.headers = headers
        self._receive = receive
        self._consumed = False
        self.body: bytes | None = None

    def body_unread(self) -> bool:
        """True when the request announced a body that was never read."""
        if self._consumed:
            return False
        length = self.headers.get("content-length", "0").strip()
        return "transfer-encoding" in self.headers or length not in ("0", "")

    async def stream(self) -> AsyncIterator[bytes]:
        """The request body as it arrives (once)."""
        if self._consumed:
            if self.body:
                yield self.body
            return
        self._consumed = True
        while True:
            message = await self._receive()
            if message["type"] == "http.disconnect":
                raise ApiError("IncompleteBody", "the client disconnected before the body ended")
            chunk = message.get("body", b"")
            if chunk:
                yield chunk
            if not message.get("more_body", False):
                return

    async def read_body(self, limit: int) -> bytes:
        """The whole body (small requests only; MaxMessageLengthExceeded past ``limit``)."""
        if self.body is None:
            parts, size = [], 0
            async for chunk in self.stream():
                size += len(chunk)
                if size > limit:
                    raise ApiError("MaxMessageLengthExceeded", f"request body over {limit} bytes")
                parts.append(chunk)
            self.body = b"".join(parts)
        return self.body


async def send(
    send_fn: Any, status: int, headers: dict[str, str], body: Any, head: bool = False,
) -> None:
    """Send a reply; ``body`` is bytes, str or a FileSlice streamed from disk."""
    if isinstance(body, str):
        body = body.encode()
    if isinstance(body, FileSlice) and body.length <= SEND_CHUNK and not head:
        body = _read_slice(body)  # one message: headers and a small body leave together
    if isinstance(body, FileSlice):
        headers.setdefault("Content-Length", str(body.length))
    elif not head and status != 304:
        headers["Content-Length"] = str(len(body))
    raw = [(k.lower().encode("latin-1"), str(v).encode("latin-1", "replace")) for k, v in headers.items()]
    await send_fn({"type": "http.response.start", "status": status, "headers": raw})
    if head or status == 304 or not isinstance(body, FileSlice):
        await send_fn({"type": "http.response.body", "body": b"" if head or status == 304 else body})
        return
    fd = os.open(body.path, os.O_RDONLY)
    try:
        left, pos = body.length, body.start
        while left > 0:
            chunk = os.pread(fd, min(SEND_CHUNK, left), pos)
            if not chunk:
                break
            left -= len(chunk)
            pos += len(chunk)
            await send_fn({"type": "http.response.body", "body": chunk, "more_body": left > 0})
        if left > 0:  # the file shrank under us: end the body rather than hang the client
            await send_fn({"type": "http.response.body", "body": b""})
    finally:
        os.close(fd)


def _read_slice(body: FileSlice) -> bytes:
    fd = os.open(body.path, os.O_RDONLY)
    try:
        return os.pread(fd, body.length, body.start)
    finally:
        os.close(fd)


def xml_error(err: ApiError, resource: str, request_id: str) -> bytes:
    """S3's error document (https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html)."""
    extra = "".join(f"<{k}>{escape(str(v))}</{k}>" for k, v in err.fields.items())
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>{escape(err.code)}</Code><Message>{escape(err.message)}</Message>{extra}"
        f"<Resource>{escape(resource)}</Resource><RequestId>{request_id}</RequestId></Error>"
    ).encode()


def query_error(err: ApiError, request_id: str, xmlns: str) -> bytes:
    """The query protocol's <ErrorResponse> (STS)."""
    kind = "Sender" if err.status < 500 else "Receiver"
    return (
        f'<ErrorResponse xmlns="{xmlns}"><Error><Type>{kind}</Type><Code>{escape(err.code)}</Code>'
        f"<Message>{escape(err.message)}</Message></Error><RequestId>{request_id}</RequestId>"
        "</ErrorResponse>"
    ).encode()


def json_error(err: ApiError) -> bytes:
    """awsJson1_x / restJson1 error body; the code also travels in X-Amzn-ErrorType."""
    return json.dumps({"__type": err.code, "message": err.message}).encode()

"""Receiving an S3 upload body into a scratch file: aws-chunked decoding and integrity checks.

Recent botocore (1.36+) sends PutObject/UploadPart bodies as ``Content-Encoding: aws-chunked``
with ``x-amz-content-sha256: STREAMING-UNSIGNED-PAYLOAD-TRAILER`` and the CRC32 in a trailer
(https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming.html). The body is decoded
as it arrives and written straight to disk, so memory stays at one network chunk whatever
the object size; MD5 (the ETag), the SHA-256 a signed payload claims, and the checksum the
writer sent are computed on the way and checked once the body is complete.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import os
import tempfile
import zlib
from collections.abc import AsyncIterator
from concurrent import futures
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import crc32c

from sagestep.api.errors import ApiError

CHECKSUMS = ("CRC32", "CRC32C", "CRC64NVME", "SHA1", "SHA256")


class _Crc32:
    fn = staticmethod(zlib.crc32)

    def __init__(self) -> None:
        self.value = 0

    def update(self, data: bytes) -> None:
        self.value = self.fn(data, self.value)

    def b64(self) -> str:
        return base64.b64encode(self.value.to_bytes(4, "big")).decode()


class _Crc32c(_Crc32):
    fn = staticmethod(crc32c.crc32c)


class _Hash:
    def __init__(self, name: str) -> None:
        self.h = hashlib.new(name)

    def update(self, data: bytes) -> None:
        self.h.update(data)

    def b64(self) -> str:
        return base64.b64encode(self.h.digest()).decode()


def _hasher(algorithm: str) -> Any:
    # CRC64NVME needs awscrt (a 10 MB dependency): its values are stored as the writer sent
    # them, unchecked.
    if algorithm == "CRC32":
        return _Crc32()
    if algorithm == "CRC32C":
        return _Crc32c()
    if algorithm in ("SHA1", "SHA256"):
        return _Hash(algorithm.lower())
    return None


@dataclass
class Received:
    """A body on disk with what was learnt while receiving it."""

    path: Path | None  # None when written into a target the caller owns
    size: int
    md5: str  # hex
    checksums: dict[str, str] = field(default_factory=dict)  # algorithm -> base64, as sent


class _Dechunker:
    """Incremental aws-chunked decoder: feed raw bytes, get payload bytes; trailers at the end."""

    def __init__(self) -> None:
        self.buf = bytearray()
        self.remaining = 0  # payload bytes left in the current chunk
        self.state = "size"
        self.trailers: dict[str, str] = {}

    def feed(self, data: bytes) -> list[bytes]:
        # Payload bytes are sliced out of ``data`` without copying; only chunk headers and
        # the trailer (a few dozen bytes) are ever buffered.
        out: list[bytes] = []
        view = memoryview(data)
        pos = 0
        while pos < len(view):
            if self.state == "data":
                take = min(self.remaining, len(view) - pos)
                out.append(view[pos:pos + take])  # type: ignore[arg-type]
                pos += take
                self.remaining -= take
                if self.remaining == 0:
                    self.state = "crlf"
                continue
            if self.state == "trailer":
                self.buf += view[pos:]
                return out
            self.buf += view[pos:pos + 1]
            pos += 1
            if self.state == "crlf":
                if len(self.buf) == 2:
                    self.buf.clear()
                    self.state = "size"
            elif self.buf.endswith(b"\r\n"):
                self._size_line()
            elif len(self.buf) > 4096:
                raise ApiError("IncompleteBody", "aws-chunked chunk header too long")
        return out

    def _size_line(self) -> None:
        line = bytes(self.buf[:-2]).split(b";", 1)[0]
        self.buf.clear()
        try:
            self.remaining = int(line, 16)
        except ValueError as exc:
            raise ApiError("IncompleteBody", f"bad aws-chunked size {line!r}") from exc
        self.state = "data" if self.remaining else "trailer"

    def finish(self) -> None:
        if self.state != "trailer":
            raise ApiError("IncompleteBody", "the aws-chunked body ended before its last chunk")
        for line in bytes(self.buf).decode("latin-1").split("\r\n"):
            name, sep, value = line.partition(":")
            if sep:
                self.trailers[name.strip().lower()] = value.strip()


# Payload bytes gathered before one pass of hashing and writing: 512 KiB stays in the CPU
# cache across the MD5, SHA-256, CRC and write passes (1 MiB buffers doubled the kernel time
# in py-spy profiles of bench/api.py) and costs far fewer calls than the ~64 KiB pieces the
# socket delivers.
FLUSH = 512 << 10
# The passes run in threads, in two lanes per body (MD5; then SHA-256, the checksum and the
# write), while the event loop fills the next buffer: hashlib, zlib and os.pwrite release
# the GIL on buffers this size, so one upload uses up to three cores and concurrent parts
# use all of them. MD5 alone (~730 MB/s on one core) otherwise caps every upload.
INLINE = 64 << 10  # a body this small, in one buffer, is hashed and written on the loop
_LANES = ThreadPoolExecutor(max_workers=max(4, 2 * (os.cpu_count() or 2)),
                            thread_name_prefix="sagestep-api-body")
_FREE: list[bytearray] = []  # FLUSH-sized buffers, reused: fresh ones cost page faults


def _take() -> bytearray:
    return _FREE.pop() if _FREE else bytearray(FLUSH)


def _give(buf: bytearray) -> None:
    if len(_FREE) < 32:
        _FREE.append(buf)


@dataclass
class Target:
    """Where a body goes: ``fd`` at ``offset``; ``path`` is a scratch file receive() made."""

    fd: int
    offset: int = 0
    path: Path | None = None
    limit: int | None = None  # payload bytes allowed (a multipart slot must not spill over)


class _Sink:
    """MD5 (the ETag), the signed SHA-256 and the checksum of a body, and its bytes on
    disk: each buffer goes through both lanes before the next one starts (the hashes must
    see the bytes in order), while the caller fills another buffer."""

    def __init__(self, target: Target, sha: Any, checker: Any) -> None:
        self.target = target
        self.md5 = hashlib.md5(usedforsecurity=False)
        self.sha, self.checker = sha, checker
        self.size = 0
        self._pending: Any = None  # the lanes of the buffer in flight
        self._held: bytearray | None = None  # that buffer, back to the free list when done

    async def take(self, buf: bytearray, n: int) -> None:
        """Hand ``buf[:n]`` over; returns once the previous buffer is done (the caller may
        not touch ``buf`` again: it is given back to the free list when its lanes finish)."""
        limit = self.target.limit
        if limit is not None and self.size + n > limit:
            raise ApiError("IncompleteBody", f"the body is longer than the {limit} bytes it declared")
        await self.drain()
        view = memoryview(buf)[:n]
        offset = self.target.offset + self.size
        self.size += n
        if n <= INLINE and self.size == n:  # a small body whole: two thread hops cost more
            self.md5.update(view)
            self._rest(view, offset)
            _give(buf)
            return
        self._held = buf
        self._pending = (_LANES.submit(self.md5.update, view), _LANES.submit(self._rest, view, offset))

    def _rest(self, data: memoryview, offset: int) -> None:
        if self.sha is not None:
            self.sha.update(data)
        if self.checker is not None:
            self.checker.update(data)
        while data:
            done = os.pwrite(self.target.fd, data, offset)
            data, offset = data[done:], offset + done

    async def drain(self) -> None:
        """Wait for the buffer in flight. Both lanes are always waited for, even when one
        failed or this task is cancelled: a lane still writing must never meet a closed (and
        perhaps reused) file descriptor, nor a buffer already handed to another body."""
        pending, self._pending = self._pending, None
        if pending is None:
            return
        try:
            await asyncio.wait([asyncio.wrap_future(f) for f in pending])
        finally:
            futures.wait(pending)  # returns at once unless the await above was cancelled
            if self._held is not None:
                _give(self._held)
                self._held = None
        for f in pending:
            f.result()  # a lane's error (a failed write: disk full) is the request's error


async def receive(stream: AsyncIterator[bytes], tmp_dir: Path, headers: Any,
                  target: Target | None = None) -> Received:
    """Write the request body to ``target`` (default: a new file in ``tmp_dir``) and check it
    against what was sent. Memory: two FLUSH buffers per request in flight (reused)."""
    sha_claim = headers.get("x-amz-content-sha256", "")
    chunked = "aws-chunked" in headers.get("content-encoding", "") or sha_claim.startswith("STREAMING-")
    dechunker = _Dechunker() if chunked else None
    algorithm = _algorithm(headers)
    checker = _hasher(algorithm) if algorithm else None
    sha = hashlib.sha256() if len(sha_claim) == 64 else None
    if target is None:
        fd, name = tempfile.mkstemp(dir=tmp_dir)
        target = Target(fd, 0, Path(name))
    sink = _Sink(target, sha, checker)
    buf: bytearray | None = _take()
    try:
        try:
            n = 0  # bytes in buf
            async for raw in stream:
                for piece in dechunker.feed(raw) if dechunker else (raw,):
                    view = memoryview(piece)
                    while view:
                        assert buf is not None
                        take = min(len(view), FLUSH - n)
                        buf[n:n + take] = view[:take]
                        n, view = n + take, view[take:]
                        if n == FLUSH:
                            full, buf = buf, None
                            await sink.take(full, n)
                            buf, n = _take(), 0
            if n:
                assert buf is not None
                full, buf = buf, None
                await sink.take(full, n)
            await sink.drain()
        finally:
            await sink.drain()
            if buf is not None:
                _give(buf)
            if target.path is not None:
                os.close(target.fd)
        sent = {}
        if dechunker is not None:
            dechunker.finish()
            sent.update(dechunker.trailers)
        _check(headers, sink.size, sink.md5, sha, sha_claim)
        checksums = _checksums(headers, sent, algorithm, checker)
    except BaseException:
        if target.path is not None:
            target.path.unlink(missing_ok=True)
        raise
    return Received(target.path, sink.size, sink.md5.hexdigest(), checksums)


def _algorithm(headers: Any) -> str | None:
    trailer = headers.get("x-amz-trailer", "").lower()
    for algo in CHECKSUMS:
        if trailer == f"x-amz-checksum-{algo.lower()}" or f"x-amz-checksum-{algo.lower()}" in headers:
            return algo
    named = headers.get("x-amz-sdk-checksum-algorithm", "").upper()
    return named if named in CHECKSUMS else None


def _check(headers: Any, size: int, md5: Any, sha: Any, sha_claim: str) -> None:
    declared = headers.get("x-amz-decoded-content-length")
    if declared is not None and int(declared) != size:
        raise ApiError("IncompleteBody", f"received {size} bytes, x-amz-decoded-content-length says {declared}")
    content_md5 = headers.get("content-md5")
    if content_md5 and content_md5 != base64.b64encode(md5.digest()).decode():
        raise ApiError("BadDigest", "The Content-MD5 you specified did not match what we received.")
    if sha is not None and sha.hexdigest() != sha_claim:
        raise ApiError("XAmzContentSHA256Mismatch",
                       "The provided 'x-amz-content-sha256' header does not match what was computed.")


def _checksums(headers: Any, trailers: dict[str, str], algorithm: str | None, checker: Any) -> dict[str, str]:
    if algorithm is None:
        return {}
    name = f"x-amz-checksum-{algorithm.lower()}"
    sent = trailers.get(name) or headers.get(name)
    if checker is not None:
        computed = checker.b64()
        if sent and sent != computed:
            raise ApiError("BadDigest", f"The {algorithm} you specified did not match the calculated checksum.")
        return {algorithm: computed}
    return {algorithm: sent} if sent else {}

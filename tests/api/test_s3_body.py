"""Upload bodies are hashed and written by worker threads while the event loop reads the
socket: a client that dies mid-body leaves no scratch file, no open descriptor, and a server
that still answers; concurrent uploads never mix their bytes."""

from __future__ import annotations

import hashlib
import os
import socket
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

MIB = 1 << 20


def _open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def _until(predicate, timeout: float = 10.0) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


def test_a_client_killed_mid_body_leaves_nothing_behind(s3, api) -> None:
    rt, ep = api
    s3.create_bucket(Bucket="bkt-cut")
    scratch = Path(rt.object_store.tmp_dir())
    before_files, before_fds = set(os.listdir(scratch)), _open_fds()
    body = os.urandom(32 * MIB)
    url = f"{ep.url}/bkt-cut/cut"
    req = AWSRequest("PUT", url, data=body, headers={
        "X-Amz-Content-SHA256": hashlib.sha256(body).hexdigest(), "Content-Length": str(len(body))})
    S3SigV4Auth(Credentials(ep.access_key, ep.secret_key), "s3", ep.region).add_auth(req)
    host, port = ep.url.removeprefix("http://").split(":")
    for _ in range(3):  # more than one pool thread's worth of cut bodies
        sock = socket.create_connection((host, int(port)))
        head = "".join(f"{k}: {v}\r\n" for k, v in req.headers.items())
        sock.sendall(f"PUT /bkt-cut/cut HTTP/1.1\r\nHost: {host}:{port}\r\n{head}\r\n".encode())
        sock.sendall(body[: 9 * MIB + 12345])  # several buffers in flight, then the client dies
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        sock.close()  # RST, as a killed process's socket
    assert _until(lambda: set(os.listdir(scratch)) == before_files), os.listdir(scratch)
    assert _until(lambda: _open_fds() <= before_fds)
    names = [o["Key"] for o in s3.list_objects_v2(Bucket="bkt-cut").get("Contents", [])]
    assert names == []  # no half object
    s3.put_object(Bucket="bkt-cut", Key="after", Body=b"still serving")
    assert s3.get_object(Bucket="bkt-cut", Key="after")["Body"].read() == b"still serving"


def test_concurrent_uploads_keep_their_own_bytes(s3) -> None:
    s3.create_bucket(Bucket="bkt-many")
    bodies = {f"k{i}": os.urandom(3 * MIB + i * 4099) for i in range(8)}

    def put(key: str) -> str:
        return str(s3.put_object(Bucket="bkt-many", Key=key, Body=bodies[key])["ETag"])

    with ThreadPoolExecutor(8) as pool:
        etags = dict(zip(bodies, pool.map(put, bodies), strict=True))
    for key, data in bodies.items():
        assert etags[key] == f'"{hashlib.md5(data).hexdigest()}"'
        assert s3.get_object(Bucket="bkt-many", Key=key)["Body"].read() == data


def test_a_failed_write_fails_the_body_and_waits_for_both_lanes(tmp_path: Path) -> None:
    import asyncio

    from sagestep.api import body as bodies

    data = os.urandom(3 * MIB)
    path = tmp_path / "ro"
    path.write_bytes(b"")
    fd = os.open(path, os.O_RDONLY)  # pwrite fails with EBADF, as a full disk would fail it

    async def stream():  # type: ignore[no-untyped-def]
        for i in range(0, len(data), 64 << 10):
            yield data[i:i + (64 << 10)]

    try:
        try:
            asyncio.run(bodies.receive(stream(), tmp_path, {}, bodies.Target(fd)))
        except OSError as exc:
            assert exc.errno == 9
        else:
            raise AssertionError("the write error was lost")
    finally:
        os.close(fd)
    # the lanes are idle: a fresh body goes through the same pool and comes out whole
    got = asyncio.run(bodies.receive(stream(), tmp_path, {"content-md5": ""}))
    assert got.path is not None and got.path.read_bytes() == data
    assert got.md5 == hashlib.md5(data).hexdigest()

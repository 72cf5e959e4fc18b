"""Local AWS API (S3) throughput: sagestep vs moto's server, against the disk's own copy speed.

    python bench/api.py                      # 2,000 small PUT+GET pairs, 1 GiB multipart
    python bench/api.py --small 500 --size-mb 128 --no-moto-large   # quick run

Each server runs in its own process (peak RSS = that process's VmHWM). Small objects: 1 KiB
PUT then GET over keep-alive connections from --threads client threads, signed with a
minimal SigV4 signer (boto3's own per-request cost would hide the servers' difference).
Large objects: boto3's transfer manager (multipart, 8 MiB parts, 4 threads) uploads and
downloads one file; the floor is shutil.copyfile of the same file (what `cp` does) on the
same disk in the same run. Targets (issue 18): >= 5x moto's requests/s; >= 50% of the copy
speed for large objects.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import http.client
import json
import os
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

REGION = "us-east-1"


def serve_sagestep(home: str) -> None:
    """Child mode: serve the API of a fresh workspace until stdin closes."""
    from sagestep.api.server import ApiServer
    from sagestep.local import LocalRuntime
    from sagestep.workspace import Workspace

    ep = ApiServer(LocalRuntime(Workspace.resolve(home))).start()
    print(json.dumps({"url": ep.url, "key": ep.access_key, "secret": ep.secret_key}), flush=True)
    sys.stdin.read()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """A server process: sagestep's API or moto_server."""

    def __init__(self, kind: str, home: str) -> None:
        self.kind = kind
        if kind == "sagestep":
            self.proc = subprocess.Popen([sys.executable, __file__, "--serve", home],
                                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
            info = json.loads(self.proc.stdout.readline())  # type: ignore[union-attr]
            self.url, self.key, self.secret = info["url"], info["key"], info["secret"]
        else:
            port = _free_port()
            self.proc = subprocess.Popen([sys.executable, "-m", "moto.server", "-p", str(port)],
                                         stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                         stderr=subprocess.DEVNULL)
            self.url, self.key, self.secret = f"http://127.0.0.1:{port}", "testing", "testing"
            _wait_port(port)

    def peak_mb(self) -> float:
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return float("nan")

    large_cpu: list[float] = [float("nan"), float("nan")]  # server CPU s: upload, download
    client_cpu: list[float] = [float("nan"), float("nan")]  # this process's CPU s, the same

    def cpu_s(self) -> float:
        """CPU seconds (user + system) the server process has used so far."""
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def close(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)


def _wait_port(port: int) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"moto_server did not listen on {port}")


def _sign(method: str, path: str, host: str, key: str, secret: str) -> dict[str, str]:
    now = datetime.now(UTC)
    amz, day = now.strftime("%Y%m%dT%H%M%SZ"), now.strftime("%Y%m%d")
    headers = {"host": host, "x-amz-content-sha256": "UNSIGNED-PAYLOAD", "x-amz-date": amz}
    signed = ";".join(sorted(headers))
    canonical = "\n".join([method, path, "", "".join(f"{k}:{headers[k]}\n" for k in sorted(headers)),
                           signed, "UNSIGNED-PAYLOAD"])
    scope = f"{day}/{REGION}/s3/aws4_request"
    to_sign = f"AWS4-HMAC-SHA256\n{amz}\n{scope}\n{hashlib.sha256(canonical.encode()).hexdigest()}"
    k = f"AWS4{secret}".encode()
    for part in (day, REGION, "s3", "aws4_request"):
        k = hmac.new(k, part.encode(), hashlib.sha256).digest()
    sig = hmac.new(k, to_sign.encode(), hashlib.sha256).hexdigest()
    headers["Authorization"] = (f"AWS4-HMAC-SHA256 Credential={key}/{scope}, SignedHeaders={signed}, "
                                f"Signature={sig}")
    return headers


def small_objects(server: Server, pairs: int, threads: int) -> float:
    """PUT+GET pairs per second... reported as requests/s (2 per pair)."""
    host = server.url.removeprefix("http://")
    body = os.urandom(1024)
    _request(server, host, "PUT", "/bench", b"")

    def worker(n: int, tid: int, errors: list[str]) -> None:
        conn = http.client.HTTPConnection(host)
        for i in range(n):
            path = f"/bench/t{tid}/k{i}"
            for method, data in (("PUT", body), ("GET", None)):
                conn.request(method, path, body=data, headers=_sign(method, path, host, server.key, server.secret))
                reply = conn.getresponse()
                got = reply.read()
                if reply.status != 200 or (method == "GET" and got != body):
                    errors.append(f"{method} {path}: {reply.status}")
        conn.close()

    errors: list[str] = []
    per = pairs // threads
    pool = [threading.Thread(target=worker, args=(per, t, errors)) for t in range(threads)]
    start = time.perf_counter()
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    elapsed = time.perf_counter() - start
    if errors:
        raise SystemExit(f"{server.kind}: {len(errors)} failed requests, first: {errors[0]}")
    return 2 * per * threads / elapsed


def _request(server: Server, host: str, method: str, path: str, body: bytes) -> None:
    conn = http.client.HTTPConnection(host)
    conn.request(method, path, body=body, headers=_sign(method, path, host, server.key, server.secret))
    conn.getresponse().read()
    conn.close()


def large_object(server: Server, src: Path, dest: Path) -> tuple[float, float]:
    """(upload MB/s, download MB/s) of ``src`` with boto3's multipart transfer manager."""
    import boto3
    from boto3.s3.transfer import TransferConfig

    s3 = boto3.client("s3", endpoint_url=server.url, aws_access_key_id=server.key,
                      aws_secret_access_key=server.secret, region_name=REGION)
    s3.create_bucket(Bucket="large")
    config = TransferConfig(multipart_threshold=8 << 20, multipart_chunksize=8 << 20, max_concurrency=4)
    mb = src.stat().st_size / 1e6
    os.sync()  # each phase starts with no earlier writes still being flushed (as the floor's copy)
    start, cpu, mine = time.perf_counter(), server.cpu_s(), _own_cpu()
    s3.upload_file(str(src), "large", "big", Config=config)
    up = mb / (time.perf_counter() - start)
    server.large_cpu, server.client_cpu = [server.cpu_s() - cpu], [_own_cpu() - mine]
    os.sync()
    start, cpu, mine = time.perf_counter(), server.cpu_s(), _own_cpu()
    s3.download_file("large", "big", str(dest), Config=config)
    down = mb / (time.perf_counter() - start)
    server.large_cpu.append(server.cpu_s() - cpu)
    server.client_cpu.append(_own_cpu() - mine)
    if dest.stat().st_size != src.stat().st_size:
        raise SystemExit(f"{server.kind}: downloaded {dest.stat().st_size} bytes of {src.stat().st_size}")
    dest.unlink()
    return up, down


def _own_cpu() -> float:
    """CPU seconds of this process (the boto3 client: its threads hash, sign and copy too)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def copy_floor(src: Path, dest: Path) -> float:
    """MB/s of shutil.copyfile (cp) of ``src`` on the same disk."""
    start = time.perf_counter()
    shutil.copyfile(src, dest)
    os.sync()
    rate = src.stat().st_size / 1e6 / (time.perf_counter() - start)
    dest.unlink()
    return rate


def hash_floor(src: Path) -> float:
    """MB per CPU-second of the hashing an upload must do whatever the server: MD5 (the
    ETag), SHA-256 (botocore signs payloads over http) and CRC32 (its checksum), one core."""
    import zlib

    md5, sha, crc = hashlib.md5(usedforsecurity=False), hashlib.sha256(), 0
    start, done = time.process_time(), 0
    with src.open("rb") as fh:
        while done < 256 << 20 and (chunk := fh.read(256 << 10)):
            md5.update(chunk)
            sha.update(chunk)
            crc = zlib.crc32(chunk, crc)
            done += len(chunk)
    return done / 1e6 / (time.process_time() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--serve", help=argparse.SUPPRESS)
    parser.add_argument("--small", type=int, default=2000, help="PUT+GET pairs per server")
    parser.add_argument("--threads", type=int, default=4, help="client threads for small objects")
    parser.add_argument("--size-mb", type=int, default=1024, help="large object size (MiB)")
    parser.add_argument("--no-moto-large", action="store_true", help="skip moto's large-object run")
    args = parser.parse_args()
    if args.serve:
        serve_sagestep(args.serve)
        return
    with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_DIR")) as tmp:
        work = Path(tmp)
        src = work / "src.bin"
        with src.open("wb") as fh:
            for _ in range(args.size_mb):
                fh.write(os.urandom(1 << 20))
        floor = copy_floor(src, work / "copy.bin")
        hashing = hash_floor(src)
        rows = {}
        cpu_large: dict[str, list[list[float]]] = {}
        for kind in ("sagestep", "moto"):
            server = Server(kind, str(work / "ws"))
            try:
                cpu0 = server.cpu_s()
                rps = small_objects(server, args.small, args.threads)
                cpu_ms = 1000 * (server.cpu_s() - cpu0) / (2 * args.small)
                large = (float("nan"), float("nan"))
                if kind == "sagestep" or not args.no_moto_large:
                    large = large_object(server, src, work / "down.bin")
                rows[kind] = (rps, cpu_ms, *large, server.peak_mb())
                cpu_large[kind] = [server.large_cpu, server.client_cpu]
            finally:
                server.close()
    print(f"small objects: {args.small} x (PUT 1 KiB + GET), {args.threads} client threads; "
          f"large object: {args.size_mb} MiB multipart (8 MiB parts, 4 threads)")
    print(f"disk copy floor (shutil.copyfile + sync): {floor:8.1f} MB/s")
    print(f"hashing floor (MD5 + SHA-256 + CRC32 of the body, one core): {hashing:8.1f} MB per CPU-second")
    print(f"{'server':<9} {'req/s':>8} {'CPU ms/req':>11} {'upload MB/s':>12} {'download MB/s':>14} "
          f"{'peak RSS MB':>12}")
    for kind, (rps, cpu_ms, up, down, peak) in rows.items():
        print(f"{kind:<9} {rps:8.0f} {cpu_ms:11.2f} {up:12.1f} {down:14.1f} {peak:12.1f}")
    s, m = rows["sagestep"], rows["moto"]
    print(f"requests/s vs moto: {s[0] / m[0]:.1f}x; server CPU per request: moto/sagestep = "
          f"{m[1] / s[1]:.1f}x (target >= 5x)")
    print(f"large vs disk copy: upload {100 * s[2] / floor:.0f}%, download {100 * s[3] / floor:.0f}% "
          "(target >= 50%)")
    gb = args.size_mb * 1.048576 / 1000
    cores = os.cpu_count() or 1
    for kind, ((up_cpu, down_cpu), (up_client, down_client)) in cpu_large.items():
        if up_cpu != up_cpu:  # nan: no large run for this server
            continue
        # Server and client share this machine's cores: their CPU per GB bounds the rate any
        # implementation of this server could reach here.
        bound = cores * 1000 / ((up_cpu + up_client) / gb)
        print(f"{kind}: CPU per GB, upload: server {up_cpu / gb:.2f} s + client {up_client / gb:.2f} s "
              f"-> at most {bound:.0f} MB/s on {cores} cores ({100 * bound / floor:.0f}% of the copy); "
              f"download: server {down_cpu / gb:.2f} s + client {down_client / gb:.2f} s")
    print(f"load average during the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs "
          "(figures on a shared machine vary with it)")


if __name__ == "__main__":
    main()

"""A moto server on 127.0.0.1 behind a small validating proxy (test helper).

moto does not implement ``ValidateStateMachineDefinition``, which the Terraform AWS provider
calls when it plans ``aws_sfn_state_machine``. The proxy answers that call with sagestep's
own definition validator (:func:`sagestep.asl.parse_definition`), answers
``ListStateMachineVersions`` (also missing in moto) with the empty list it is for state
machines that never publish versions, and forwards every other request, unchanged, to moto.

    with MotoStack() as stack:
        boto3.client("s3", endpoint_url=stack.url, region_name=stack.region, ...)
"""

from __future__ import annotations

import http.client
import json
import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

VALIDATE_TARGET = "AWSStepFunctions.ValidateStateMachineDefinition"
# moto 5.2 raises NotImplementedError (HTTP 500) for this read, which the provider makes after
# creating aws_sfn_state_machine. The module never publishes versions, so the true answer
# for its state machines is an empty list.
VERSIONS_TARGET = "AWSStepFunctions.ListStateMachineVersions"
_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "upgrade", "proxy-connection"}


def validate_definition(body: dict[str, Any]) -> dict[str, Any]:
    """The ValidateStateMachineDefinition response for one request body."""
    from sagestep.asl import parse_definition
    from sagestep.errors import DefinitionError

    try:
        parse_definition(body.get("definition", ""))
    except DefinitionError as exc:
        diagnostic = {"severity": "ERROR", "code": "SCHEMA_VALIDATION_FAILED", "message": str(exc)}
        return {"result": "FAIL", "diagnostics": [diagnostic], "truncated": False}
    return {"result": "OK", "diagnostics": [], "truncated": False}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    upstream: tuple[str, int] = ("127.0.0.1", 0)
    calls: list[str]

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        """Keep test output quiet."""

    def _relay(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        target = self.headers.get("X-Amz-Target", "")
        self.calls.append(target or f"{self.command} {self.path}")
        if target == VALIDATE_TARGET:
            self._answer(200, json.dumps(validate_definition(json.loads(body or b"{}"))).encode())
            return
        if target == VERSIONS_TARGET:
            self._answer(200, json.dumps({"stateMachineVersions": []}).encode())
            return
        conn = http.client.HTTPConnection(*self.upstream, timeout=60)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP}
        conn.request(self.command, self.path, body=body, headers=headers)
        resp = conn.getresponse()
        data = resp.read()
        self.send_response(resp.status)
        for key, value in resp.getheaders():
            if key.lower() not in _HOP_BY_HOP and key.lower() != "content-length":
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(data)))
        self._close()
        if self.command != "HEAD":
            self.wfile.write(data)
        conn.close()

    def _answer(self, status: int, data: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/x-amz-json-1.0")
        self.send_header("Content-Length", str(len(data)))
        self._close()
        self.wfile.write(data)

    def _close(self) -> None:
        # One request per connection: a reused keep-alive connection raced with the
        # provider's Go client now and then ("use of closed network connection").
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = do_PATCH = _relay


class MotoStack:
    """A ThreadedMotoServer and the validating proxy in front of it, both on 127.0.0.1."""

    region = "eu-west-1"
    account = "123456789012"  # moto's default account

    def __init__(self, execute_state_machines: bool = True) -> None:
        self._execute = execute_state_machines
        self.calls: list[str] = []

    def __enter__(self) -> MotoStack:
        from moto.server import ThreadedMotoServer

        self._moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        self._moto.start()
        host, port = self._moto.get_host_and_port()
        handler = type("Handler", (_Handler,), {"upstream": (host, port), "calls": self.calls})
        self._proxy = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._proxy.daemon_threads = True
        self._thread = threading.Thread(target=self._proxy.serve_forever, daemon=True)
        self._thread.start()
        self.url = f"http://127.0.0.1:{self._proxy.server_address[1]}"
        self.moto_url = f"http://{host}:{port}"
        # moto's Step Functions interpreter calls service integrations (SQS, SNS, DynamoDB, ...)
        # at http://localhost:$MOTO_PORT (default 5000), read at each call.
        self._saved_port = os.environ.get("MOTO_PORT")
        os.environ["MOTO_PORT"] = str(port)
        # moto's backends are process-wide, shared by every server in this process: start clean.
        self._post("/moto-api/reset", {})
        # moto's Step Functions runs real ASL (its LocalStack-derived parser) only when asked.
        # That interpreter runs ONE execution per reset in moto 5.2.1: a later StartExecution
        # deep-copies the backend, locks of the earlier run included, and fails (HTTP 500).
        self._post("/moto-api/config", {"stepfunctions": {"execute_state_machine": self._execute}})
        return self

    def __exit__(self, *exc: object) -> None:
        self._post("/moto-api/reset", {})
        # The config is process-wide too: leave moto as other tests expect it (the default).
        self._post("/moto-api/config", {"stepfunctions": {"execute_state_machine": False}})
        if self._saved_port is None:
            os.environ.pop("MOTO_PORT", None)
        else:
            os.environ["MOTO_PORT"] = self._saved_port
        self._proxy.shutdown()
        self._proxy.server_close()
        self._moto.stop()

    def _post(self, path: str, payload: dict[str, Any]) -> None:
        parts = urlsplit(self.moto_url)
        conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=10)
        conn.request("POST", path, body=json.dumps(payload))
        resp = conn.getresponse()
        resp.read()
        conn.close()
        if resp.status >= 300:
            raise RuntimeError(f"moto refused {path}: HTTP {resp.status}")

    def env(self) -> dict[str, str]:
        """Environment variables that point boto3 (and the sagestep Lambdas) at this stack."""
        return {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_SESSION_TOKEN": "testing",
            "AWS_DEFAULT_REGION": self.region,
            "AWS_REGION": self.region,
            "AWS_ENDPOINT_URL": self.url,
            "AWS_CONFIG_FILE": "/dev/null",
            "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
        }

    def client(self, service: str) -> Any:
        """A boto3 client of ``service`` against the proxy."""
        import boto3

        return boto3.client(
            service,
            endpoint_url=self.url,
            region_name=self.region,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )

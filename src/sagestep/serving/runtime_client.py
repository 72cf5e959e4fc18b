"""The boto3-shaped local ``sagemaker-runtime`` client: invoke_endpoint over the routing table.

    rt = sagestep.local.client("sagemaker-runtime", home=DIR)
    out = rt.invoke_endpoint(EndpointName="ep", Body=b"1,2,3", ContentType="text/csv")
    out["Body"].read()

Requests are validated against botocore's ``sagemaker-runtime`` model. Errors are the
modeled exceptions boto3 raises (``client.exceptions.ModelError`` with OriginalStatusCode,
OriginalMessage and LogStreamArn; ``ValidationError`` for an unknown endpoint or one not
InService; both ClientError subclasses). A request whose connection is refused or closed
before any answer (an old server draining during an update) is re-routed and retried, so a
switch drops nothing.
"""

from __future__ import annotations

import functools
import http.client
import io
import random
import socket
import sys
import threading
import time
from typing import Any

from botocore.response import StreamingBody

from sagestep.errors import StoreError, modeled_exceptions
from sagestep.serving.capture import CaptureConfig, CaptureWriter
from sagestep.serving.rollout import ACTIVE, RolloutTable
from sagestep.serving.routes import Route, RouteTable
from sagestep.serving.traffic import Meter, TrafficTable

_RETRYABLE = (ConnectionRefusedError, ConnectionResetError, BrokenPipeError,
              http.client.RemoteDisconnected, http.client.BadStatusLine)
_ATTEMPTS = 20
_UNKNOWN: Any = object()  # capture config not looked up yet
MAX_BODY = 6 * 1024 * 1024
_TIMEOUT_SECONDS = 60.0  # the platform's invocation timeout
_HEADERS = {"CustomAttributes": "X-Amzn-SageMaker-Custom-Attributes",
            "TargetModel": "X-Amzn-SageMaker-Target-Model",
            "TargetContainerHostname": "X-Amzn-SageMaker-Target-Container-Hostname",
            "InferenceId": "X-Amzn-SageMaker-Inference-Id",
            "EnableExplanations": "X-Amzn-SageMaker-Enable-Explanations",
            "SessionId": "X-Amzn-SageMaker-Session-Id"}


@functools.cache
def _service() -> tuple[Any, Any]:
    import botocore.session

    model = botocore.session.get_session().get_service_model("sagemaker-runtime")
    return model, modeled_exceptions("sagemaker-runtime")


class LocalSageMakerRuntimeClient:
    """boto3 ``sagemaker-runtime`` methods over one local runtime's endpoints."""

    def __init__(self, runtime: Any) -> None:
        self._runtime = runtime
        self._local = threading.local()
        # (endpoint, generation) -> its DataCaptureConfig: one dict lookup per call when
        # capture is off; a new generation (an update) reads the endpoint config again.
        self._captures: dict[tuple[str, int], CaptureConfig | None] = {}
        self._writer: CaptureWriter | None = None
        self.meter = Meter(lambda: TrafficTable(runtime.workspace.db_path), runtime.clock.now)

    @property
    def exceptions(self) -> Any:
        """The modeled exception classes, as ``boto3.client("sagemaker-runtime").exceptions``."""
        return _service()[1]

    @property
    def _routes(self) -> RouteTable:
        # One table (one SQLite connection, WAL: readers run side by side) per thread: the
        # local AWS API serves InvokeEndpoint from a thread pool, and one shared connection's
        # lock serialised every invocation's route lookup (bench/serving.py, api rows).
        table: RouteTable | None = self._local.__dict__.get("routes")
        if table is None:
            table = self._local.routes = RouteTable(self._runtime.workspace.db_path)
        return table

    def invoke_endpoint(self, **params: Any) -> dict[str, Any]:
        """InvokeEndpoint: route to a variant's model server and return its answer."""
        self._validate(params)
        name = params["EndpointName"]
        body = _body_bytes(params["Body"])
        if len(body) > MAX_BODY:
            raise self._error("ValidationError", f"Request body of {len(body)} bytes exceeds the "
                              f"InvokeEndpoint limit of {MAX_BODY} bytes (6 MB).", 400)
        headers = {"Content-Type": params.get("ContentType") or "application/octet-stream"}
        if params.get("Accept"):
            headers["Accept"] = params["Accept"]
        headers.update({h: str(params[k]) for k, h in _HEADERS.items() if k in params})
        for attempt in range(_ATTEMPTS):
            route, split = self._choose(name, params.get("TargetVariant"))
            began = time.perf_counter()
            try:
                status, reply_headers, data = self._post(route.port, body, headers)
            except (*_RETRYABLE, TimeoutError, OSError) as exc:
                self._drop(route.port)
                if not isinstance(exc, _RETRYABLE) or attempt == _ATTEMPTS - 1:
                    if split:
                        self.meter.record(name, route.generation, True,
                                          time.perf_counter() - began)
                    raise self._model_error(name, 500, f"{type(exc).__name__}: {exc}") from exc
                time.sleep(0.01 * attempt)
                continue
            if split:  # only a rollout reads the counts: two generations are routed
                self.meter.record(name, route.generation, status >= 500,
                                  time.perf_counter() - began)
            elif self.meter.pending:  # a rollout just ended: its last counts still go out
                self.meter.flush()
            if status >= 400:
                raise self._model_error(name, status, data.decode("utf-8", "replace"))
            reply = self._response(route, reply_headers, data)
            capture = self._captures.get((name, route.generation), _UNKNOWN)
            if capture is _UNKNOWN:
                capture = self._capture_config(route)
            if capture is not None:
                self._capture(capture, route, params, (body, headers["Content-Type"]),
                              (data, reply["ContentType"]))
            return reply
        raise AssertionError("unreachable")

    # --- data capture ----------------------------------------------------------------------

    def _capture_config(self, route: Route) -> CaptureConfig | None:
        records = self._runtime.sagemaker.records
        deployment = self._routes.deployment(route.endpoint)
        config_name = deployment[0] if deployment else None
        rollout = RolloutTable(self._runtime.workspace.db_path).get(route.endpoint)
        if rollout is not None and rollout.state in ACTIVE and (
                route.generation != rollout.new_generation):
            config_name = rollout.old_config  # blue keeps its own capture while traffic shifts
        if config_name is None:
            config_name = (records.get("endpoint", route.endpoint) or {}).get("EndpointConfigName")
        config = records.get("endpoint-config", config_name) if config_name else None
        found = CaptureConfig.parse((config or {}).get("DataCaptureConfig"))
        self._captures[(route.endpoint, route.generation)] = found
        return found

    def _capture(self, config: CaptureConfig, route: Route, params: dict[str, Any],
                 request: tuple[bytes, str | None], response: tuple[bytes, str | None]) -> None:
        if self._writer is None:
            self._writer = CaptureWriter(self._runtime.object_store, self._runtime.clock.now)
        try:
            self._writer.capture(config, route.endpoint, route.variant, request, response,
                                 params.get("InferenceId"), params.get("CustomAttributes"))
        except (StoreError, OSError) as exc:
            # As on AWS, a capture that cannot be written never fails the invocation.
            print(f"sagestep: data capture for endpoint {route.endpoint} skipped: {exc}",
                  file=sys.stderr)

    # --- internals -------------------------------------------------------------------------

    def _validate(self, params: dict[str, Any]) -> None:
        from botocore.validate import ParamValidator

        model, _ = _service()
        shape = model.operation_model("InvokeEndpoint").input_shape
        checked = dict(params)
        if isinstance(checked.get("Body"), str):
            checked["Body"] = checked["Body"].encode()
        report = ParamValidator().validate(checked, shape)
        if report.has_errors():
            raise self._error("ValidationError", report.generate_report(), 400)

    def _choose(self, name: str, target: str | None) -> tuple[Route, bool]:
        """A route picked by weight, and whether two generations are routed (a rollout)."""
        routes = self._routes.routes(name)
        if not routes:
            raise self._not_invocable(name)
        split = any(r.generation != routes[0].generation for r in routes)
        if target is not None:
            routes = [route for route in routes if route.variant == target]
            if not routes:
                raise self._error("ValidationError", f"Variant {target} not found for endpoint "
                                  f"{name}; variants: "
                                  f"{', '.join(r.variant for r in self._routes.routes(name))}.",
                                  400)
        if len(routes) == 1:
            return routes[0], split
        weights = [max(r.weight, 0.0) for r in routes]
        if not any(weights):
            weights = [1.0] * len(routes)
        return random.choices(routes, weights)[0], split

    def _not_invocable(self, name: str) -> Exception:
        doc = self._runtime.sagemaker.records.get("endpoint", name)
        account = self._runtime.sagemaker.arns.account
        if doc is None:
            return self._error("ValidationError", f"Endpoint {name} of account {account} not found.",
                               400)
        return self._error(
            "ValidationError", f"Endpoint {name} of account {account} is in status "
            f"{doc.get('EndpointStatus')}; it can be invoked once it is InService.", 400)

    def _post(self, port: int, body: bytes, headers: dict[str, str]) -> tuple[int, Any, bytes]:
        conns: dict[int, http.client.HTTPConnection] = self._local.__dict__.setdefault("c", {})
        conn = conns.get(port)
        if conn is None:
            conn = conns[port] = http.client.HTTPConnection("127.0.0.1", port,
                                                            timeout=_TIMEOUT_SECONDS)
            conn.connect()
            # http.client writes the headers and the body apart: without TCP_NODELAY the
            # body waits for the ACK of the headers (Nagle), which the server may delay.
            conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        conn.request("POST", "/invocations", body=body, headers=headers)
        response = conn.getresponse()
        data = response.read()
        if response.will_close:
            self._drop(port)
        return response.status, response.headers, data

    def _drop(self, port: int) -> None:
        conns = self._local.__dict__.get("c", {})
        conn = conns.pop(port, None)
        if conn is not None:
            conn.close()

    def _response(self, route: Route, headers: Any, data: bytes) -> dict[str, Any]:
        out: dict[str, Any] = {
            "ResponseMetadata": {"HTTPStatusCode": 200, "RetryAttempts": 0, "HTTPHeaders": {}},
            "ContentType": headers.get("Content-Type", "application/octet-stream"),
            "InvokedProductionVariant": route.variant,
            "Body": StreamingBody(io.BytesIO(data), len(data)),
        }
        attributes = headers.get("X-Amzn-SageMaker-Custom-Attributes")
        if attributes is not None:
            out["CustomAttributes"] = attributes
        return out

    def _error(self, code: str, message: str, status: int, **extra: Any) -> Exception:
        response = {"Error": {"Code": code, "Message": message},
                    "ResponseMetadata": {"HTTPStatusCode": status}, **extra}
        return self.exceptions.from_code(code)(response, "InvokeEndpoint")  # type: ignore[no-any-return]

    def _model_error(self, name: str, status: int, message: str) -> Exception:
        svc = self._runtime.sagemaker
        region, account = svc.arns.region, svc.arns.account
        group = f"/aws/sagemaker/Endpoints/{name}"
        kind = "client" if status < 500 else "server"
        text = (f"Received {kind} error ({status}) from primary with message \"{message}\". See "
                f"https://{region}.console.aws.amazon.com/cloudwatch/home?region={region}"
                f"#logEventViewer:group={group} in account {account} for more information.")
        return self._error(
            "ModelError", text, 424, OriginalStatusCode=status, OriginalMessage=message,
            LogStreamArn=f"arn:aws:logs:{region}:{account}:log-group:{group}",
        )


def _body_bytes(body: Any) -> bytes:
    if isinstance(body, bytes | bytearray | memoryview):
        return bytes(body)
    if isinstance(body, str):
        return body.encode("utf-8")
    if hasattr(body, "read"):
        data = body.read()
        return data.encode("utf-8") if isinstance(data, str) else bytes(data)
    raise TypeError(f"Body must be bytes, str or a readable file object, not {type(body).__name__}")

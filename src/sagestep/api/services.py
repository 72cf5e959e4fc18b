"""SageMaker, Step Functions, CloudWatch Logs (awsJson1_1), SageMaker Runtime (restJson1), STS (query).

Each request becomes one call of the local boto3-shaped client the Python API already
offers (``runtime.client(service)``), with parameters parsed by the operation's input shape
and the result written by its output shape: members outside the model (the local-only
``SagestepLocal`` key) are dropped, timestamps become epoch seconds. No service logic here.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any

import botocore.session
from botocore import xform_name
from botocore.exceptions import ClientError, ParamValidationError
from botocore.model import OperationModel, ServiceModel

from sagestep.api import rest, shapes
from sagestep.api.errors import ApiError, from_client_error
from sagestep.api.wire import Wire

log = logging.getLogger(__name__)
# X-Amz-Target prefix -> (local client name, botocore service name)
TARGETS = {"SageMaker": ("sagemaker", "sagemaker"), "AWSStepFunctions": ("stepfunctions", "stepfunctions"),
           "Logs_20140328": ("logs", "logs")}
STS_XMLNS = "https://sts.amazonaws.com/doc/2011-06-15/"
MAX_JSON_BODY = 64 << 20  # InvokeEndpoint payloads are capped at 25 MB by AWS; leave room
# The services' own pool, used through the event loop directly: anyio's run_sync (starlette's
# run_in_threadpool) adds several times the hand-off cost, which an InvokeEndpoint of a small
# model pays on every call (py-spy on bench/serving.py's api rows; s3.py does the same).
_POOL = ThreadPoolExecutor(max_workers=32, thread_name_prefix="sagestep-api-json")


class JsonServices:
    """Dispatch of the JSON and query protocols onto the runtime's local clients."""

    def __init__(self, runtime: Any, account: str, region: str) -> None:
        session = botocore.session.get_session()
        self.runtime = runtime
        self.account = account
        self.region = region
        self.models: dict[str, ServiceModel] = {
            name: session.get_service_model(svc) for name, svc in
            (("sagemaker", "sagemaker"), ("stepfunctions", "stepfunctions"),
             ("sagemaker-runtime", "sagemaker-runtime"), ("sts", "sts"), ("logs", "logs"))
        }
        self.runtime_routes = rest.routes(self.models["sagemaker-runtime"])
        self._clients: dict[str, Any] = {}

    def _client(self, service: str) -> Any:
        if service not in self._clients:
            self._clients[service] = self.runtime.client(service)
        return self._clients[service]

    async def _call(self, service: str, op: OperationModel, params: dict[str, Any]) -> dict[str, Any]:
        method = getattr(self._client(service), xform_name(op.name), None)
        if method is None:
            raise ApiError("UnknownOperationException",
                           f"sagestep's local {service} does not implement {op.name}", 400)
        try:
            call = partial(method, **params)
            return dict(await asyncio.get_running_loop().run_in_executor(_POOL, call) or {})
        except ClientError as exc:
            raise from_client_error(exc) from exc
        except ParamValidationError as exc:
            raise ApiError("ValidationException", str(exc)) from exc

    async def json_call(self, wire: Wire, target: str) -> tuple[int, dict[str, str], bytes]:
        """An X-Amz-Target request (awsJson1_0/1_1)."""
        prefix, _, name = target.partition(".")
        if prefix not in TARGETS:
            raise ApiError("UnknownOperationException", f"unknown X-Amz-Target {target!r}")
        service, _ = TARGETS[prefix]
        model = self.models[service]
        if name not in model.operation_names:
            raise ApiError("UnknownOperationException", f"{service} has no operation {name!r}")
        op = model.operation_model(name)
        raw = await wire.read_body(MAX_JSON_BODY)
        try:
            data = json.loads(raw or b"{}")
        except ValueError as exc:
            raise ApiError("SerializationException", f"request body is not JSON: {exc}") from exc
        params = shapes.from_json(op.input_shape, data) if op.input_shape else {}
        _check_required(op, params)
        result = await self._call(service, op, params)
        body = shapes.to_json(op.output_shape, result) if op.output_shape else {}
        ctype = f"application/x-amz-json-{model.metadata.get('jsonVersion', '1.1')}"
        return 200, {"Content-Type": ctype}, json.dumps(body).encode()

    async def runtime_call(self, wire: Wire) -> tuple[int, dict[str, str], Any]:
        """SageMaker Runtime (restJson1): InvokeEndpoint with its X-Amzn-SageMaker-* headers."""
        parts = wire.raw_path.strip("/").split("/")
        route, labels = rest.match(self.runtime_routes, wire.method, parts, wire.query, wire.headers)
        raw = await wire.read_body(MAX_JSON_BODY)
        params = rest.parse_input(route.op, labels, wire.query, wire.headers, raw, xml=False)
        result = await self._call("sagemaker-runtime", route.op, params)
        if hasattr(result.get("Body"), "read"):
            result["Body"] = result["Body"].read()
        return rest.serialize_output(route.op, result, xml=False)

    async def sts_call(self, wire: Wire, access_key: str) -> tuple[int, dict[str, str], bytes]:
        """STS over the query protocol: GetCallerIdentity, which SDKs call to learn the account."""
        from urllib.parse import parse_qs

        form = parse_qs((await wire.read_body(1 << 20)).decode(), keep_blank_values=True)
        action = (form.get("Action") or wire.query.get("Action") or [""])[0]
        if action != "GetCallerIdentity":
            raise ApiError("InvalidAction", f"sagestep's local STS does not implement {action!r}")
        op = self.models["sts"].operation_model(action)
        result = {"UserId": access_key, "Account": self.account,
                  "Arn": f"arn:aws:iam::{self.account}:user/sagestep"}
        inner = shapes.to_xml(op.output_shape, result, f"{action}Result")
        body = (f'<{action}Response xmlns="{STS_XMLNS}">{inner}<ResponseMetadata><RequestId>'
                f"{uuid.uuid4()}</RequestId></ResponseMetadata></{action}Response>")
        return 200, {"Content-Type": "text/xml"}, body.encode()


def _check_required(op: OperationModel, params: dict[str, Any]) -> None:
    """AWS's ValidationException for missing top-level required members (SDKs check these
    before sending; raw requests and other tools may not)."""
    shape = op.input_shape
    missing = [m for m in (shape.required_members if shape is not None else []) if params.get(m) is None]
    if missing:
        detail = "; ".join(f"Value null at '{m[0].lower()}{m[1:]}' failed to satisfy constraint: "
                           "Member must not be null" for m in missing)
        raise ApiError("ValidationException", f"{len(missing)} validation error(s) detected: {detail}")

"""The ASGI app: which AWS service a request is for, who signed it, and the protocol's reply.

A request is Step Functions or SageMaker when it carries ``X-Amz-Target``, SageMaker Runtime
when it is signed for "sagemaker" on ``/endpoints/...``, STS when signed for "sts", and S3
otherwise (path-style ``/bucket/key`` or virtual-hosted ``bucket.localhost``). Every
request must be SigV4-signed with the workspace's key pair; errors take each protocol's
form (S3 and STS XML documents, JSON ``__type`` bodies).
"""

from __future__ import annotations

import hashlib
import itertools
import json
import logging
import os
import time
import uuid
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from sagestep.api import auth
from sagestep.api.errors import ApiError
from sagestep.api.s3 import S3Api
from sagestep.api.services import STS_XMLNS, JsonServices
from sagestep.api.wire import Wire, json_error, query_error, send, xml_error

log = logging.getLogger(__name__)
# Request ids: unique per server run and cheaper than a uuid4 (os.urandom) per request.
_RUN_ID = uuid.uuid4().hex[:8].upper()
_SEQ = itertools.count()
HEALTH_PATH = "/_sagestep/health"  # bucket names cannot start with "_", so S3 never sees it


class ApiApp:
    """ASGI callable serving one workspace's runtime."""

    def __init__(self, runtime: Any, keys: tuple[str, str], region: str, account: str) -> None:
        self.runtime = runtime
        self.access_key, self.secret_key = keys
        self.region = region
        self.s3 = S3Api(runtime.object_store, region, account)
        self.services = JsonServices(runtime, account, region)

    async def __call__(self, scope: dict[str, Any], receive: Any, send_fn: Any) -> None:
        if scope["type"] == "lifespan":
            while (await receive())["type"] != "lifespan.shutdown":
                await send_fn({"type": "lifespan.startup.complete"})
            await send_fn({"type": "lifespan.shutdown.complete"})
            return
        if scope["type"] != "http":
            return
        wire = Wire(scope, receive)
        if wire.raw_path == HEALTH_PATH:
            health = json.dumps({"workspace": str(self.runtime.workspace.root), "pid": os.getpid()})
            await send(send_fn, 200, {"Content-Type": "application/json"}, health)
            return
        kind = self._kind(wire)
        request_id = f"{_RUN_ID}{next(_SEQ):012X}"
        body: Any
        try:
            status, headers, body = await self._handle(wire, kind)
        except ApiError as err:
            status, headers, body = self._error(err, kind, wire, request_id)
        except Exception as exc:  # a bug must still answer in the protocol's form
            log.exception("local AWS API: %s %s failed", wire.method, wire.raw_path)
            failure = ApiError("InternalError", f"{type(exc).__name__}: {exc}", 500)
            status, headers, body = self._error(failure, kind, wire, request_id)
        headers.setdefault("x-amz-request-id" if kind == "s3" else "x-amzn-RequestId", request_id)
        if status >= 400 and wire.body_unread():
            # Refused before its body was read (a bad key, a signature): the client may still
            # send that body (it waits for 100-continue, or streams it), and whatever follows
            # on this connection would be read as the next request. Close it, as S3 does.
            headers["Connection"] = "close"
        await send(send_fn, status, headers, body, head=wire.method == "HEAD")

    def _kind(self, wire: Wire) -> str:
        if "x-amz-target" in wire.headers:
            return "json"
        service = _scope_service(wire)
        if service == "sts" or (not service and wire.method == "POST" and wire.raw_path == "/" and
                                wire.headers.get("content-type", "").startswith("application/x-www-form-urlencoded")):
            return "sts"  # unsigned too: S3 has no form POST on "/", STS's query protocol does
        if service == "sagemaker" and wire.raw_path.startswith("/endpoints/"):
            return "runtime"
        return "s3"

    async def _handle(self, wire: Wire, kind: str) -> tuple[int, dict[str, str], Any]:
        if kind == "s3":
            self._authenticate(wire, kind, wire.headers.get("x-amz-content-sha256"))
            reply: tuple[int, dict[str, str], Any] = await self.s3(wire, self._s3_parts(wire))
            return reply
        raw = await wire.read_body(64 << 20)
        claimed = wire.headers.get("x-amz-content-sha256")
        self._authenticate(wire, kind, claimed or hashlib.sha256(raw).hexdigest())
        if kind == "json":
            return await self.services.json_call(wire, wire.headers["x-amz-target"])
        if kind == "runtime":
            return await self.services.runtime_call(wire)
        return await self.services.sts_call(wire, self.access_key)

    def _s3_parts(self, wire: Wire) -> list[str]:
        """[bucket, *key segments] (still URL-encoded) from a path- or virtual-hosted request."""
        path = wire.raw_path.lstrip("/")
        host = wire.headers.get("host", "").rsplit(":", 1)[0]
        if host.endswith(".localhost"):  # bucket.localhost or bucket.s3.localhost
            bucket = host[: -len(".localhost")].removesuffix(".s3")
            return [bucket, *path.split("/")] if path else [bucket]
        if not path:
            return []
        bucket, _, key = path.partition("/")
        return [bucket, *key.split("/")] if key else [bucket]

    def _authenticate(self, wire: Wire, kind: str, payload_hash: str | None) -> None:
        claims = auth.parse(wire.headers, wire.query)
        if claims is None and kind == "s3" and "AWSAccessKeyId" in wire.query:
            auth.verify_v2_query(self.secret_key, self.access_key, wire.method, wire.raw_path,
                                 wire.query, wire.headers)
            return
        if claims is None:
            raise _auth_error(kind, "missing")
        if claims.access_key != self.access_key:
            raise _auth_error(kind, "key")
        if claims.presigned:
            _check_expiry(wire.query)
            payload_hash = auth.UNSIGNED
        else:
            _check_skew(claims.amz_date, kind)
        try:
            auth.verify(claims, self.secret_key, wire.method, wire.raw_path, wire.raw_query,
                        wire.headers, payload_hash or auth.UNSIGNED)
        except ApiError as err:
            raise _auth_error(kind, "signature") if kind != "s3" else err from None

    def _error(self, err: ApiError, kind: str, wire: Wire, request_id: str) -> tuple[int, dict[str, str], bytes]:
        if kind == "s3":
            headers = {"Content-Type": "application/xml"}
            if err.code == "InvalidRange":
                headers["Content-Range"] = f"bytes */{err.fields.get('ActualObjectSize', 0)}"
            if err.status == 304:
                return 304, {"ETag": str(err.fields.get("ETag", ""))}, b""
            return err.status, headers, xml_error(err, wire.raw_path, request_id)
        if kind == "sts":
            return err.status, {"Content-Type": "text/xml"}, query_error(err, request_id, STS_XMLNS)
        ctype = "application/json" if kind == "runtime" else "application/x-amz-json-1.1"
        return err.status, {"Content-Type": ctype, "x-amzn-ErrorType": err.code}, json_error(err)


def _scope_service(wire: Wire) -> str:
    cred = ""
    auth_header = wire.headers.get("authorization", "")
    if "Credential=" in auth_header:
        cred = auth_header.split("Credential=", 1)[1].split(",", 1)[0]
    elif "X-Amz-Credential" in wire.query:
        cred = wire.query["X-Amz-Credential"][0]
    parts = cred.split("/")
    return parts[3] if len(parts) == 5 else ""


def _check_expiry(query: dict[str, list[str]]) -> None:
    try:
        signed = datetime.strptime(query["X-Amz-Date"][0], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
        expires = int(query.get("X-Amz-Expires", ["604800"])[0])
    except (KeyError, ValueError) as exc:
        raise ApiError("AuthorizationQueryParametersError", "bad X-Amz-Date or X-Amz-Expires") from exc
    if time.time() > signed.timestamp() + expires:
        raise ApiError("AccessDenied", "Request has expired", 403)


MAX_SKEW_S = 15 * 60  # AWS refuses signatures more than 15 minutes off (replays)


@lru_cache(maxsize=256)
def _amz_time(amz_date: str) -> float:
    # Cached: concurrent clients sign with the same second, and strptime is slow.
    try:
        return datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC).timestamp()
    except ValueError as exc:
        raise ApiError("AuthorizationHeaderMalformed", f"bad X-Amz-Date {amz_date!r}") from exc


def _check_skew(amz_date: str, kind: str) -> None:
    signed = _amz_time(amz_date)
    if abs(time.time() - signed) > MAX_SKEW_S:
        if kind == "s3":
            raise ApiError("RequestTimeTooSkewed", "The difference between the request time and "
                           "the current time is too large.", 403)
        code = "SignatureDoesNotMatch" if kind == "sts" else "InvalidSignatureException"
        raise ApiError(code, "Signature expired: the request time is more "
                       "than 15 minutes from the server's time.", 403)


_HINT = " (sagestep api env prints this workspace's endpoint and keys)"


# STS (query protocol) has its own codes for what the JSON services call *Exception.
_STS_AUTH = {"missing": ("MissingAuthenticationToken", "Request is missing Authentication Token", 403),
             "key": ("InvalidClientTokenId", "The security token included in the request is invalid.", 403),
             "signature": ("SignatureDoesNotMatch", "The request signature we calculated does not match "
                           "the signature you provided.", 403)}


def _auth_error(kind: str, what: str) -> ApiError:
    if kind == "sts":
        code, message, status = _STS_AUTH[what]
        return ApiError(code, message + _HINT, status)
    if kind == "s3":
        if what == "missing":
            return ApiError("AccessDenied", "Anonymous requests are refused; sign them" + _HINT, 403)
        return ApiError("InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist "
                        "in our records." + _HINT, 403)
    if what == "missing":
        return ApiError("MissingAuthenticationTokenException", "Request is missing Authentication Token" + _HINT, 403)
    if what == "key":
        return ApiError("UnrecognizedClientException", "The security token included in the request is invalid." + _HINT, 400)
    return ApiError("InvalidSignatureException", "The request signature we calculated does not match "
                    "the signature you provided." + _HINT, 403)

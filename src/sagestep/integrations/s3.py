"""S3 for the engine: ``aws-sdk:s3:*`` Tasks and the distributed Map's reader and writer.

``aws-sdk:s3:<action>`` answers as AWS Step Functions does (recorded in LocalStack's parity
suite): ``putObject`` writes the Body's JSON text (compact; a string keeps its quotes) and answers
``{ChecksumCRC32, ChecksumType, ETag, ServerSideEncryption}``; ``getObject`` answers the object's
metadata with ``Body`` as text; other actions answer the members of botocore's output shape
for the operation (dates as epoch milliseconds, ``ResponseMetadata`` dropped). Errors are
``S3.<Code>Exception`` (``S3.NoSuchKeyException``, ``S3.NoSuchBucketException``).

The ItemReader/ResultWriter resources (``arn:aws:states:::s3:getObject``,
``...:listObjectsV2``, ``...:putObject``) hand the engine raw bytes and listings.
"""

from __future__ import annotations

import base64
import json
import uuid
import zlib
from collections.abc import Callable
from datetime import datetime
from functools import cache
from typing import Any

from botocore.exceptions import ClientError

from sagestep.engine.failure import TaskError
from sagestep.engine.integration import Call, CallContext, Integration

SDK = "arn:aws:states:::aws-sdk:s3:"
OPTIMISED = "arn:aws:states:::s3:"
_STATUS = {"NoSuchKey": 404, "NoSuchBucket": 404, "404": 404}


def s3_error(exc: ClientError) -> TaskError:
    """``S3.<Code>Exception`` with the Java SDK v2 style cause AWS reports."""
    err = exc.response.get("Error", {})
    code = str(err.get("Code", "Unknown"))
    if code == "404":
        code = "NoSuchKey"
    message = str(err.get("Message", exc))
    status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or _STATUS.get(code,
                                                                                           400)
    request = uuid.uuid4().hex[:16].upper()
    return TaskError(f"S3.{code}Exception",
                     f"{message} (Service: S3, Status Code: {status}, Request ID: {request})")


def body_bytes(body: Any) -> bytes:
    """A putObject Body as AWS stores it: text as is, any other JSON value serialised."""
    if isinstance(body, str):
        return body.encode()
    if isinstance(body, bytes | bytearray):
        return bytes(body)
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()


def sdk_body(body: Any) -> bytes:
    """An ``aws-sdk:s3:putObject`` Body as AWS writes it: its JSON text, strings included
    (AWS stored ``"text data"`` with the quotes: ETag 2b5df371... in the recording)."""
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()


def _ms(value: Any) -> Any:
    return int(value.timestamp() * 1000) if isinstance(value, datetime) else value


@cache
def _output_members(operation: str) -> frozenset[str] | None:
    """botocore's output shape members of an S3 operation (None when unknown)."""
    import botocore.session

    model = botocore.session.get_session().get_service_model("s3")
    try:
        shape = model.operation_model(operation).output_shape
    except Exception:  # noqa: BLE001 - an unknown operation: keep the response as is
        return None
    return frozenset(shape.members) if shape is not None else frozenset()


def _shaped(operation: str, response: dict[str, Any]) -> dict[str, Any]:
    members = _output_members(operation)
    out: dict[str, Any] = {}
    for key, value in response.items():
        if key == "ResponseMetadata" or (members is not None and key not in members):
            continue
        out[key] = _jsonable(value)
    return out


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if hasattr(value, "read"):
        data = value.read()
        return data.decode("utf-8", errors="replace") if isinstance(data, bytes) else data
    return _ms(value)


def _snake(action: str) -> str:
    import re

    return re.sub(r"(?<!^)(?=[A-Z])", "_", action).lower()


def sdk_call(get_client: Callable[[], Any]) -> Callable[[Any, CallContext], Any]:
    def invoke(params: Any, ctx: CallContext) -> Any:
        action = ctx.resource.rsplit(":", 1)[-1].split(".")[0]
        params = dict(params or {})
        client = get_client()
        try:
            if action == "putObject":
                data = sdk_body(params.pop("Body", ""))
                out = client.put_object(Body=data, **params)
                crc = base64.b64encode(zlib.crc32(data).to_bytes(4, "big")).decode()
                return {"ChecksumCRC32": crc, "ChecksumType": "FULL_OBJECT",
                        "ETag": out.get("ETag"), "ServerSideEncryption": "AES256"}
            if action == "getObject":
                out = client.get_object(**params)
                body = out["Body"].read().decode("utf-8", errors="replace")
                return {"AcceptRanges": "bytes", "ContentLength": out.get("ContentLength"),
                        "ContentType": out.get("ContentType", "binary/octet-stream"),
                        "ETag": out.get("ETag"), "LastModified": _ms(out.get("LastModified")),
                        "Metadata": out.get("Metadata", {}), "ServerSideEncryption": "AES256",
                        "Body": body}
            func = getattr(client, _snake(action), None)
            if func is None:
                raise TaskError("S3.S3Exception",
                                f"The local S3 has no operation {action} (Service: S3, "
                                f"Status Code: 501)")
            operation = action[0].upper() + action[1:]
            return _shaped(operation, func(**params))
        except ClientError as exc:
            raise s3_error(exc) from exc

    return invoke


def s3_integrations(get_client: Callable[[], Any]) -> dict[str, Integration]:
    """``aws-sdk:s3:*`` plus the distributed Map's reader and writer resources."""

    def get_object(params: Any, ctx: CallContext) -> Any:
        try:
            out = get_client().get_object(Bucket=params["Bucket"], Key=params["Key"])
        except ClientError as exc:
            raise s3_error(exc) from exc
        return {"Body": out["Body"].read()}

    def list_objects(params: Any, ctx: CallContext) -> Any:
        try:
            return get_client().list_objects_v2(**params)
        except ClientError as exc:
            raise s3_error(exc) from exc

    def put_object(params: Any, ctx: CallContext) -> Any:
        try:
            out = get_client().put_object(Bucket=params["Bucket"], Key=params["Key"],
                                          Body=body_bytes(params.get("Body", b"")))
        except ClientError as exc:
            raise s3_error(exc) from exc
        return {"ETag": out.get("ETag")}

    return {SDK + "*": Call(sdk_call(get_client)),
            OPTIMISED + "getObject": Call(get_object),
            OPTIMISED + "listObjectsV2": Call(list_objects),
            OPTIMISED + "putObject": Call(put_object)}

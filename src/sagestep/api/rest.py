"""REST protocols (rest-xml for S3, rest-json for SageMaker Runtime) over botocore's models.

Requests are routed to an operation by its ``requestUri`` (method, path labels, literal query
keys) and the members the model marks required in the query string or headers: that is how
S3 tells PutObject from UploadPart (``?partNumber&uploadId``) and CopyObject
(``x-amz-copy-source``) on the same ``PUT /{Bucket}/{Key+}``. Members are then read from the
URI, query string, headers and body by their ``location``, and responses written back the
same way, so every operation is handled by one parser and one serializer.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import unquote

from botocore.model import OperationModel, ServiceModel, Shape

from sagestep.api import shapes
from sagestep.api.errors import ApiError

XML_DECL = '<?xml version="1.0" encoding="UTF-8"?>\n'
S3_XMLNS = "http://s3.amazonaws.com/doc/2006-03-01/"
# S3's root element names for responses without an explicit payload: the model leaves them
# out (botocore's parser ignores the root), but other SDKs and tools check them.
S3_ROOTS = {
    "ListObjects": "ListBucketResult", "ListObjectsV2": "ListBucketResult",
    "ListBuckets": "ListAllMyBucketsResult", "CreateMultipartUpload": "InitiateMultipartUploadResult",
    "CompleteMultipartUpload": "CompleteMultipartUploadResult", "ListParts": "ListPartsResult",
    "DeleteObjects": "DeleteResult", "ListMultipartUploads": "ListMultipartUploadsResult",
    "GetBucketLocation": "LocationConstraint", "GetBucketVersioning": "VersioningConfiguration",
    "GetBucketTagging": "Tagging", "GetObjectTagging": "Tagging", "GetBucketAcl": "AccessControlPolicy",
    "GetObjectAcl": "AccessControlPolicy", "GetBucketCors": "CORSConfiguration",
    "GetBucketLifecycleConfiguration": "LifecycleConfiguration", "GetBucketWebsite": "WebsiteConfiguration",
    "GetBucketLogging": "BucketLoggingStatus", "GetBucketAccelerateConfiguration": "AccelerateConfiguration",
    "GetBucketRequestPayment": "RequestPaymentConfiguration", "ListObjectVersions": "ListVersionsResult",
    "GetObjectAttributes": "GetObjectAttributesResponse",
    "GetBucketNotificationConfiguration": "NotificationConfiguration",
}


@dataclass(frozen=True)
class Route:
    """One operation's place in the URI space."""

    op: OperationModel
    method: str
    segments: tuple[str, ...]  # literal text, "{Label}" or "{Label+}" (greedy)
    query: tuple[tuple[str, str | None], ...]  # literal query keys (and values) it requires
    required: tuple[tuple[str, str], ...]  # (location, wire name) of required members

    def labels(self, parts: list[str]) -> dict[str, str] | None:
        """URI label values if ``parts`` (path split on "/") fits this route, else None."""
        out: dict[str, str] = {}
        for i, seg in enumerate(self.segments):
            if seg.endswith("+}"):
                rest = "/".join(parts[i:])
                if not rest:
                    return None
                out[seg[1:-2]] = rest
                return out
            if i >= len(parts):
                return None
            if seg.startswith("{"):
                if not parts[i]:
                    return None
                out[seg[1:-1]] = parts[i]
            elif seg != parts[i]:
                return None
        return out if len(parts) == len(self.segments) else None

    def score(self, query: dict[str, list[str]], headers: Any) -> int | None:
        """How specifically the request's query/headers fit (None if a requirement is unmet)."""
        n = 0
        for key, value in self.query:
            if key not in query or (value is not None and query[key][0] != value):
                return None
            n += 1
        for loc, wire in self.required:
            present = wire in query if loc == "querystring" else wire.lower() in headers
            if not present:
                return None
            n += 1
        return n


Table = dict[tuple[str, int], list[Route]]


def _depth(n: int) -> int:
    # 0: service root, 1: "/{Bucket}", 2: deeper ("/{Bucket}/{Key+}", "/endpoints/x/invocations")
    return min(n, 2)


def routes(model: ServiceModel) -> Table:
    """Every operation of ``model`` as a Route, by HTTP method and path depth."""
    out: Table = {}
    for name in model.operation_names:
        op = model.operation_model(name)
        path, _, q = op.http["requestUri"].partition("?")
        segments = tuple(unquote(s) for s in path.strip("/").split("/")) if path.strip("/") else ()
        query = tuple(
            (k, v if sep else None) for k, sep, v in (p.partition("=") for p in q.split("&") if p)
        )
        required: list[tuple[str, str]] = []
        if op.input_shape is not None:
            for mname in op.input_shape.required_members:
                member = op.input_shape.members[mname]
                loc = member.serialization.get("location")
                if loc in ("querystring", "header"):
                    required.append((loc, member.serialization.get("name", mname)))
        route = Route(op, op.http["method"], segments, query, tuple(required))
        out.setdefault((route.method, _depth(len(segments))), []).append(route)
    return out


def match(
    table: Table, method: str, parts: list[str], query: dict[str, list[str]], headers: Any,
) -> tuple[Route, dict[str, str]]:
    """The most specific route for the request, with its URI labels (ApiError if none)."""
    best: tuple[int, Route, dict[str, str]] | None = None
    for route in table.get((method, _depth(len(parts))), ()):
        labels = route.labels(parts)
        if labels is None:
            continue
        score = route.score(query, headers)
        if score is not None and (best is None or score > best[0]):
            best = (score, route, labels)
    if best is None:
        raise ApiError("MethodNotAllowed", f"no operation answers {method} /{'/'.join(parts)}", 405)
    return best[1], best[2]


@lru_cache(maxsize=512)
def _layout(shape: Shape) -> tuple[tuple[str, Shape, str | None, str], ...]:
    """(name, member, location, wire name) of each member, computed once per shape."""
    return tuple((name, m, m.serialization.get("location"), m.serialization.get("name", name))
                 for name, m in shape.members.items())


def parse_input(
    op: OperationModel, labels: dict[str, str], query: dict[str, list[str]], headers: Any,
    body: bytes | None, xml: bool,
) -> dict[str, Any]:
    """Request parameters by member location; a streaming payload is left to the caller."""
    shape = op.input_shape
    params: dict[str, Any] = {}
    if shape is None:
        return params
    for name, member, loc, wire in _layout(shape):
        if loc == "uri":
            if wire in labels:
                params[name] = shapes.scalar_from_text(member, unquote(labels[wire]))
        elif loc == "querystring":
            if member.type_name == "list" and wire in query:
                params[name] = [shapes.scalar_from_text(member.member, v) for v in query[wire]]
            elif wire in query:
                params[name] = shapes.scalar_from_text(member, query[wire][0])
        elif loc == "header":
            value = headers.get(wire.lower())
            if value is not None and member.type_name == "list":  # sent comma-separated
                params[name] = [shapes.scalar_from_text(member.member, v.strip()) for v in value.split(",")]
            elif value is not None:
                params[name] = shapes.scalar_from_text(member, value, "rfc822")
        elif loc == "headers":
            prefix = wire.lower()
            found = {k[len(prefix):]: v for k, v in headers.items() if k.startswith(prefix)}
            if found:
                params[name] = found
    payload = shape.serialization.get("payload")
    if payload:
        member = shape.members[payload]
        if member.type_name == "structure" and body:
            params[payload] = _body(member, body, xml)
        elif member.type_name in ("blob", "string") and body is not None:
            params[payload] = body
    elif body:
        params.update(_body(shape, body, xml))
    return params


def _body(shape: Shape, body: bytes, xml: bool) -> Any:
    if xml:
        return shapes.from_xml(shape, body)
    try:
        return shapes.from_json(shape, json.loads(body))
    except ValueError as exc:
        raise ApiError("SerializationException", f"request body is not JSON: {exc}") from exc


def serialize_output(
    op: OperationModel, result: dict[str, Any], xml: bool,
) -> tuple[int, dict[str, str], Any]:
    """(status, headers, body) for a REST response; a streaming payload is returned as is."""
    shape = op.output_shape
    headers: dict[str, str] = {}
    status = 200
    if shape is None:
        return status, headers, b""
    for name, member, loc, wire in _layout(shape):
        value = result.get(name)
        if value is None:
            continue
        if loc == "header":
            headers[wire] = shapes.scalar_to_text(member, value)
        elif loc == "headers":
            for k, v in value.items():
                headers[f"{wire}{k}"] = str(v)
        elif loc == "statusCode":
            status = int(value)
    payload = shape.serialization.get("payload")
    if payload:
        member = shape.members[payload]
        value = result.get(payload)
        if member.type_name in ("blob", "string"):
            return status, headers, value if value is not None else b""
        if value is None:
            return status, headers, b""
        wire = member.serialization.get("name", payload)
        return status, headers, _out_body(member, value, wire, xml)
    if all(loc for _, _, loc, _ in _layout(shape)):
        return status, headers, b""
    return status, headers, _out_body(shape, result, S3_ROOTS.get(op.name, f"{op.name}Result"), xml)


def _out_body(shape: Shape, value: Any, root: str, xml: bool) -> bytes:
    if xml:
        return (XML_DECL + shapes.to_xml(shape, value, root, S3_XMLNS)).encode()
    return json.dumps(shapes.to_json(shape, value, rest=True)).encode()

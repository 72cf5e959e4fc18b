"""S3 over HTTP: route by the model, parse, run the handler, serialize (REST-XML).

Handlers run in a worker thread (anyio's pool) because they touch the disk; upload bodies
are received on the event loop straight into a scratch file, and GetObject bodies are sent
from the file in 1 MiB reads, so memory per request stays bounded.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any, TypeVar
from urllib.parse import unquote_to_bytes

import botocore.session

from sagestep.api import body as bodies
from sagestep.api import rest
from sagestep.api import s3_buckets as buckets
from sagestep.api import s3_config as config
from sagestep.api import s3_multipart as multipart
from sagestep.api import s3_objects as objects
from sagestep.api import s3_tags as tags
from sagestep.api.errors import ApiError
from sagestep.api.wire import Wire
from sagestep.stores.objectstore import LocalObjectStore

T = TypeVar("T")
MAX_KEY_BYTES = 1024  # S3's limit on a key's UTF-8 length
MAX_XML_BODY = 16 << 20  # DeleteObjects with 1000 keys is well below this
# Operations that only stat, create a directory or write one small file run on the event loop
# (a hop to the worker pool costs more than they do): GetObject only stats the file and reads
# its metadata here (send() streams the body). Anything that copies, lists or deletes many
# files runs in the pool, so a slow disk delays only its own request.
INLINE_OPS = frozenset({"HeadObject", "HeadBucket", "CreateBucket", "GetObject"})
INLINE_BYTES = 64 << 10


# The handlers' own pool, used through the event loop directly: anyio's run_sync (what
# starlette's run_in_threadpool wraps) costs several times more per call than the work of a
# small PUT or GET (profiled with py-spy on bench/api.py).
_POOL = ThreadPoolExecutor(max_workers=16, thread_name_prefix="sagestep-api-s3")


async def _run(fn: Callable[..., T], inline: bool, *args: Any) -> T:
    return fn(*args) if inline else await asyncio.get_running_loop().run_in_executor(_POOL, fn, *args)


class S3Api:
    """The S3 operations sagestep serves; any other answers NotImplemented (501)."""

    def __init__(self, store: LocalObjectStore, region: str, account: str) -> None:
        self.store = store
        self.region = region
        self.account = account
        self.model = botocore.session.get_session().get_service_model("s3")
        self.table = rest.routes(self.model)
        region_ops: dict[str, Callable[..., dict[str, Any]]] = {
            "ListBuckets": buckets.list_buckets, "CreateBucket": buckets.create_bucket,
            "HeadBucket": buckets.head_bucket, "DeleteBucket": buckets.delete_bucket,
            "ListObjectsV2": buckets.list_objects_v2, "ListObjects": buckets.list_objects,
            "GetBucketLocation": buckets.get_bucket_location,
            "ListObjectVersions": buckets.list_object_versions,
            "GetBucketTagging": tags.get_bucket_tagging, "PutBucketTagging": tags.put_bucket_tagging,
            "DeleteBucketTagging": tags.delete_bucket_tagging, **config.handlers(),
        }
        self.ops: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
            name: partial(fn, store, region=region) for name, fn in region_ops.items()
        }
        self.ops.update({
            "HeadObject": partial(objects.head_object, store),
            "DeleteObject": partial(objects.delete_object, store),
            "DeleteObjects": partial(objects.delete_objects, store),
            "CopyObject": partial(objects.copy_object, store),
            "CreateMultipartUpload": partial(multipart.create, store),
            "CompleteMultipartUpload": partial(multipart.complete, store),
            "AbortMultipartUpload": partial(multipart.abort, store),
            "ListParts": partial(multipart.list_parts, store),
            "ListMultipartUploads": partial(multipart.list_uploads, store),
            "UploadPartCopy": partial(multipart.upload_part_copy, store),
            "GetObjectAttributes": partial(objects.get_object_attributes, store),
            "GetObjectTagging": partial(tags.get_object_tagging, store),
            "PutObjectTagging": partial(tags.put_object_tagging, store),
            "DeleteObjectTagging": partial(tags.delete_object_tagging, store),
            "GetObjectAcl": partial(config.get_object_acl, store),
        })
        self.uploads = {"PutObject", "UploadPart"}

    async def __call__(self, wire: Wire, parts: list[str]) -> Any:
        """(status, headers, body) for a request; ``parts`` is [bucket, *key segments] raw."""
        route, labels = rest.match(self.table, wire.method, parts, wire.query, wire.headers)
        op = route.op
        self._check_owner(wire.headers)
        if op.name not in self.ops and op.name not in self.uploads and op.name != "GetObject":
            raise ApiError("NotImplemented", f"sagestep's local S3 does not implement {op.name}", 501)
        size = len(unquote_to_bytes(labels["Key"])) if "Key" in labels else 0
        if size > MAX_KEY_BYTES:
            raise ApiError("KeyTooLongError", "Your key is too long", 400, Size=str(size),
                           MaxSizeAllowed=str(MAX_KEY_BYTES))
        if op.name in self.uploads:
            params = rest.parse_input(op, labels, wire.query, wire.headers, None, xml=True)
            result = await self._upload(op.name, wire, params)
        else:
            raw = await wire.read_body(MAX_XML_BODY)
            params = rest.parse_input(op, labels, wire.query, wire.headers, raw, xml=True)
            if op.name == "GetObject":
                fn = partial(objects.get_object, self.store, params, wire.headers.get("range"))
                result = await _run(fn, True)
            else:
                result = await _run(self.ops[op.name], op.name in INLINE_OPS, params)
        status = result.pop("_status", None)
        code, headers, payload = rest.serialize_output(op, result, xml=True)
        if op.name == "GetBucketLocation":
            payload = _location_body(result.get("LocationConstraint"))
        return status or code, headers, payload


    def _check_owner(self, headers: dict[str, str]) -> None:
        # Every local bucket belongs to the workspace's one account; S3 refuses a request
        # whose ExpectedBucketOwner (the SageMaker SDK sends it for the bucket it derives)
        # names another with a plain 403 AccessDenied.
        for name in ("x-amz-expected-bucket-owner", "x-amz-source-expected-bucket-owner"):
            owner = headers.get(name)
            if owner is not None and owner != self.account:
                raise ApiError("AccessDenied", "Access Denied", 403)

    async def _upload(self, name: str, wire: Wire, params: dict[str, Any]) -> dict[str, Any]:
        if name != "UploadPart":
            received = await bodies.receive(wire.stream(), self.store.tmp_dir(), wire.headers)
            return await _run(objects.put_object, received.size <= INLINE_BYTES, self.store, params, received)
        declared = _declared(wire.headers)
        slot = await _run(multipart.open_slot, False, self.store, params, declared)
        try:
            target = bodies.Target(slot.fd, slot.offset, limit=declared) if slot else None
            received = await bodies.receive(wire.stream(), self.store.tmp_dir(), wire.headers, target)
            return await _run(multipart.upload_part, False, self.store, params, received, slot)
        finally:
            if slot is not None:
                slot.close()


def _declared(headers: dict[str, str]) -> int | None:
    """The payload size a request announces (aws-chunked bodies carry framing on top)."""
    value = headers.get("x-amz-decoded-content-length")
    if value is None and "aws-chunked" not in headers.get("content-encoding", ""):
        value = headers.get("content-length")
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def _location_body(region: str | None) -> bytes:
    # The one S3 response whose root element holds text, not members.
    return (f'{rest.XML_DECL}<LocationConstraint xmlns="{rest.S3_XMLNS}">{region or ""}'
            "</LocationConstraint>").encode()

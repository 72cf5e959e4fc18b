"""A boto3-shaped S3 client subset over the local object store.

Method names, arguments, responses and error codes follow boto3's ``s3`` client so user code
and tests can stage data the same way locally and on AWS. Writing to a bucket that does not
exist creates it (a local convenience); reads and listings of a missing bucket raise
NoSuchBucket as S3 does.
"""

from __future__ import annotations

import base64
import io
from typing import Any

from botocore.response import StreamingBody

from sagestep.clock import utc
from sagestep.errors import StoreError, client_error
from sagestep.stores.objectstore import (
    DEFAULT_CONTENT_TYPE,
    LocalObjectStore,
    ObjectInfo,
    ObjectMeta,
)


def _meta(status: int = 200) -> dict[str, Any]:
    return {"ResponseMetadata": {"HTTPStatusCode": status, "RetryAttempts": 0}}


class LocalS3Client:
    """put_object, get_object, head_object, list_objects_v2, delete_object, upload_file, ..."""

    def __init__(self, object_store: LocalObjectStore) -> None:
        self._store = object_store

    # --- buckets ----------------------------------------------------------------------------

    def create_bucket(self, Bucket: str, **_: Any) -> dict[str, Any]:  # noqa: N803
        self._guard("CreateBucket", lambda: self._store.create_bucket(Bucket))
        return {"Location": f"/{Bucket}", **_meta()}

    def list_buckets(self, **_: Any) -> dict[str, Any]:
        return {
            "Buckets": [{"Name": n, "CreationDate": utc(t)} for n, t in self._store.buckets()],
            "Owner": {"DisplayName": "local", "ID": "local"},
            **_meta(),
        }

    def head_bucket(self, Bucket: str, **_: Any) -> dict[str, Any]:  # noqa: N803
        if not self._guard("HeadBucket", lambda: self._store.bucket_exists(Bucket)):
            raise client_error("404", "Not Found", "HeadBucket", 404)
        return _meta()

    # --- objects ----------------------------------------------------------------------------

    def put_object(
        self, Bucket: str, Key: str, Body: Any = b"", ContentType: str | None = None,  # noqa: N803
        Metadata: dict[str, str] | None = None, **_: Any,  # noqa: N803
    ) -> dict[str, Any]:
        if isinstance(Body, str):
            Body = Body.encode()
        if isinstance(Body, bytes | bytearray):
            Body = io.BytesIO(bytes(Body))
        meta = ObjectMeta(ContentType or DEFAULT_CONTENT_TYPE,
                          {k.lower(): v for k, v in (Metadata or {}).items()})
        info = self._guard("PutObject", lambda: self._store.put_stream(Bucket, Key, Body, meta))
        return {"ETag": info.etag, **_meta()}

    def get_object(self, Bucket: str, Key: str, Range: str | None = None, **_: Any) -> dict[str, Any]:  # noqa: N803
        info = self._existing(Bucket, Key, "GetObject")
        fh = self._store.open(Bucket, Key)
        length = info.size
        out: dict[str, Any] = {}
        if Range:
            start, end = _range(Range, info.size)
            fh.seek(start)
            length = end - start + 1
            fh = io.BytesIO(fh.read(length))
            out["ContentRange"] = f"bytes {start}-{end}/{info.size}"
        return {
            "Body": StreamingBody(fh, length), "ContentLength": length, **out,
            **self._head_fields(info), **_meta(206 if Range else 200),
        }

    def head_object(self, Bucket: str, Key: str, **_: Any) -> dict[str, Any]:  # noqa: N803
        if not self._guard("HeadObject", lambda: self._store.bucket_exists(Bucket)):
            raise client_error("404", "Not Found", "HeadObject", 404)
        if not self._guard("HeadObject", lambda: self._store.exists(Bucket, Key)):
            raise client_error("404", "Not Found", "HeadObject", 404)
        info = self._store.head(Bucket, Key)
        return {"ContentLength": info.size, **self._head_fields(info), **_meta()}

    def delete_object(self, Bucket: str, Key: str, **_: Any) -> dict[str, Any]:  # noqa: N803
        self._bucket(Bucket, "DeleteObject")
        self._guard("DeleteObject", lambda: self._store.delete(Bucket, Key))
        return _meta(204)

    def list_objects_v2(
        self, Bucket: str, Prefix: str = "", Delimiter: str = "", MaxKeys: int = 1000,  # noqa: N803
        ContinuationToken: str | None = None, StartAfter: str = "", **_: Any,  # noqa: N803
    ) -> dict[str, Any]:
        self._bucket(Bucket, "ListObjectsV2")
        after = _decode(ContinuationToken) if ContinuationToken else StartAfter
        contents: list[dict[str, Any]] = []
        prefixes: list[str] = []
        last = ""
        truncated = False
        for info in self._store.list(Bucket, Prefix, after):
            common = _common_prefix(info.key, Prefix, Delimiter)
            if common and prefixes and prefixes[-1] == common:
                continue
            if len(contents) + len(prefixes) >= MaxKeys:
                truncated = True
                break
            if common:
                prefixes.append(common)
                # skip the rest of this common prefix: continue after its last possible key
                last = common + "\U0010ffff"
            else:
                contents.append({"Key": info.key, "Size": info.size, "ETag": info.etag,
                                 "LastModified": utc(info.mtime), "StorageClass": "STANDARD"})
                last = info.key
        out: dict[str, Any] = {
            "Name": Bucket, "Prefix": Prefix, "MaxKeys": MaxKeys, "IsTruncated": truncated,
            "KeyCount": len(contents) + len(prefixes), **_meta(),
        }
        if contents:
            out["Contents"] = contents
        if prefixes:
            out["CommonPrefixes"] = [{"Prefix": p} for p in prefixes]
        if Delimiter:
            out["Delimiter"] = Delimiter
        if ContinuationToken:
            out["ContinuationToken"] = ContinuationToken
        if truncated:
            out["NextContinuationToken"] = _encode(last)
        return out

    def upload_file(self, Filename: str, Bucket: str, Key: str, ExtraArgs: Any = None, **_: Any) -> None:  # noqa: N803
        self._guard("PutObject", lambda: self._store.put_file(Bucket, Key, Filename))

    def download_file(self, Bucket: str, Key: str, Filename: str, **_: Any) -> None:  # noqa: N803
        if not self._guard("HeadObject", lambda: self._store.exists(Bucket, Key)):
            raise client_error("404", "Not Found", "HeadObject", 404)
        with self._store.open(Bucket, Key) as src, open(Filename, "wb") as dst:
            while chunk := src.read(1 << 20):
                dst.write(chunk)

    # --- helpers ----------------------------------------------------------------------------

    def _guard(self, operation: str, fn: Any) -> Any:
        try:
            return fn()
        except StoreError as exc:
            raise client_error("InvalidArgument", str(exc), operation) from exc

    def _bucket(self, bucket: str, operation: str) -> None:
        if not self._guard(operation, lambda: self._store.bucket_exists(bucket)):
            raise client_error("NoSuchBucket", "The specified bucket does not exist", operation, 404)

    def _existing(self, bucket: str, key: str, operation: str) -> ObjectInfo:
        self._bucket(bucket, operation)
        if not self._guard(operation, lambda: self._store.exists(bucket, key)):
            raise client_error("NoSuchKey", "The specified key does not exist.", operation, 404)
        return self._store.head(bucket, key)

    @staticmethod
    def _head_fields(info: ObjectInfo) -> dict[str, Any]:
        return {"ETag": info.etag, "LastModified": utc(info.mtime),
                "ContentType": info.content_type, "Metadata": dict(info.metadata),
                **info.meta.headers}


def _common_prefix(key: str, prefix: str, delimiter: str) -> str:
    if not delimiter:
        return ""
    rest = key[len(prefix):]
    idx = rest.find(delimiter)
    return prefix + rest[: idx + len(delimiter)] if idx >= 0 else ""


def _range(spec: str, size: int) -> tuple[int, int]:
    start_s, _, end_s = spec.removeprefix("bytes=").partition("-")
    if not start_s:
        n = int(end_s)
        return max(0, size - n), size - 1
    start = int(start_s)
    end = min(int(end_s), size - 1) if end_s else size - 1
    return start, end


def _encode(key: str) -> str:
    return base64.urlsafe_b64encode(key.encode()).decode()


def _decode(token: str) -> str:
    return base64.urlsafe_b64decode(token.encode()).decode()

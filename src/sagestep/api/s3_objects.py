"""S3 object operations over the local object store: put, get (ranges, conditions), head,
delete, delete many, copy. Results are boto3-shaped dicts; ``rest.py`` puts them on the wire.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from sagestep.api import s3_tagset as tags
from sagestep.api.body import Received
from sagestep.api.errors import ApiError
from sagestep.api.s3_buckets import bucket_exists
from sagestep.clock import utc
from sagestep.errors import StoreError
from sagestep.stores.objectstore import (
    DEFAULT_CONTENT_TYPE,
    LocalObjectStore,
    ObjectInfo,
    ObjectMeta,
)

HEADER_FIELDS = ("CacheControl", "ContentDisposition", "ContentEncoding", "ContentLanguage", "Expires")


@dataclass(frozen=True)
class FileSlice:
    """``length`` bytes of ``path`` from ``start``: a GetObject body streamed from disk."""

    path: Path
    start: int
    length: int


def meta_from(p: dict[str, Any], checksums: dict[str, str] | None = None) -> ObjectMeta:
    """The ObjectMeta a PutObject/CreateMultipartUpload/CopyObject(REPLACE) request asks for."""
    headers = {}
    for name in HEADER_FIELDS:
        if p.get(name) is not None:
            value = p[name]
            headers[name] = value.isoformat() if isinstance(value, datetime) else str(value)
    if headers.get("ContentEncoding") == "aws-chunked":  # transfer framing, not the object's
        del headers["ContentEncoding"]
    elif "ContentEncoding" in headers:
        headers["ContentEncoding"] = headers["ContentEncoding"].replace("aws-chunked,", "").strip()
    return ObjectMeta(p.get("ContentType") or DEFAULT_CONTENT_TYPE,
                      {k.lower(): v for k, v in (p.get("Metadata") or {}).items()},
                      headers, checksums or {}, tags.from_header(p.get("Tagging")))


def existing(store: LocalObjectStore, bucket: str, key: str) -> ObjectInfo:
    """The object's info, NoSuchBucket/NoSuchKey (404) if absent."""
    bucket_exists(store, bucket)
    try:
        return store.head(bucket, key)
    except StoreError as exc:
        raise ApiError("NoSuchKey", "The specified key does not exist.", 404, Key=key) from exc


def put_object(store: LocalObjectStore, p: dict[str, Any], body: Received) -> dict[str, Any]:
    bucket, key = p["Bucket"], p["Key"]
    assert body.path is not None  # PutObject bodies are always received into a scratch file
    try:
        bucket_exists(store, bucket)
        meta = meta_from(p, body.checksums)
        if p.get("IfMatch") or p.get("IfNoneMatch"):
            _check_write_conditions(store, p)
        # A key ending in "/" with an empty body is a folder object (the store's directory).
        info = store.adopt_file(bucket, key, body.path, meta, f'"{body.md5}"')
    except ApiError:
        body.path.unlink(missing_ok=True)
        raise
    except StoreError as exc:
        body.path.unlink(missing_ok=True)
        raise ApiError("InvalidArgument", str(exc), Key=key) from exc
    return {"ETag": info.etag, **_checksum_fields(info.meta.checksums)}


def _check_write_conditions(store: LocalObjectStore, p: dict[str, Any]) -> None:
    # Conditional writes: https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes.html
    current = store.head(p["Bucket"], p["Key"]) if store.exists(p["Bucket"], p["Key"]) else None
    if p.get("IfNoneMatch") == "*" and current is not None:
        raise ApiError("PreconditionFailed", "At least one of the pre-conditions you specified did not hold", 412, Condition="If-None-Match")
    if p.get("IfMatch") and (current is None or not _etag_match(p["IfMatch"], current.etag)):
        if current is None:
            raise ApiError("NoSuchKey", "The specified key does not exist.", 404, Key=p["Key"])
        raise ApiError("PreconditionFailed", "At least one of the pre-conditions you specified did not hold", 412, Condition="If-Match")


def _etag_match(header: str, etag: str) -> bool:
    wanted = {t.strip() for t in header.split(",")}
    return "*" in wanted or etag in wanted or etag.strip('"') in wanted


def _not_modified(info: ObjectInfo) -> ApiError:
    return ApiError("NotModified", "Not Modified", 304, ETag=info.etag)


def check_read_conditions(p: dict[str, Any], info: ObjectInfo, prefix: str = "If") -> None:
    """RFC 7232 preconditions as S3 applies them (If-Match wins over If-Unmodified-Since)."""
    mtime = int(info.mtime)
    if_match, none_match = p.get(f"{prefix}Match"), p.get(f"{prefix}NoneMatch")
    if if_match is not None and not _etag_match(if_match, info.etag):
        raise ApiError("PreconditionFailed", "At least one of the pre-conditions you specified did not hold", 412, Condition="If-Match")
    since = p.get(f"{prefix}UnmodifiedSince")
    if if_match is None and since is not None and mtime > since.timestamp():
        raise ApiError("PreconditionFailed", "At least one of the pre-conditions you specified did not hold", 412, Condition="If-Unmodified-Since")
    if none_match is not None and _etag_match(none_match, info.etag):
        if prefix == "CopySourceIf":
            raise ApiError("PreconditionFailed", "At least one of the pre-conditions you specified did not hold", 412, Condition="x-amz-copy-source-if-none-match")
        raise _not_modified(info)
    modified = p.get(f"{prefix}ModifiedSince")
    if none_match is None and modified is not None and mtime <= modified.timestamp():
        if prefix == "CopySourceIf":
            raise ApiError("PreconditionFailed", "At least one of the pre-conditions you specified did not hold", 412, Condition="x-amz-copy-source-if-modified-since")
        raise _not_modified(info)


def _checksum_fields(checksums: dict[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {f"Checksum{algo}": value for algo, value in checksums.items()}
    if checksums:
        multipart = any("-" in v for v in checksums.values())
        out["ChecksumType"] = "COMPOSITE" if multipart else "FULL_OBJECT"
    return out


def head_fields(info: ObjectInfo, with_checksums: bool) -> dict[str, Any]:
    out: dict[str, Any] = {
        "ETag": info.etag, "LastModified": utc(info.mtime), "ContentType": info.content_type,
        "Metadata": info.metadata or None, "AcceptRanges": "bytes", **info.meta.headers,
    }
    if with_checksums:
        out.update(_checksum_fields(info.meta.checksums))
    if "-" in info.etag:
        out["PartsCount"] = int(info.etag.strip('"').rsplit("-", 1)[1])
    if info.meta.tags:
        out["TagCount"] = len(info.meta.tags)
    return out


def head_object(store: LocalObjectStore, p: dict[str, Any]) -> dict[str, Any]:
    info = existing(store, p["Bucket"], p["Key"])
    check_read_conditions(p, info)
    return {"ContentLength": info.size, **head_fields(info, p.get("ChecksumMode") == "ENABLED")}


def get_object(store: LocalObjectStore, p: dict[str, Any], range_header: str | None) -> dict[str, Any]:
    info = existing(store, p["Bucket"], p["Key"])
    check_read_conditions(p, info)
    span = byte_range(range_header, info.size) if range_header else None
    out = head_fields(info, span is None and p.get("ChecksumMode") == "ENABLED")
    start, length = (span[0], span[1] - span[0] + 1) if span else (0, info.size)
    if span:
        out["ContentRange"] = f"bytes {span[0]}-{span[1]}/{info.size}"
        out["_status"] = 206
    for name in ("ContentType", *HEADER_FIELDS):  # response-content-type=... overrides
        if p.get(f"Response{name}") is not None:
            out[name] = p[f"Response{name}"]
    out["ContentLength"] = length
    # A folder object is a directory: nothing to read (and no file to open).
    out["Body"] = FileSlice(store.path(p["Bucket"], p["Key"]), start, length) if length else b""
    return out


def get_object_attributes(store: LocalObjectStore, p: dict[str, Any]) -> dict[str, Any]:
    """The attributes ``x-amz-object-attributes`` asks for (ETag unquoted, as S3 sends it)."""
    info = existing(store, p["Bucket"], p["Key"])
    wanted = set(p.get("ObjectAttributes") or ())
    out: dict[str, Any] = {"LastModified": utc(info.mtime)}
    if "ETag" in wanted:
        out["ETag"] = info.etag.strip('"')
    if "StorageClass" in wanted:
        out["StorageClass"] = "STANDARD"
    if "ObjectSize" in wanted:
        out["ObjectSize"] = info.size
    if "Checksum" in wanted and info.meta.checksums:
        out["Checksum"] = _checksum_fields(info.meta.checksums)
    if "ObjectParts" in wanted and "-" in info.etag:
        out["ObjectParts"] = _object_parts(info, p)
    return out


def _object_parts(info: ObjectInfo, p: dict[str, Any]) -> dict[str, Any]:
    total = int(info.etag.strip('"').rsplit("-", 1)[1])
    out: dict[str, Any] = {"TotalPartsCount": total}
    # S3 lists the parts only of objects uploaded with an additional checksum.
    if not info.meta.checksums or len(info.meta.parts) != total:
        return out
    marker, max_parts = int(p.get("PartNumberMarker") or 0), int(p.get("MaxParts") or 1000)
    page = list(range(marker + 1, min(total, marker + max_parts) + 1))
    parts = []
    for n in page:
        part = info.meta.parts[n - 1]
        sums = {f"Checksum{algo}": value for algo, value in part.get("Checksums", {}).items()}
        parts.append({"PartNumber": n, "Size": part["Size"], **sums})
    out.update({"PartNumberMarker": marker, "MaxParts": max_parts,
                "IsTruncated": marker + max_parts < total, "Parts": parts})
    if page:
        out["NextPartNumberMarker"] = page[-1]
    return out


def byte_range(spec: str, size: int) -> tuple[int, int] | None:
    """(first, last) byte of a single ``bytes=`` range; None (whole object) if unparsable."""
    unit, _, ranges = spec.partition("=")
    if unit.strip() != "bytes" or "," in ranges:
        return None  # S3 ignores malformed and multi-range specs and returns everything
    first, _, last = ranges.strip().partition("-")
    try:
        if not first:
            n = int(last)
            if n == 0 or size == 0:
                raise _invalid_range(size)
            return max(0, size - n), size - 1
        start = int(first)
        end = min(int(last), size - 1) if last else size - 1
    except ValueError:
        return None
    if start >= size or (last and int(last) < start):
        raise _invalid_range(size)
    return start, end


def _invalid_range(size: int) -> ApiError:
    return ApiError("InvalidRange", "The requested range is not satisfiable", 416,
                    ActualObjectSize=size, RangeRequested="bytes")


def delete_object(store: LocalObjectStore, p: dict[str, Any]) -> dict[str, Any]:
    bucket_exists(store, p["Bucket"])
    try:
        store.delete(p["Bucket"], p["Key"])
    except StoreError as exc:
        raise ApiError("InvalidArgument", str(exc), Key=p["Key"]) from exc
    return {"_status": 204}


def delete_objects(store: LocalObjectStore, p: dict[str, Any]) -> dict[str, Any]:
    bucket_exists(store, p["Bucket"])
    spec = p.get("Delete") or {}
    deleted, errors = [], []
    for obj in spec.get("Objects", []):
        try:
            store.delete(p["Bucket"], obj["Key"])
            deleted.append({"Key": obj["Key"]})
        except StoreError as exc:
            errors.append({"Key": obj["Key"], "Code": "InvalidArgument", "Message": str(exc)})
    return {"Deleted": None if spec.get("Quiet") else deleted, "Errors": errors or None}


def copy_source(store: LocalObjectStore, p: dict[str, Any]) -> ObjectInfo:
    """The object x-amz-copy-source names, its copy preconditions checked."""
    source = unquote(p["CopySource"]).lstrip("/").split("?versionId=", 1)[0]
    src_bucket, _, src_key = source.partition("/")
    if not src_key:
        raise ApiError("InvalidArgument", f"x-amz-copy-source {source!r} is not <bucket>/<key>")
    info = existing(store, src_bucket, src_key)
    check_read_conditions(p, info, "CopySourceIf")
    return info


def copy_object(store: LocalObjectStore, p: dict[str, Any]) -> dict[str, Any]:
    bucket_exists(store, p["Bucket"])
    info = copy_source(store, p)
    src_bucket, src_key = info.bucket, info.key
    meta = info.meta
    if p.get("MetadataDirective") == "REPLACE":
        meta = meta_from(p, info.meta.checksums)
    # Tags follow TaggingDirective, independently of MetadataDirective (COPY by default).
    new_tags = info.meta.tags
    if p.get("TaggingDirective") == "REPLACE":
        new_tags = tags.from_header(p.get("Tagging"))
    meta = replace(meta, tags=new_tags, parts=info.meta.parts)
    fd, tmp = tempfile.mkstemp(dir=store.tmp_dir())
    try:
        with open(fd, "wb") as out, store.open(src_bucket, src_key) as src:
            shutil.copyfileobj(src, out, 1 << 20)
        new = store.adopt_file(p["Bucket"], p["Key"], tmp, meta, info.etag)
    except StoreError as exc:
        raise ApiError("InvalidArgument", str(exc), Key=p["Key"]) from exc
    finally:
        Path(tmp).unlink(missing_ok=True)
    return {"CopyObjectResult": {"ETag": new.etag, "LastModified": utc(new.mtime)}}

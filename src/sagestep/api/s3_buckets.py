"""S3 bucket operations and listings over the local object store (boto3-shaped results)."""

from __future__ import annotations

import base64
from typing import Any
from urllib.parse import quote

from sagestep.api.errors import ApiError
from sagestep.clock import utc
from sagestep.errors import StoreError
from sagestep.stores.objectstore import LocalObjectStore

OWNER = {"DisplayName": "sagestep", "ID": "sagestep-local"}


def bucket_exists(store: LocalObjectStore, bucket: str) -> None:
    """NoSuchBucket (404) unless ``bucket`` exists."""
    try:
        exists = store.bucket_exists(bucket)
    except StoreError as exc:
        raise ApiError("InvalidBucketName", str(exc), BucketName=bucket) from exc
    if not exists:
        raise ApiError("NoSuchBucket", "The specified bucket does not exist", 404, BucketName=bucket)


def list_buckets(store: LocalObjectStore, p: dict[str, Any], region: str) -> dict[str, Any]:
    return {
        "Buckets": [{"Name": n, "CreationDate": utc(t), "BucketRegion": region}
                    for n, t in store.buckets()],
        "Owner": OWNER,
    }


def create_bucket(store: LocalObjectStore, p: dict[str, Any], region: str) -> dict[str, Any]:
    bucket = p["Bucket"]
    try:
        if store.bucket_exists(bucket):
            raise ApiError("BucketAlreadyOwnedByYou", "Your previous request to create the named "
                           "bucket succeeded and you already own it.", 409, BucketName=bucket)
        store.create_bucket(bucket)
    except StoreError as exc:
        raise ApiError("InvalidBucketName", str(exc), BucketName=bucket) from exc
    return {"Location": f"/{bucket}"}


def head_bucket(store: LocalObjectStore, p: dict[str, Any], region: str) -> dict[str, Any]:
    bucket_exists(store, p["Bucket"])
    return {"BucketRegion": region}


def delete_bucket(store: LocalObjectStore, p: dict[str, Any], region: str) -> dict[str, Any]:
    bucket_exists(store, p["Bucket"])
    try:
        store.delete_bucket(p["Bucket"])
    except StoreError as exc:
        raise ApiError("BucketNotEmpty", "The bucket you tried to delete is not empty", 409,
                       BucketName=p["Bucket"]) from exc
    return {"_status": 204}


def _page(
    store: LocalObjectStore, bucket: str, prefix: str, delimiter: str, after: str, max_keys: int,
) -> tuple[list[Any], list[str], bool, str]:
    """(objects, common prefixes, truncated, last key or prefix returned) of one listing page."""
    contents: list[Any] = []
    prefixes: list[str] = []
    last = ""
    for info in store.list(bucket, prefix):
        if info.key <= after:
            continue
        common = ""
        if delimiter:
            idx = info.key.find(delimiter, len(prefix))
            common = info.key[: idx + len(delimiter)] if idx >= 0 else ""
        if common and prefixes and prefixes[-1] == common:
            continue
        if common and common <= after:  # a continuation that ended on this common prefix
            continue
        if len(contents) + len(prefixes) >= max_keys:
            return contents, prefixes, True, last
        if common:
            prefixes.append(common)
            last = common
        else:
            contents.append(info)
            last = info.key
    return contents, prefixes, False, last


def _entries(infos: list[Any], enc: Any) -> list[dict[str, Any]]:
    return [{"Key": enc(i.key), "Size": i.size, "ETag": i.etag, "LastModified": utc(i.mtime),
             "StorageClass": "STANDARD", "Owner": OWNER} for i in infos]


def _encoder(p: dict[str, Any]) -> Any:
    # botocore asks for EncodingType=url by default and decodes the keys it gets back
    if p.get("EncodingType") == "url":
        return lambda s: quote(s, safe="/")
    return lambda s: s


def _max_keys(p: dict[str, Any]) -> int:
    n = int(p.get("MaxKeys", 1000))
    if n < 0:
        raise ApiError("InvalidArgument", "MaxKeys must be between 0 and 1000")
    return min(n, 1000)


def list_objects_v2(store: LocalObjectStore, p: dict[str, Any], region: str) -> dict[str, Any]:
    bucket_exists(store, p["Bucket"])
    prefix, delim, enc = p.get("Prefix", ""), p.get("Delimiter", ""), _encoder(p)
    token = p.get("ContinuationToken")
    try:
        after = base64.urlsafe_b64decode(token.encode()).decode() if token else p.get("StartAfter", "")
    except ValueError as exc:
        raise ApiError("InvalidArgument", "The continuation token provided is incorrect") from exc
    max_keys = _max_keys(p)
    contents, prefixes, truncated, last = _page(store, p["Bucket"], prefix, delim, after, max_keys)
    out: dict[str, Any] = {
        "Name": p["Bucket"], "Prefix": enc(prefix), "MaxKeys": max_keys, "IsTruncated": truncated,
        "KeyCount": len(contents) + len(prefixes), "Contents": _entries(contents, enc) or None,
        "CommonPrefixes": [{"Prefix": enc(c)} for c in prefixes] or None,
        "Delimiter": enc(delim) or None, "EncodingType": p.get("EncodingType"),
        "ContinuationToken": token, "StartAfter": enc(p["StartAfter"]) if p.get("StartAfter") else None,
    }
    if truncated:
        out["NextContinuationToken"] = base64.urlsafe_b64encode(last.encode()).decode()
    return out


def list_objects(store: LocalObjectStore, p: dict[str, Any], region: str) -> dict[str, Any]:
    bucket_exists(store, p["Bucket"])
    prefix, delim, enc = p.get("Prefix", ""), p.get("Delimiter", ""), _encoder(p)
    marker = p.get("Marker", "")
    max_keys = _max_keys(p)
    contents, prefixes, truncated, last = _page(store, p["Bucket"], prefix, delim, marker, max_keys)
    out: dict[str, Any] = {
        "Name": p["Bucket"], "Prefix": enc(prefix), "Marker": enc(marker), "MaxKeys": max_keys,
        "IsTruncated": truncated, "Contents": _entries(contents, enc) or None,
        "CommonPrefixes": [{"Prefix": enc(c)} for c in prefixes] or None,
        "Delimiter": enc(delim) or None, "EncodingType": p.get("EncodingType"),
    }
    # S3 returns NextMarker only with a delimiter; without one clients use the last key.
    if truncated and delim:
        out["NextMarker"] = enc(last)
    return out


def get_bucket_location(store: LocalObjectStore, p: dict[str, Any], region: str) -> dict[str, Any]:
    bucket_exists(store, p["Bucket"])
    # us-east-1 is spelled as an empty LocationConstraint (S3's legacy quirk).
    return {"LocationConstraint": None if region == "us-east-1" else region}


def list_object_versions(store: LocalObjectStore, p: dict[str, Any], region: str) -> dict[str, Any]:
    """Every object as its one version: the local store keeps no versions (VersionId "null",
    what S3 gives objects written while versioning was never enabled). Terraform's
    force_destroy and ``aws s3api list-object-versions`` empty buckets with it."""
    bucket_exists(store, p["Bucket"])
    prefix, delim, enc = p.get("Prefix", ""), p.get("Delimiter", ""), _encoder(p)
    marker, max_keys = p.get("KeyMarker", ""), _max_keys(p)
    contents, prefixes, truncated, last = _page(store, p["Bucket"], prefix, delim, marker, max_keys)
    versions = [{**entry, "VersionId": "null", "IsLatest": True} for entry in _entries(contents, enc)]
    out: dict[str, Any] = {
        "Name": p["Bucket"], "Prefix": enc(prefix), "KeyMarker": enc(marker), "MaxKeys": max_keys,
        "IsTruncated": truncated, "Versions": versions or None,
        "CommonPrefixes": [{"Prefix": enc(c)} for c in prefixes] or None,
        "Delimiter": enc(delim) or None, "EncodingType": p.get("EncodingType"),
        "VersionIdMarker": p.get("VersionIdMarker"),
    }
    if truncated:
        out.update(NextKeyMarker=enc(last), NextVersionIdMarker="null")
    return out

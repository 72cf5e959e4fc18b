"""S3 tags: the object tag set kept in the object's metadata record (PutObject's x-amz-tagging,
Put/Get/DeleteObjectTagging, x-amz-tagging-count) and the bucket tag set kept in the bucket's
configuration (Put/Get/DeleteBucketTagging). Limits are checked in ``s3_tagset.py``.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from sagestep.api.errors import ApiError
from sagestep.api.s3_buckets import bucket_exists
from sagestep.api.s3_objects import existing
from sagestep.api.s3_tagset import MAX_BUCKET_TAGS, MAX_OBJECT_TAGS, checked, tag_set
from sagestep.errors import StoreError
from sagestep.stores import bucket_config
from sagestep.stores.objectstore import LocalObjectStore


def _from_body(p: dict[str, Any], limit: int) -> dict[str, str]:
    given = (p.get("Tagging") or {}).get("TagSet")
    if given is None:
        raise ApiError("MalformedXML", "The XML you provided was not well-formed or did not "
                       "validate against our published schema: <Tagging><TagSet> is missing")
    return checked([(t.get("Key") or "", t.get("Value") or "") for t in given], limit)


def get_object_tagging(store: LocalObjectStore, p: dict[str, Any]) -> dict[str, Any]:
    info = existing(store, p["Bucket"], p["Key"])
    return {"TagSet": tag_set(info.meta.tags)}


def _set_object_tags(store: LocalObjectStore, p: dict[str, Any], tags: dict[str, str]) -> None:
    info = existing(store, p["Bucket"], p["Key"])
    try:
        store.set_meta(p["Bucket"], p["Key"], replace(info.meta, tags=tags))
    except StoreError as exc:  # deleted while we tagged it
        raise ApiError("NoSuchKey", "The specified key does not exist.", 404, Key=p["Key"]) from exc


def put_object_tagging(store: LocalObjectStore, p: dict[str, Any]) -> dict[str, Any]:
    _set_object_tags(store, p, _from_body(p, MAX_OBJECT_TAGS))
    return {}


def delete_object_tagging(store: LocalObjectStore, p: dict[str, Any]) -> dict[str, Any]:
    _set_object_tags(store, p, {})
    return {"_status": 204}


def get_bucket_tagging(store: LocalObjectStore, p: dict[str, Any], region: str) -> dict[str, Any]:
    bucket_exists(store, p["Bucket"])
    tags = bucket_config.read(store.root, store.bucket_path(p["Bucket"])).get("tags")
    if not tags:
        raise ApiError("NoSuchTagSet", "The TagSet does not exist", 404, BucketName=p["Bucket"])
    return {"TagSet": tag_set(tags)}


def put_bucket_tagging(store: LocalObjectStore, p: dict[str, Any], region: str) -> dict[str, Any]:
    bucket_exists(store, p["Bucket"])
    tags = _from_body(p, MAX_BUCKET_TAGS)
    bucket_config.write(store.root, store.bucket_path(p["Bucket"]), "tags", tags or None)
    return {"_status": 204}


def delete_bucket_tagging(store: LocalObjectStore, p: dict[str, Any], region: str) -> dict[str, Any]:
    bucket_exists(store, p["Bucket"])
    bucket_config.write(store.root, store.bucket_path(p["Bucket"]), "tags", None)
    return {"_status": 204}

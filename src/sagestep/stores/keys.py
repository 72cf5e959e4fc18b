"""S3 URIs and keys as the local store reads them: parsing, the keys it refuses, and where a
key lands below a job's channel directory."""

from __future__ import annotations

from sagestep.errors import StoreError
from sagestep.stores.object_meta import RECORD_SUFFIX as RESERVED_SUFFIX  # metadata sidecars

MAX_PART_BYTES = 255  # NAME_MAX of Linux filesystems: one file or directory name


def parse_uri(uri: str) -> tuple[str, str]:
    """``s3://bucket/key`` -> (bucket, key); key may be "" or a prefix."""
    if not isinstance(uri, str) or not uri.startswith("s3://"):
        raise StoreError(f"{uri!r} is not an S3 URI; expected s3://<bucket>/<key>")
    bucket, _, key = uri[5:].partition("/")
    if not bucket:
        raise StoreError(f"{uri!r} names no bucket; expected s3://<bucket>/<key>")
    return bucket, key


def check_key(key: str) -> str:
    """``key`` if it stays inside its bucket, else StoreError saying why."""
    if not key or key.startswith("/") or "\x00" in key or "\\" in key:
        raise StoreError(f"object key {key!r} is empty, absolute or contains NUL/backslash")
    parts = key.split("/")
    if any(part in ("..", ".") for part in parts):
        raise StoreError(f"object key {key!r} contains a '.' or '..' segment; keys must stay in the bucket")
    # UTF-8 takes at most 4 bytes a character: shorter parts cannot be too long
    sizes = (len(p.encode("utf-8", "surrogatepass")) for p in parts if 4 * len(p) > MAX_PART_BYTES)
    size = max(sizes, default=0)
    if size > MAX_PART_BYTES:
        raise StoreError(
            f"object key {key[:80]!r}... has a '/'-separated part of {size} bytes; the local "
            f"store keeps keys as files, so each part may be at most {MAX_PART_BYTES} bytes "
            "(S3 itself allows 1,024 for the whole key): split it with '/'")
    if any(part.endswith(RESERVED_SUFFIX) for part in parts):
        raise StoreError(f"object key {key!r}: names ending in {RESERVED_SUFFIX!r} are reserved by "
                         "the local store for object metadata; rename the object")
    return key


def relative_key(prefix: str, key: str) -> str:
    """Where an object lands below a channel dir: the key relative to the prefix's folder."""
    if prefix.endswith("/") or not prefix:
        return key[len(prefix):]
    if key == prefix:
        return key.rsplit("/", 1)[-1]
    if key.startswith(prefix + "/"):
        return key[len(prefix) + 1:]
    # partial folder name (s3://b/data/tra matching data/train/x): keep the path from the
    # prefix's parent folder, as the key structure below it is preserved.
    return key[prefix.rfind("/") + 1:]

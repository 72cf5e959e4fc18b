"""S3 URIs and keys as the local store reads them: parsing, the keys it refuses, and where a
key lands below a job's channel directory."""

from __future__ import annotations

from sagestep.errors import StoreError


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
    if any(part in ("..", ".") for part in key.split("/")):
        raise StoreError(f"object key {key!r} contains a '.' or '..' segment; keys must stay in the bucket")
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

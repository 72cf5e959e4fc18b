"""What S3 keeps beside an object's bytes, and where the local store keeps it.

The record (ETag, Content-Type, user metadata, the other standard headers, the checksums the
writer sent, tags, multipart part sizes) is JSON in the ``user.sagestep.s3`` extended
attribute of the object's file, or, where the filesystem has none (or the record is too big
for one), in a hidden sidecar ``.<name>.sagestep-etag`` next to it; the tree stays a plain
``<bucket>/<key>`` layout that jobs read directly. A file record holds the file's mtime and
size: a file rewritten behind the store's back (a job writing into the tree) loses its stale
metadata and gets a recomputed MD5 ETag.

A folder object (a zero-byte key ending in "/", what the S3 console and many tools create)
is the directory itself carrying a record marked ``folder``; a directory's mtime changes
whenever a file is added below it, so that record keeps its own LastModified instead.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DEFAULT_CONTENT_TYPE = "binary/octet-stream"  # what S3 answers when the writer sent none
EMPTY_ETAG = '"d41d8cd98f00b204e9800998ecf8427e"'  # MD5 of zero bytes
RECORD_SUFFIX = ".sagestep-etag"
_XATTR = "user.sagestep.s3"
_CHUNK = 1 << 20


@dataclass(frozen=True)
class ObjectMeta:
    """What S3 stores with an object besides its bytes.

    ``headers`` holds the other standard headers by their boto3 names (CacheControl,
    ContentDisposition, ContentEncoding, ContentLanguage, Expires); ``checksums`` maps an
    algorithm (CRC32, CRC32C, CRC64NVME, SHA1, SHA256) to the base64 value the writer sent;
    ``tags`` is the object's tag set; ``parts`` the sizes (and checksums) of the parts of a
    multipart upload, in order, as GetObjectAttributes reports them.
    """

    content_type: str = DEFAULT_CONTENT_TYPE
    metadata: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    checksums: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    parts: list[dict[str, Any]] = field(default_factory=list)


def sidecar_path(path: Path) -> Path:
    """The hidden file that holds ``path``'s record where extended attributes are missing."""
    return path.parent / f".{path.name}{RECORD_SUFFIX}"


def _encode(meta: ObjectMeta) -> dict[str, Any]:
    return {"content_type": meta.content_type, "metadata": meta.metadata, "headers": meta.headers,
            "checksums": meta.checksums, "tags": meta.tags, "parts": meta.parts}


def _decode(rec: dict[str, Any]) -> ObjectMeta:
    return ObjectMeta(rec["content_type"], rec["metadata"], rec["headers"], rec["checksums"],
                      rec.get("tags") or {}, rec.get("parts") or [])


def _store(path: Path, record: dict[str, Any], fd: int | None = None) -> None:
    text = json.dumps(record)
    # An extended attribute on the file itself when the filesystem has them (one syscall, no
    # file to create; it moves with renames); the hidden sidecar file otherwise, and also
    # when the record outgrows what the filesystem allows in one attribute (ext4: ~4 KiB).
    # ``fd`` pins the inode: a record rewritten while a PUT replaces the path stays on the
    # object it was read from rather than landing on the new one.
    target: Path | int = path if fd is None else fd
    try:
        os.setxattr(target, _XATTR, text.encode())
        sidecar_path(path).unlink(missing_ok=True)
    except FileNotFoundError:
        raise  # the object is gone: no sidecar for it
    except (OSError, AttributeError):
        with contextlib.suppress(OSError, AttributeError):
            os.removexattr(target, _XATTR)  # a smaller, older record must not shadow this one
        sidecar_path(path).write_text(text)


def _load(path: Path, fd: int | None = None) -> str | None:
    try:
        return os.getxattr(path if fd is None else fd, _XATTR).decode()
    except (OSError, AttributeError):
        try:
            return sidecar_path(path).read_text()
        except OSError:
            return None


def write_record(path: Path, etag: str, meta: ObjectMeta | None, fd: int | None = None) -> os.stat_result:
    """Record ``etag`` and ``meta`` for the file at ``path`` (or open as ``fd``) as it is now."""
    st = path.stat() if fd is None else os.fstat(fd)
    _store(path, {"mtime_ns": st.st_mtime_ns, "size": st.st_size, "etag": etag,
                  **_encode(meta or ObjectMeta())}, fd)
    return st


def read_record(path: Path, st: os.stat_result, fd: int | None = None) -> tuple[str, ObjectMeta]:
    """(ETag, metadata) recorded for this file if still current, else MD5 and defaults."""
    text = _load(path, fd)
    if text is None:
        return md5_etag(path), ObjectMeta()
    try:
        if text.startswith("{"):
            rec = json.loads(text)
            if rec["mtime_ns"] == st.st_mtime_ns and rec["size"] == st.st_size:
                return rec["etag"], _decode(rec)
        else:  # the earlier "mtime size md5" cache, still found in older workspaces
            mtime, size, md5 = text.split()
            if int(mtime) == st.st_mtime_ns and int(size) == st.st_size:
                return f'"{md5}"', ObjectMeta()
    except (ValueError, KeyError, TypeError):
        pass
    return md5_etag(path), ObjectMeta()


def write_folder_record(path: Path, meta: ObjectMeta | None, mtime: float | None = None) -> float:
    """Mark the directory ``path`` as a folder object; returns its LastModified (epoch s)."""
    when = time.time() if mtime is None else mtime
    _store(path, {"folder": True, "mtime": when, "etag": EMPTY_ETAG, **_encode(meta or ObjectMeta())})
    return when


def read_folder_record(path: Path) -> tuple[float, ObjectMeta] | None:
    """(LastModified, metadata) if the directory ``path`` is a folder object, else None."""
    text = _load(path)
    if text is None or not text.startswith("{"):
        return None
    try:
        rec = json.loads(text)
        return (float(rec["mtime"]), _decode(rec)) if rec.get("folder") else None
    except (ValueError, KeyError, TypeError):
        return None


def drop_record(path: Path) -> None:
    """Forget ``path``'s record (its attribute and any sidecar)."""
    with contextlib.suppress(OSError, AttributeError):
        os.removexattr(path, _XATTR)
    sidecar_path(path).unlink(missing_ok=True)


def md5_etag(path: Path) -> str:
    """S3's single-part ETag of the file at ``path``: its quoted MD5."""
    digest = hashlib.md5(usedforsecurity=False)
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return f'"{digest.hexdigest()}"'

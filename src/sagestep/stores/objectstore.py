"""The local object store: s3://<bucket>/<key> lives at <root>/<bucket>/<key>.

Writes are atomic (temp file in <root>/.tmp, then rename), keys that would escape the store
(``..`` segments, absolute paths, NUL) are refused, and listeners hear about every created
object (the local watcher and ``sagestep upload`` turn them into S3 Object Created events).

What S3 keeps beside the bytes (ETag, Content-Type, user metadata, the other standard headers
and the checksums the writer sent) is a JSON record in the file's ``user.sagestep.s3``
extended attribute, or, where the filesystem has none, in a hidden sidecar
``.<name>.sagestep-etag`` next to it; the tree stays a plain ``<bucket>/<key>`` layout that
jobs read directly. The record holds the file's mtime and size: a file rewritten behind the
store's back (a job writing into the tree) loses its stale metadata and gets a recomputed
MD5 ETag.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from sagestep.errors import StoreError
from sagestep.stores.nofollow import open_nofollow, regular_files

_BUCKET = re.compile(r"[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9]")
_CHUNK = 1 << 20


DEFAULT_CONTENT_TYPE = "binary/octet-stream"  # what S3 answers when the writer sent none


@dataclass(frozen=True)
class ObjectMeta:
    """What S3 stores with an object besides its bytes.

    ``headers`` holds the other standard headers by their boto3 names (CacheControl,
    ContentDisposition, ContentEncoding, ContentLanguage, Expires); ``checksums`` maps an
    algorithm (CRC32, CRC32C, CRC64NVME, SHA1, SHA256) to the base64 value the writer sent.
    """

    content_type: str = DEFAULT_CONTENT_TYPE
    metadata: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    checksums: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ObjectInfo:
    """One stored object: key, size in bytes, modification time (epoch s), ETag and metadata."""

    bucket: str
    key: str
    size: int
    mtime: float
    etag: str
    meta: ObjectMeta = field(default_factory=ObjectMeta)

    @property
    def content_type(self) -> str:
        return self.meta.content_type

    @property
    def metadata(self) -> dict[str, str]:
        return self.meta.metadata


Listener = Callable[[ObjectInfo], None]


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


class LocalObjectStore:
    """A directory tree addressed like S3 (``root`` is the workspace's s3 dir)."""

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self._listeners: list[Listener] = []
        self._lock = threading.Lock()

    # --- buckets ----------------------------------------------------------------------------

    def bucket_path(self, bucket: str) -> Path:
        if not _BUCKET.fullmatch(bucket) or ".." in bucket:
            raise StoreError(f"bucket name {bucket!r} is invalid (3-63 of a-z 0-9 . -)")
        return self.root / bucket

    def create_bucket(self, bucket: str) -> None:
        self.bucket_path(bucket).mkdir(parents=True, exist_ok=True)

    def bucket_exists(self, bucket: str) -> bool:
        return self.bucket_path(bucket).is_dir()

    def buckets(self) -> list[tuple[str, float]]:
        """(name, creation time) of every bucket."""
        return sorted(
            (p.name, p.stat().st_mtime) for p in self.root.iterdir()
            if p.is_dir() and _BUCKET.fullmatch(p.name)
        )

    # --- objects ----------------------------------------------------------------------------

    def path(self, bucket: str, key: str) -> Path:
        """Host path of an object (it need not exist)."""
        return self.bucket_path(bucket) / check_key(key)

    def path_for_uri(self, uri: str) -> Path:
        return self.path(*parse_uri(uri))

    def add_listener(self, fn: Listener) -> None:
        """Call ``fn(info)`` after every object this process creates."""
        with self._lock:
            self._listeners.append(fn)

    def put_bytes(self, bucket: str, key: str, data: bytes, meta: ObjectMeta | None = None) -> ObjectInfo:
        return self.put_stream(bucket, key, _BytesReader(data), meta)

    def put_file(self, bucket: str, key: str, source: Path | str, meta: ObjectMeta | None = None) -> ObjectInfo:
        with open(source, "rb") as fh:
            return self.put_stream(bucket, key, fh, meta)

    def put_stream(
        self, bucket: str, key: str, stream: BinaryIO | _BytesReader, meta: ObjectMeta | None = None,
    ) -> ObjectInfo:
        """Write an object atomically from a readable binary stream."""
        target = self.path(bucket, key)
        tmp_dir = self.tmp_dir()
        digest = hashlib.md5(usedforsecurity=False)
        fd, tmp = tempfile.mkstemp(dir=tmp_dir)
        try:
            with os.fdopen(fd, "wb") as out:
                while chunk := stream.read(_CHUNK):
                    digest.update(chunk)
                    out.write(chunk)
            self._make_parent(target, bucket, key)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        _sidecar_write(target, f'"{digest.hexdigest()}"', meta)
        return self._created(bucket, key)

    def _created(self, bucket: str, key: str, info: ObjectInfo | None = None) -> ObjectInfo:
        info = info or self.head(bucket, key)
        with self._lock:
            listeners = list(self._listeners)
        for fn in listeners:
            fn(info)
        return info

    def _make_parent(self, target: Path, bucket: str, key: str) -> None:
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
        except (FileExistsError, NotADirectoryError) as exc:
            raise StoreError(
                f"cannot store s3://{bucket}/{key}: a prefix of it is already an object key "
                "(the local store keeps keys as files, so 'a' and 'a/b' cannot both exist)"
            ) from exc
        if target.is_dir():
            raise StoreError(f"cannot store s3://{bucket}/{key}: objects exist under {key}/")

    def adopt_file(
        self, bucket: str, key: str, source: Path | str, meta: ObjectMeta | None = None,
        etag: str | None = None,
    ) -> ObjectInfo:
        """Move a local file into the store by rename (no copy; same filesystem), else copy it.

        ``etag`` (quoted, as S3 spells it) is stored when the caller already computed it (the
        HTTP API hashes bodies while receiving them, and multipart ETags are not an MD5).
        """
        target = self.path(bucket, key)
        self._make_parent(target, bucket, key)
        try:
            os.replace(source, target)
        except OSError:
            return self.put_file(bucket, key, source, meta)
        if etag is None and meta is None:
            _etag_cache_path(target).unlink(missing_ok=True)
            return self._created(bucket, key)
        etag = etag or _md5_etag(target)
        st = _sidecar_write(target, etag, meta)
        return self._created(bucket, key, ObjectInfo(bucket, key, st.st_size, st.st_mtime, etag,
                                                     meta or ObjectMeta()))

    def tmp_dir(self) -> Path:
        """A scratch dir on the store's filesystem: files made there can be adopted by rename."""
        path = self.root / ".tmp"
        path.mkdir(exist_ok=True)
        return path

    def open(self, bucket: str, key: str) -> BinaryIO:
        """A binary file object reading the object (StoreError if it does not exist)."""
        path = self.path(bucket, key)
        if not path.is_file():
            raise StoreError(f"s3://{bucket}/{key} does not exist")
        return path.open("rb")

    def get_bytes(self, bucket: str, key: str) -> bytes:
        with self.open(bucket, key) as fh:
            return fh.read()

    def exists(self, bucket: str, key: str) -> bool:
        return self.path(bucket, key).is_file()

    def head(self, bucket: str, key: str) -> ObjectInfo:
        path = self.path(bucket, key)
        if not path.is_file():
            raise StoreError(f"s3://{bucket}/{key} does not exist")
        st = path.stat()
        etag, meta = _sidecar_read(path, st)
        return ObjectInfo(bucket, key, st.st_size, st.st_mtime, etag, meta)

    def delete(self, bucket: str, key: str) -> None:
        path = self.path(bucket, key)
        if path.is_dir():  # "a/" names a folder here, not an object: nothing to delete
            return
        path.unlink(missing_ok=True)
        _etag_cache_path(path).unlink(missing_ok=True)
        # Drop folders the delete left empty, so the key's prefix can become an object again.
        base = self.bucket_path(bucket)
        parent = path.parent
        while parent != base and base in parent.parents:
            try:
                parent.rmdir()
            except OSError:
                break
            parent = parent.parent

    def delete_bucket(self, bucket: str) -> None:
        """Remove an empty bucket (StoreError if it holds objects)."""
        base = self.bucket_path(bucket)
        if next(self.list(bucket), None) is not None:
            raise StoreError(f"bucket {bucket} is not empty")
        for dirpath, _dirs, files in sorted(os.walk(base), key=lambda w: -len(w[0])):
            for fname in files:  # only stale sidecars remain once no object is listed
                Path(dirpath, fname).unlink(missing_ok=True)
            Path(dirpath).rmdir()

    def list(self, bucket: str, prefix: str = "", after: str = "") -> Iterator[ObjectInfo]:
        """Objects under ``prefix`` whose key sorts after ``after``, in key order (as S3)."""
        base = self.bucket_path(bucket)
        if not base.is_dir():
            return
        start = base / prefix.rsplit("/", 1)[0] if "/" in prefix else base
        if not start.is_dir():
            return
        root, keys = str(base), []  # keys as plain strings: paging a large prefix stays cheap
        for dirpath, _dirs, files in os.walk(start):
            rel = dirpath[len(root) + 1:].replace(os.sep, "/")
            folder = f"{rel}/" if rel else ""
            keys += [key for f in files if not f.endswith(_ETAG_SUFFIX)
                     and (key := folder + f).startswith(prefix) and key > after]
        for key in sorted(keys):
            yield self.head(bucket, key)

    # --- prefixes <-> directories ------------------------------------------------------------

    def download_prefix(self, uri: str, dest: Path) -> int:
        """Copy the objects under ``uri`` (an S3Prefix) into ``dest``; returns the count."""
        bucket, prefix = parse_uri(uri)
        count = 0
        for info in self.list(bucket, prefix):
            target = dest / relative_key(prefix, info.key)
            target.parent.mkdir(parents=True, exist_ok=True)
            _copy(self.path(bucket, info.key), target)
            count += 1
        return count

    def upload_dir(self, source: Path, uri: str) -> int:
        """Upload every regular file under ``source`` to ``uri``/<relative path> (no symlinks)."""
        bucket, prefix = parse_uri(uri)
        prefix = prefix.rstrip("/")
        count = 0
        for rel, path in regular_files(source):
            with open_nofollow(path) as fh:
                if fh is None:
                    continue
                self.put_stream(bucket, f"{prefix}/{rel}" if prefix else rel, fh)
                count += 1
        return count


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


def _copy(src: Path, dst: Path) -> None:
    # A copy, not a hard link: File-mode input is writable in the container, and a script
    # editing its input in place must not change the stored object.
    dst.unlink(missing_ok=True)
    shutil.copyfile(src, dst)


_ETAG_SUFFIX = ".sagestep-etag"


def _etag_cache_path(path: Path) -> Path:
    return path.parent / f".{path.name}{_ETAG_SUFFIX}"


_XATTR = "user.sagestep.s3"


def _sidecar_write(path: Path, etag: str, meta: ObjectMeta | None) -> os.stat_result:
    st = path.stat()
    meta = meta or ObjectMeta()
    record = json.dumps({
        "mtime_ns": st.st_mtime_ns, "size": st.st_size, "etag": etag,
        "content_type": meta.content_type, "metadata": meta.metadata,
        "headers": meta.headers, "checksums": meta.checksums,
    })
    # An extended attribute on the file itself when the filesystem has them (one syscall, no
    # file to create; it moves with renames); the hidden sidecar file otherwise.
    try:
        os.setxattr(path, _XATTR, record.encode())
        _etag_cache_path(path).unlink(missing_ok=True)
    except (OSError, AttributeError):
        _etag_cache_path(path).write_text(record)
    return st


def _sidecar_read(path: Path, st: os.stat_result) -> tuple[str, ObjectMeta]:
    """(ETag, metadata) recorded for this file if still current, else MD5 and defaults."""
    try:
        text = os.getxattr(path, _XATTR).decode()
    except (OSError, AttributeError):
        try:
            text = _etag_cache_path(path).read_text()
        except OSError:
            return _md5_etag(path), ObjectMeta()
    try:
        if text.startswith("{"):
            rec = json.loads(text)
            if rec["mtime_ns"] == st.st_mtime_ns and rec["size"] == st.st_size:
                return rec["etag"], ObjectMeta(
                    rec["content_type"], rec["metadata"], rec["headers"], rec["checksums"])
        else:  # the earlier "mtime size md5" cache, still found in older workspaces
            mtime, size, md5 = text.split()
            if int(mtime) == st.st_mtime_ns and int(size) == st.st_size:
                return f'"{md5}"', ObjectMeta()
    except (ValueError, KeyError, TypeError):
        pass
    return _md5_etag(path), ObjectMeta()


def _md5_etag(path: Path) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return f'"{digest.hexdigest()}"'


class _BytesReader:
    def __init__(self, data: bytes) -> None:
        self._data, self._pos = data, 0

    def read(self, n: int = -1) -> bytes:
        end = len(self._data) if n < 0 else self._pos + n
        chunk = self._data[self._pos:end]
        self._pos += len(chunk)
        return chunk

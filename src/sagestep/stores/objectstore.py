"""The local object store: s3://<bucket>/<key> lives at <root>/<bucket>/<key>.

Writes are atomic (temp file in <root>/.tmp, then rename), keys that would escape the store
(``..`` segments, absolute paths, NUL) are refused, and listeners hear about every created
object (the local watcher and ``sagestep upload`` turn them into S3 Object Created events).

What S3 keeps beside the bytes (ETag, headers, checksums, tags) is a record kept by
``object_meta.py`` on the file itself. A key ending in "/" (a folder object, what the S3 console
and ``aws s3api put-object --key dir/`` create) is the directory itself carrying such a
record: it is listed, read and deleted like any object, and the tree jobs read stays plain.
Keys are files, so "a" and "a/b" cannot both exist (a clear StoreError says so); "a/" and
"a/b" can, as on S3. Bucket configuration (tags, versioning status) is JSON under
``<root>/.buckets/``, tied to the bucket directory's inode so a bucket removed by hand and
made again starts unconfigured.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
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
from sagestep.stores import bucket_config
from sagestep.stores.keys import check_key, parse_uri, relative_key
from sagestep.stores.nofollow import open_nofollow, regular_files
from sagestep.stores.object_meta import (
    DEFAULT_CONTENT_TYPE,
    EMPTY_ETAG,
    RECORD_SUFFIX,
    ObjectMeta,
    drop_record,
    md5_etag,
    read_folder_record,
    read_record,
    sidecar_path,
    write_folder_record,
    write_record,
)

__all__ = ["DEFAULT_CONTENT_TYPE", "LocalObjectStore", "ObjectInfo", "ObjectMeta", "check_key",
           "parse_uri", "relative_key"]

_FOLDER_BYTES = (
    "cannot store s3://{bucket}/{key} with a body: the local store keeps a key ending in '/' "
    "as a folder (a directory, so that '{key}x' keys can live below it), which cannot hold "
    "bytes; send an empty body for a folder object, or use a key without the trailing '/'")
_BUCKET = re.compile(r"[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9]")
_CHUNK = 1 << 20


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
        if key.endswith("/"):
            if stream.read(1):
                raise StoreError(_FOLDER_BYTES.format(bucket=bucket, key=key))
            return self.put_folder(bucket, key, meta)
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
        write_record(target, f'"{digest.hexdigest()}"', meta)
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
        if target.is_dir() and read_folder_record(target) is None:
            with contextlib.suppress(OSError):  # an empty folder left behind: not an object
                target.rmdir()
        if target.is_dir():
            raise StoreError(f"cannot store s3://{bucket}/{key}: the folder {key}/ exists (objects "
                             f"or a folder object are under it); delete them or pick another key")

    def put_folder(self, bucket: str, key: str, meta: ObjectMeta | None = None) -> ObjectInfo:
        """Create (or overwrite) the zero-byte folder object ``key`` (which ends in "/")."""
        target = self.path(bucket, key)
        try:
            target.mkdir(parents=True, exist_ok=True)
        except (FileExistsError, NotADirectoryError) as exc:
            raise StoreError(
                f"cannot store folder object s3://{bucket}/{key}: {key.rstrip('/')} or a prefix of it "
                "is an object key (the local store keeps keys as files, so 'a' and 'a/' cannot "
                "both exist); delete that object first") from exc
        mtime = write_folder_record(target, meta)
        return self._created(bucket, key, ObjectInfo(bucket, key, 0, mtime, EMPTY_ETAG, meta or ObjectMeta()))

    def set_meta(self, bucket: str, key: str, meta: ObjectMeta) -> ObjectInfo:
        """Replace an object's metadata record (tags, ...) without touching its bytes."""
        path = self.path(bucket, key)
        try:
            if key.endswith("/"):
                info = self.head(bucket, key)
                write_folder_record(path, meta, info.mtime)
                return ObjectInfo(bucket, key, 0, info.mtime, info.etag, meta)
            with open(path, "rb") as fh:  # the record goes to the inode it was read from
                st = os.fstat(fh.fileno())
                etag, _old = read_record(path, st, fh.fileno())
                write_record(path, etag, meta, fh.fileno())
        except (FileNotFoundError, IsADirectoryError) as exc:
            raise StoreError(f"s3://{bucket}/{key} does not exist") from exc
        return ObjectInfo(bucket, key, st.st_size, st.st_mtime, etag, meta)

    def adopt_file(
        self, bucket: str, key: str, source: Path | str, meta: ObjectMeta | None = None,
        etag: str | None = None,
    ) -> ObjectInfo:
        """Move a local file into the store by rename (no copy; same filesystem), else copy it.

        ``etag`` (quoted, as S3 spells it) is stored when the caller already computed it (the
        HTTP API hashes bodies while receiving them, and multipart ETags are not an MD5).
        """
        if key.endswith("/"):
            if os.path.getsize(source):
                raise StoreError(_FOLDER_BYTES.format(bucket=bucket, key=key))
            Path(source).unlink()
            return self.put_folder(bucket, key, meta)
        target = self.path(bucket, key)
        self._make_parent(target, bucket, key)
        try:
            os.replace(source, target)
        except OSError:
            return self.put_file(bucket, key, source, meta)
        if etag is None and meta is None:
            sidecar_path(target).unlink(missing_ok=True)
            return self._created(bucket, key)
        etag = etag or md5_etag(target)
        st = write_record(target, etag, meta)
        return self._created(bucket, key, ObjectInfo(bucket, key, st.st_size, st.st_mtime, etag,
                                                     meta or ObjectMeta()))

    def tmp_dir(self) -> Path:
        """A scratch dir on the store's filesystem: files made there can be adopted by rename."""
        path = self.root / ".tmp"
        path.mkdir(exist_ok=True)
        return path

    def open(self, bucket: str, key: str) -> BinaryIO:
        """A binary file object reading the object (StoreError if it does not exist)."""
        if key.endswith("/"):
            self.head(bucket, key)
            return io.BytesIO(b"")
        path = self.path(bucket, key)
        if not path.is_file():
            raise StoreError(f"s3://{bucket}/{key} does not exist")
        return path.open("rb")

    def get_bytes(self, bucket: str, key: str) -> bytes:
        with self.open(bucket, key) as fh:
            return fh.read()

    def exists(self, bucket: str, key: str) -> bool:
        path = self.path(bucket, key)
        if key.endswith("/"):
            return path.is_dir() and read_folder_record(path) is not None
        return path.is_file()

    def head(self, bucket: str, key: str) -> ObjectInfo:
        path = self.path(bucket, key)
        if key.endswith("/"):
            folder = read_folder_record(path) if path.is_dir() else None
            if folder is None:
                raise StoreError(f"s3://{bucket}/{key} does not exist")
            return ObjectInfo(bucket, key, 0, folder[0], EMPTY_ETAG, folder[1])
        if not path.is_file():
            raise StoreError(f"s3://{bucket}/{key} does not exist")
        st = path.stat()
        etag, meta = read_record(path, st)
        return ObjectInfo(bucket, key, st.st_size, st.st_mtime, etag, meta)

    def delete(self, bucket: str, key: str) -> None:
        path = self.path(bucket, key)
        if key.endswith("/"):
            if not path.is_dir():
                return
            drop_record(path)
            parent = path
        elif path.is_dir():  # "a" names no object when "a/..." keys exist: nothing to delete
            return
        else:
            path.unlink(missing_ok=True)
            sidecar_path(path).unlink(missing_ok=True)
            parent = path.parent
        # Drop folders the delete left empty, so the key's prefix can become an object again;
        # a folder object's directory stays (it is an object of its own).
        base = self.bucket_path(bucket)
        while parent != base and base in parent.parents and read_folder_record(parent) is None:
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
        bucket_config.drop(self.root, bucket)

    def list(self, bucket: str, prefix: str = "", after: str = "") -> Iterator[ObjectInfo]:
        """Objects under ``prefix`` whose key sorts after ``after``, in key order (as S3)."""
        base = self.bucket_path(bucket)
        if not base.is_dir():
            return
        start = base / prefix.rsplit("/", 1)[0] if "/" in prefix else base
        if not start.is_dir():
            return
        root, keys = str(base), []  # keys as plain strings: paging a large prefix stays cheap
        for dirpath, dirs, files in os.walk(start):
            rel = dirpath[len(root) + 1:].replace(os.sep, "/")
            folder = f"{rel}/" if rel else ""
            # Walk only folders that can hold keys under the prefix.
            dirs[:] = [d for d in dirs if (sub := f"{folder}{d}/").startswith(prefix) or prefix.startswith(sub)]
            if rel and folder.startswith(prefix) and folder > after and read_folder_record(Path(dirpath)):
                keys.append(folder)
            keys += [key for f in files if not f.endswith(RECORD_SUFFIX)
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
            if info.key.endswith("/"):  # a folder object: the folder, as SageMaker makes it
                target.mkdir(parents=True, exist_ok=True)
                continue
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


def _copy(src: Path, dst: Path) -> None:
    # A copy, not a hard link: File-mode input is writable in the container, and a script
    # editing its input in place must not change the stored object.
    dst.unlink(missing_ok=True)
    shutil.copyfile(src, dst)


class _BytesReader:
    def __init__(self, data: bytes) -> None:
        self._data, self._pos = data, 0

    def read(self, n: int = -1) -> bytes:
        end = len(self._data) if n < 0 else self._pos + n
        chunk = self._data[self._pos:end]
        self._pos += len(chunk)
        return chunk

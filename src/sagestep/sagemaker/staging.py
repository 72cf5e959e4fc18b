"""Moving data between the object store and a job directory, as SageMaker does.

Inputs: S3Prefix (every key under the prefix, key structure below it preserved), ManifestFile
(a JSON list ``[{"prefix": "s3://..."}, "rel/key", ...]``). Gzip decompression is a Pipe-mode
feature on AWS and Pipe mode is refused locally, so File/FastFile data is copied as stored.
Outputs: ``model.tar.gz`` / ``output.tar.gz`` with the directory's contents at the tar root,
processing outputs uploaded file by file (symlinks are not followed, as on AWS).
"""

from __future__ import annotations

import json
import shutil
import tarfile
import tempfile
from pathlib import Path

from sagestep.errors import StoreError
from sagestep.sagemaker.runner import JobFailure
from sagestep.stores.nofollow import open_nofollow, regular_files
from sagestep.stores.objectstore import LocalObjectStore, check_key, parse_uri, relative_key


def stage_s3(store: LocalObjectStore, uri: str, data_type: str, dest: Path, what: str) -> int:
    """Copy the S3 data of one channel/input into ``dest``; returns the object count."""
    dest.mkdir(parents=True, exist_ok=True)
    try:
        if data_type == "ManifestFile":
            count = _stage_manifest(store, uri, dest)
        elif data_type == "S3Prefix":
            count = store.download_prefix(uri, dest)
        else:
            raise JobFailure(f"ClientError: {what}: S3DataType {data_type} is not supported locally "
                             "(use S3Prefix or ManifestFile)")
    except StoreError as exc:
        raise JobFailure(f"ClientError: {what}: {exc}") from exc
    if count == 0:
        raise JobFailure(f"ClientError: {what}: no S3 objects found under S3Uri {uri}; "
                         "check the URI and that the data was uploaded")
    return count


def _stage_manifest(store: LocalObjectStore, uri: str, dest: Path) -> int:
    bucket, key = parse_uri(uri)
    try:
        entries = json.loads(store.get_bytes(bucket, key))
        prefix = entries[0]["prefix"]
    except (ValueError, KeyError, IndexError, TypeError) as exc:
        raise StoreError(f"manifest {uri} is not a JSON list [{{\"prefix\": ...}}, \"key\", ...]") from exc
    pbucket, pkey = parse_uri(prefix)
    for rel in entries[1:]:
        # A manifest entry is a key suffix: '..' or an absolute path would read outside the
        # prefix and write outside the channel directory.
        if not isinstance(rel, str) or rel.startswith("/") or ".." in rel.split("/"):
            raise StoreError(f"manifest {uri}: entry {rel!r} must be a relative key without '..'")
        check_key(pkey + rel)
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(store.path(pbucket, pkey + rel), target)
    return len(entries) - 1


def upload_tarball(store: LocalObjectStore, source: Path, uri: str) -> None:
    """Tar+gzip the contents of ``source`` (entries relative to it) to ``uri``."""
    bucket, key = parse_uri(uri)
    with tempfile.TemporaryDirectory() as tmp:
        archive = Path(tmp) / "archive.tar.gz"
        with tarfile.open(archive, "w:gz", compresslevel=6) as tar:
            for rel, path in regular_files(source):
                with open_nofollow(path) as fh:
                    if fh is not None:
                        info = tar.gettarinfo(arcname=rel, fileobj=fh)
                        tar.addfile(info, fh)
        store.put_file(bucket, key, archive)


def extract_tarball(store: LocalObjectStore, uri: str, dest: Path) -> None:
    """Download and unpack a .tar.gz from the store (sourcedir.tar.gz) into ``dest``."""
    bucket, key = parse_uri(uri)
    dest.mkdir(parents=True, exist_ok=True)
    with store.open(bucket, key) as fh, tarfile.open(fileobj=fh, mode="r:*") as tar:
        tar.extractall(dest, filter="data")


def has_files(path: Path) -> bool:
    return path.is_dir() and any(p.is_file() for p in path.rglob("*"))


__all__ = ["extract_tarball", "has_files", "relative_key", "stage_s3", "upload_tarball"]

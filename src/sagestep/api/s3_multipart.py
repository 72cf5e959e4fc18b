"""S3 multipart uploads: parts live under ``<s3 root>/.uploads/<upload id>/``.

Clients upload parts of one size (the last smaller), so the first part of at least 5 MiB
fixes a stride S and each part N is written straight into one ``data`` file at (N-1)*S.
When the completed list is parts 1..k all in their slots, Complete truncates ``data`` and
adopts it by rename: no byte is copied. Anything else (a re-uploaded part, parts of other
sizes, a gap) has its own file or slot and Complete concatenates the listed parts with
``os.copy_file_range`` (in-kernel, no user-space buffer). A slot is written at most once
(``NNNNN.slot`` claims it), so a re-upload never overwrites bytes a record points to; part
writers hold a shared flock on ``data`` and Complete an exclusive one while adopting it. The ETag is S3's
"MD5 of the parts' MD5s, dash, part count"; a CRC32 composite checksum is built the same way
(https://docs.aws.amazon.com/AmazonS3/latest/userguide/checking-object-integrity.html).
"""

from __future__ import annotations

import base64
import fcntl
import hashlib
import json
import os
import secrets
import shutil
import tempfile
import time
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import crc32c

from sagestep.api.body import Received
from sagestep.api.errors import ApiError
from sagestep.api.s3_buckets import OWNER, bucket_exists
from sagestep.api.s3_objects import byte_range, copy_source, meta_from
from sagestep.clock import utc
from sagestep.errors import StoreError
from sagestep.stores.objectstore import LocalObjectStore, ObjectMeta

MIN_PART = 5 * 1024 * 1024  # every part but the last, as S3 enforces (EntityTooSmall)
MAX_PARTS = 10_000


def _root(store: LocalObjectStore) -> Path:
    return store.root / ".uploads"


def _upload(store: LocalObjectStore, p: dict[str, Any]) -> tuple[Path, dict[str, Any]]:
    upload_id = p["UploadId"]
    path = _root(store) / upload_id
    if "/" in upload_id or upload_id.startswith(".") or not (path / "upload.json").is_file():
        raise ApiError("NoSuchUpload", "The specified multipart upload does not exist.", 404, UploadId=upload_id)
    record = json.loads((path / "upload.json").read_text())
    if record["Bucket"] != p["Bucket"] or record["Key"] != p["Key"]:
        raise ApiError("NoSuchUpload", "The upload belongs to another object.", 404, UploadId=upload_id)
    return path, record


def create(store: LocalObjectStore, p: dict[str, Any]) -> dict[str, Any]:
    bucket_exists(store, p["Bucket"])
    try:
        store.path(p["Bucket"], p["Key"])
    except StoreError as exc:
        raise ApiError("InvalidArgument", str(exc), Key=p["Key"]) from exc
    if p["Key"].endswith("/"):  # refused now rather than after every part is uploaded
        raise ApiError("InvalidArgument", f"cannot upload s3://{p['Bucket']}/{p['Key']} in parts: the "
                       "local store keeps a key ending in '/' as a folder, which holds no bytes; "
                       "use a key without the trailing '/'", Key=p["Key"])
    upload_id = secrets.token_urlsafe(24)
    path = _root(store) / upload_id
    path.mkdir(parents=True)
    meta = meta_from(p)
    record = {"Bucket": p["Bucket"], "Key": p["Key"], "Initiated": time.time(),
              "ContentType": meta.content_type, "Metadata": meta.metadata, "Headers": meta.headers,
              "ChecksumAlgorithm": p.get("ChecksumAlgorithm"), "Tags": meta.tags}
    (path / "upload.json").write_text(json.dumps(record))
    return {"Bucket": p["Bucket"], "Key": p["Key"], "UploadId": upload_id,
            "ChecksumAlgorithm": p.get("ChecksumAlgorithm")}


@dataclass
class Slot:
    """Part ``number``'s place in the upload's ``data`` file (``fd`` holds a shared flock)."""

    fd: int
    offset: int

    def close(self) -> None:
        os.close(self.fd)


def open_slot(store: LocalObjectStore, p: dict[str, Any], declared: int | None) -> Slot | None:
    """A slot for the part about to be received, or None (it then gets its own file)."""
    path, _ = _upload(store, p)  # NoSuchUpload before the body is read
    number = p["PartNumber"]
    if declared is None or not 1 <= number <= MAX_PARTS:
        return None
    stride = _stride(path, declared)
    if stride is None or declared > stride:
        return None
    try:
        os.close(os.open(path / f"{number:05d}.slot", os.O_CREAT | os.O_EXCL | os.O_WRONLY))
    except FileExistsError:
        return None  # a re-upload: the slot may hold bytes a record points to
    fd = os.open(path / "data", os.O_WRONLY | os.O_CREAT, 0o600)
    fcntl.flock(fd, fcntl.LOCK_SH)
    try:
        if os.fstat(fd).st_ino != os.stat(path / "data").st_ino:
            raise FileNotFoundError
    except FileNotFoundError:  # completed or aborted while this part waited
        os.close(fd)
        raise ApiError("NoSuchUpload", "The specified multipart upload does not exist.", 404,
                       UploadId=p["UploadId"]) from None
    return Slot(fd, (number - 1) * stride)


def _stride(path: Path, declared: int) -> int | None:
    stride_file = path / "stride"
    if not stride_file.exists() and declared >= MIN_PART:
        fd, name = tempfile.mkstemp(dir=path, prefix=".stride")
        os.write(fd, str(declared).encode())
        os.close(fd)
        try:
            os.link(name, stride_file)  # atomic: the first part to get here sets it
        except FileExistsError:
            pass
        finally:
            os.unlink(name)
    try:
        return int(stride_file.read_text())
    except (FileNotFoundError, ValueError):
        return None


def upload_part(store: LocalObjectStore, p: dict[str, Any], body: Received,
                slot: Slot | None = None) -> dict[str, Any]:
    try:
        path, _record = _upload(store, p)
        number = p["PartNumber"]
        if not 1 <= number <= MAX_PARTS:
            raise ApiError("InvalidArgument", f"Part number must be an integer between 1 and {MAX_PARTS}, inclusive")
        part = {"ETag": f'"{body.md5}"', "Size": body.size, "Checksums": body.checksums,
                "LastModified": time.time(), "Slot": slot.offset if slot else None}
        if body.path is not None:
            os.replace(body.path, path / f"{number:05d}")
    except BaseException:
        if body.path is not None:
            body.path.unlink(missing_ok=True)
        raise
    (path / f"{number:05d}.json").write_text(json.dumps(part))
    return {"ETag": part["ETag"], **{f"Checksum{a}": v for a, v in body.checksums.items()}}


def upload_part_copy(store: LocalObjectStore, p: dict[str, Any]) -> dict[str, Any]:
    """A part copied from (a byte range of) an existing object: what `aws s3 cp` uses to
    copy objects over the multipart threshold between buckets."""
    _upload(store, p)
    info = copy_source(store, p)
    span = (0, info.size - 1)
    if p.get("CopySourceRange"):
        span = byte_range(p["CopySourceRange"], info.size) or span
    digest = hashlib.md5(usedforsecurity=False)
    fd, name = tempfile.mkstemp(dir=store.tmp_dir())
    try:
        with open(fd, "wb") as out, store.open(info.bucket, info.key) as src:
            src.seek(span[0])
            left = span[1] - span[0] + 1
            while left > 0 and (chunk := src.read(min(left, 1 << 20))):
                digest.update(chunk)
                out.write(chunk)
                left -= len(chunk)
        received = Received(Path(name), span[1] - span[0] + 1, digest.hexdigest())
        result = upload_part(store, p, received)
    finally:
        Path(name).unlink(missing_ok=True)
    return {"CopyPartResult": {"ETag": result["ETag"], "LastModified": utc(time.time())}}


def _parts(path: Path) -> dict[int, dict[str, Any]]:
    out = {}
    for f in path.glob("*.json"):
        if f.name != "upload.json":
            try:
                out[int(f.stem)] = json.loads(f.read_text())
            except (ValueError, OSError):
                continue  # a part being replaced right now
    return out


def list_parts(store: LocalObjectStore, p: dict[str, Any]) -> dict[str, Any]:
    path, record = _upload(store, p)
    marker, max_parts = int(p.get("PartNumberMarker") or 0), p.get("MaxParts", 1000)
    numbers = sorted(n for n in _parts(path) if n > marker)
    page, truncated = numbers[:max_parts], len(numbers) > max_parts
    parts = _parts(path)
    return {
        "Bucket": p["Bucket"], "Key": p["Key"], "UploadId": p["UploadId"],
        "PartNumberMarker": marker, "NextPartNumberMarker": page[-1] if page else None,
        "MaxParts": max_parts, "IsTruncated": truncated, "StorageClass": "STANDARD",
        "Initiator": OWNER, "Owner": OWNER, "ChecksumAlgorithm": record.get("ChecksumAlgorithm"),
        "Parts": [{"PartNumber": n, "ETag": parts[n]["ETag"], "Size": parts[n]["Size"],
                   "LastModified": utc(parts[n]["LastModified"]),
                   **{f"Checksum{a}": v for a, v in parts[n]["Checksums"].items()}} for n in page],
    }


def list_uploads(store: LocalObjectStore, p: dict[str, Any]) -> dict[str, Any]:
    """Uploads in progress in a bucket (Prefix filter; one page of up to 1,000)."""
    bucket_exists(store, p["Bucket"])
    prefix, uploads = p.get("Prefix", ""), []
    root = _root(store)
    for path in sorted(root.iterdir()) if root.is_dir() else []:
        try:
            record = json.loads((path / "upload.json").read_text())
        except (OSError, ValueError):
            continue
        if record["Bucket"] == p["Bucket"] and record["Key"].startswith(prefix):
            uploads.append({"Key": record["Key"], "UploadId": path.name, "Initiator": OWNER,
                            "Owner": OWNER, "StorageClass": "STANDARD",
                            "Initiated": utc(record["Initiated"])})
    uploads.sort(key=lambda u: (u["Key"], u["Initiated"]))
    return {"Bucket": p["Bucket"], "Prefix": prefix or None, "MaxUploads": 1000,
            "IsTruncated": len(uploads) > 1000, "Uploads": uploads[:1000] or None}


def abort(store: LocalObjectStore, p: dict[str, Any]) -> dict[str, Any]:
    path, _ = _upload(store, p)
    shutil.rmtree(path, ignore_errors=True)
    return {"_status": 204}


def complete(store: LocalObjectStore, p: dict[str, Any]) -> dict[str, Any]:
    path, record = _upload(store, p)
    wanted = (p.get("MultipartUpload") or {}).get("Parts") or []
    if not wanted:
        raise ApiError("MalformedXML", "You must specify at least one part")
    have = _parts(path)
    numbers = [w["PartNumber"] for w in wanted]
    if numbers != sorted(set(numbers)):
        raise ApiError("InvalidPartOrder", "The list of parts was not in ascending order.")
    for i, w in enumerate(wanted):
        part = have.get(w["PartNumber"])
        if part is None or w.get("ETag", "").strip('"') != part["ETag"].strip('"'):
            raise ApiError("InvalidPart", "One or more of the specified parts could not be found.", PartNumber=w["PartNumber"])
        if i < len(wanted) - 1 and part["Size"] < MIN_PART:
            raise ApiError("EntityTooSmall", "Your proposed upload is smaller than the minimum allowed object size.", PartNumber=w["PartNumber"])
    md5s = b"".join(bytes.fromhex(have[n]["ETag"].strip('"')) for n in numbers)
    etag = f'"{hashlib.md5(md5s, usedforsecurity=False).hexdigest()}-{len(numbers)}"'
    meta = ObjectMeta(record["ContentType"], record["Metadata"], record["Headers"],
                      _composite([have[n] for n in numbers]), record.get("Tags") or {},
                      [{"Size": have[n]["Size"], "Checksums": have[n]["Checksums"]} for n in numbers])
    _assemble(store, path, [(n, have[n]) for n in numbers], p, meta, etag)
    shutil.rmtree(path, ignore_errors=True)
    return {"Location": f"/{p['Bucket']}/{p['Key']}", "Bucket": p["Bucket"], "Key": p["Key"],
            "ETag": etag, **{f"Checksum{a}": v for a, v in meta.checksums.items()},
            **({"ChecksumType": "COMPOSITE"} if meta.checksums else {})}


def _assemble(store: LocalObjectStore, path: Path, parts: list[tuple[int, dict[str, Any]]],
              p: dict[str, Any], meta: ObjectMeta, etag: str) -> None:
    """Make the object from the listed parts: ``data`` itself when they fill it in order."""
    data = path / "data"
    fd = os.open(data, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # no part writes into data while it is adopted
        stride = _stride(path, 0)
        in_place = stride is not None and all(
            part.get("Slot") == (n - 1) * stride and n == i + 1 and (part["Size"] == stride or i == len(parts) - 1)
            for i, (n, part) in enumerate(parts))
        if in_place:
            os.ftruncate(fd, sum(part["Size"] for _, part in parts))
            tmp = data
        else:
            tmp = _concat(store, path, fd, parts)
        try:
            store.adopt_file(p["Bucket"], p["Key"], tmp, meta, etag)
        except StoreError as exc:
            raise ApiError("InvalidArgument", str(exc), Key=p["Key"]) from exc
        finally:
            if tmp != data:
                tmp.unlink(missing_ok=True)
    finally:
        os.close(fd)


def _concat(store: LocalObjectStore, path: Path, data_fd: int,
            parts: list[tuple[int, dict[str, Any]]]) -> Path:
    fd, name = tempfile.mkstemp(dir=store.tmp_dir())
    try:
        for n, part in parts:
            if part.get("Slot") is not None:
                _append(data_fd, part["Slot"], part["Size"], fd)
            else:
                with open(path / f"{n:05d}", "rb") as src:
                    _append(src.fileno(), 0, part["Size"], fd)
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise
    finally:
        os.close(fd)
    return Path(name)


def _append(src: int, offset: int, size: int, fd: int) -> None:
    copied = 0
    try:  # in-kernel copy (Linux); a reflink on filesystems that have them
        while copied < size:
            done = os.copy_file_range(src, fd, size - copied, offset + copied)
            if done == 0:
                break
            copied += done
    except (AttributeError, OSError):  # macOS, or a filesystem that refuses it
        while copied < size and (chunk := os.pread(src, min(size - copied, 1 << 20), offset + copied)):
            os.write(fd, chunk)
            copied += len(chunk)


_CRCS = {"CRC32": zlib.crc32, "CRC32C": crc32c.crc32c}


def _composite(parts: list[dict[str, Any]]) -> dict[str, str]:
    """CRC of the parts' CRCs, "-N", for CRC32 and CRC32C (others need awscrt; left out)."""
    for algorithm, fn in _CRCS.items():
        values = [part["Checksums"].get(algorithm) for part in parts]
        if values and all(v is not None for v in values):
            crc = 0
            for v in values:
                crc = fn(base64.b64decode(v), crc)
            return {algorithm: f"{base64.b64encode(crc.to_bytes(4, 'big')).decode()}-{len(values)}"}
    return {}

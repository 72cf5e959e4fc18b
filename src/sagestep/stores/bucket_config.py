"""Bucket configuration the local S3 keeps (tag set, versioning status, ...).

One JSON document per bucket at ``<s3 root>/.buckets/<bucket>.json`` (outside the bucket's
tree, so it is never listed as an object), holding the bucket directory's inode: a bucket
deleted by hand and made again does not inherit the old bucket's configuration.
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
from pathlib import Path
from typing import Any

_LOCK = threading.Lock()  # one read-modify-write at a time (PutBucketTagging racing PutBucketVersioning)


def _file(root: Path, bucket: str) -> Path:
    return root / ".buckets" / f"{bucket}.json"


def read(root: Path, bucket_dir: Path) -> dict[str, Any]:
    """The configuration stored for the bucket at ``bucket_dir`` ({} if none)."""
    try:
        doc = json.loads(_file(root, bucket_dir.name).read_text())
        if doc.get("inode") == bucket_dir.stat().st_ino:
            return dict(doc.get("config") or {})
    except (OSError, ValueError, AttributeError):
        pass
    return {}


def write(root: Path, bucket_dir: Path, name: str, value: Any) -> None:
    """Set configuration ``name`` of the bucket to ``value`` (None removes it)."""
    with _LOCK:
        config = read(root, bucket_dir)
        if value is None:
            config.pop(name, None)
        else:
            config[name] = value
        target = _file(root, bucket_dir.name)
        target.parent.mkdir(exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp")
        with os.fdopen(fd, "w") as out:
            json.dump({"inode": bucket_dir.stat().st_ino, "config": config}, out)
        os.replace(tmp, target)


def drop(root: Path, bucket: str) -> None:
    """Forget a deleted bucket's configuration."""
    _file(root, bucket).unlink(missing_ok=True)

"""Config versions: what each registered version holds, how two differ, rolling back, and
running a config file without registering it (a draft).

The latest version of a pipeline is what its triggers run. `sagestep run FILE` therefore runs
the file as a draft (never stored; its code goes under a per-run prefix) unless told to
``--register`` it; a rollback stores a copy of an old version as the new latest, so history
only grows and the same code works on the SQLite and the DynamoDB registry.
"""

from __future__ import annotations

import dataclasses
import difflib
import hashlib
import json
from collections.abc import Mapping
from typing import Any

from sagestep.errors import BackendError

# Keys the registry adds; two versions with the same content differ only in these.
STORED = ("version", "created")
DRAFT = "draft"


def content(item: Mapping[str, Any]) -> dict[str, Any]:
    """The config part of a stored item."""
    return {k: v for k, v in item.items() if k not in STORED}


def digest(item: Mapping[str, Any]) -> str:
    """A short hash of the content (equal versions share it)."""
    text = json.dumps(content(item), sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:10]


def history(backend: Any, name: str) -> list[dict[str, Any]]:
    """Every version of ``name``, oldest first (BackendError naming the pipelines if none)."""
    found = [dict(i) for i in backend.registry.history(name)]
    if not found:
        known = ", ".join(sorted(i["name"] for i in backend.registry.list())) or "(none)"
        raise BackendError(f"no pipeline {name!r} is registered; registered: {known}")
    return found


def version_of(backend: Any, name: str, version: int) -> dict[str, Any]:
    """One stored version (BackendError listing the versions that exist)."""
    for item in history(backend, name):
        if int(item["version"]) == int(version):
            return item
    have = ", ".join(str(i["version"]) for i in history(backend, name))
    raise BackendError(f"{name} has no version {version}; versions: {have}")


def diff(backend: Any, name: str, old: int, new: int) -> str:
    """A unified diff of two versions' content (JSON, keys sorted); "" when equal."""
    texts = [json.dumps(content(version_of(backend, name, v)), indent=2, sort_keys=True,
                        default=str).splitlines(keepends=True) for v in (old, new)]
    return "".join(difflib.unified_diff(texts[0], texts[1], f"{name} v{old}", f"{name} v{new}"))


def rollback(backend: Any, name: str, version: int) -> int:
    """Store version ``version`` again as the newest; the new version number."""
    return int(backend.registry.put(content(version_of(backend, name, version))))


def draft(backend: Any, source: Any, tag: str) -> dict[str, Any]:
    """A config file loaded and its code uploaded under ``drafts/<tag>/``, not registered.

    The registered versions keep their code at ``<pipeline>/code/<stage>``; a draft's code
    goes beside it so a trial run never changes what the triggers run.
    """
    loaded = backend.load(source)
    text = json.dumps(dict(loaded.item), sort_keys=True)
    for upload in loaded.uploads:
        moved = str(upload.s3_uri).replace("/code/", f"/drafts/{tag}/code/", 1)
        text = text.replace(json.dumps(str(upload.s3_uri))[1:-1], json.dumps(moved)[1:-1])
        backend.upload_code(dataclasses.replace(upload, s3_uri=moved))
    item: dict[str, Any] = json.loads(text)
    item["version"] = DRAFT
    if str(source).startswith("s3://"):
        item["source_uri"] = str(source)
    return item

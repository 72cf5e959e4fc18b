"""Object metadata (Content-Type, user metadata, checksums) kept with the file."""

from __future__ import annotations

import hashlib
import os
import time

import pytest

from sagestep.stores.objectstore import LocalObjectStore, ObjectMeta


@pytest.mark.parametrize("xattrs", [True, False])
def test_metadata_round_trips_and_goes_stale_when_the_file_is_rewritten(tmp_path, monkeypatch, xattrs) -> None:
    if not xattrs:
        def refuse(*_a: object) -> None:
            raise OSError(95, "Operation not supported")
        monkeypatch.setattr(os, "setxattr", refuse)
        monkeypatch.setattr(os, "getxattr", refuse)
    store = LocalObjectStore(tmp_path)
    meta = ObjectMeta("text/csv", {"owner": "me"}, {"CacheControl": "no-cache"}, {"CRC32": "AAAAAA=="})
    info = store.put_bytes("bkt", "dir/k.csv", b"a,b\n", meta)
    assert info.meta == meta and store.head("bkt", "dir/k.csv").meta == meta
    sidecar = tmp_path / "bkt" / "dir" / ".k.csv.sagestep-etag"
    assert sidecar.exists() is (not xattrs)
    assert [i.key for i in store.list("bkt")] == ["dir/k.csv"]  # the sidecar is never an object
    time.sleep(0.01)
    (tmp_path / "bkt" / "dir" / "k.csv").write_bytes(b"rewritten by a job")
    head = store.head("bkt", "dir/k.csv")
    assert head.meta == ObjectMeta() and head.etag == f'"{hashlib.md5(b"rewritten by a job").hexdigest()}"'
    store.delete("bkt", "dir/k.csv")
    assert not sidecar.exists() and not (tmp_path / "bkt" / "dir").exists()

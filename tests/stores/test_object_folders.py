"""Folder objects in the store: a directory carrying a record, with and without xattrs."""

from __future__ import annotations

import os

import pytest

from sagestep.errors import StoreError
from sagestep.stores.objectstore import LocalObjectStore, ObjectMeta


@pytest.fixture(params=[True, False], ids=["xattr", "sidecar"])
def store(request, tmp_path, monkeypatch) -> LocalObjectStore:
    if not request.param:
        def refuse(*_a: object) -> None:
            raise OSError(95, "Operation not supported")
        for name in ("setxattr", "getxattr", "removexattr"):
            monkeypatch.setattr(os, name, refuse)
    return LocalObjectStore(tmp_path)


def test_folder_object_lives_beside_the_objects_below_it(store, tmp_path) -> None:
    info = store.put_bytes("bkt", "data/", b"", ObjectMeta("application/x-directory", tags={"t": "1"}))
    assert (info.size, info.etag) == (0, '"d41d8cd98f00b204e9800998ecf8427e"')
    assert (tmp_path / "bkt" / "data").is_dir()
    store.put_bytes("bkt", "data/x.csv", b"1")
    store.put_bytes("bkt", "data/sub/y.csv", b"2")
    assert [i.key for i in store.list("bkt")] == ["data/", "data/sub/y.csv", "data/x.csv"]
    assert [i.key for i in store.list("bkt", "data/", after="data/")] == ["data/sub/y.csv", "data/x.csv"]
    head = store.head("bkt", "data/")
    assert head.meta.content_type == "application/x-directory" and head.meta.tags == {"t": "1"}
    assert head.mtime == info.mtime  # not the directory's mtime, which the puts below moved
    assert store.exists("bkt", "data/") and not store.exists("bkt", "data/sub/")
    assert store.get_bytes("bkt", "data/") == b""
    # deleting the last objects below it keeps the folder object's directory
    store.delete("bkt", "data/x.csv")
    store.delete("bkt", "data/sub/y.csv")
    assert [i.key for i in store.list("bkt")] == ["data/"]
    assert not (tmp_path / "bkt" / "data" / "sub").exists()
    store.delete("bkt", "data/")
    assert list(store.list("bkt")) == [] and not (tmp_path / "bkt" / "data").exists()
    store.delete_bucket("bkt")
    assert not (tmp_path / "bkt").exists()


def test_folder_object_with_objects_below_keeps_them_when_deleted(store) -> None:
    store.put_bytes("bkt", "d/", b"")
    store.put_bytes("bkt", "d/k", b"v")
    store.delete("bkt", "d/")
    assert [i.key for i in store.list("bkt")] == ["d/k"]
    with pytest.raises(StoreError, match="does not exist"):
        store.head("bkt", "d/")


def test_job_channels_get_a_folder_not_a_file(store, tmp_path) -> None:
    store.put_bytes("bkt", "train/", b"")
    store.put_bytes("bkt", "train/empty/", b"")
    store.put_bytes("bkt", "train/part-0.csv", b"a,b\n")
    dest = tmp_path / "channel"
    assert store.download_prefix("s3://bkt/train/", dest) == 1  # the folders are no objects to count
    assert (dest / "empty").is_dir() and (dest / "part-0.csv").read_bytes() == b"a,b\n"
    assert sorted(p.name for p in dest.iterdir()) == ["empty", "part-0.csv"]


def test_folder_bytes_and_file_clashes_are_refused(store) -> None:
    with pytest.raises(StoreError, match="cannot hold bytes"):
        store.put_bytes("bkt", "x/", b"data")
    store.put_bytes("bkt", "f", b"1")
    with pytest.raises(StoreError, match="'a' and 'a/' cannot both exist"):
        store.put_bytes("bkt", "f/", b"")
    store.put_bytes("bkt", "g/", b"")
    with pytest.raises(StoreError, match="folder g/ exists"):
        store.put_bytes("bkt", "g", b"1")
    assert [i.key for i in store.list("bkt")] == ["f", "g/"]


def test_set_meta_keeps_bytes_etag_and_last_modified(store) -> None:
    info = store.put_bytes("bkt", "k", b"abc", ObjectMeta("text/plain"))
    tagged = store.set_meta("bkt", "k", ObjectMeta("text/plain", tags={"a": "b"}))
    head = store.head("bkt", "k")
    assert (head.etag, head.mtime, head.meta.tags) == (info.etag, info.mtime, {"a": "b"})
    assert tagged.meta == head.meta and store.get_bytes("bkt", "k") == b"abc"
    folder = store.put_bytes("bkt", "d/", b"")
    store.set_meta("bkt", "d/", ObjectMeta(tags={"x": "y"}))
    assert store.head("bkt", "d/").mtime == folder.mtime
    assert store.head("bkt", "d/").meta.tags == {"x": "y"}


def test_a_big_record_falls_back_to_the_sidecar(tmp_path) -> None:
    store = LocalObjectStore(tmp_path)
    parts = [{"Size": 8 << 20, "Checksums": {"CRC32": "AAAAAA=="}} for _ in range(2000)]
    store.put_bytes("bkt", "big", b"x", ObjectMeta(parts=parts))
    assert store.head("bkt", "big").meta.parts == parts


def test_an_empty_directory_left_behind_does_not_block_a_key(store, tmp_path) -> None:
    (tmp_path / "bkt" / "left" / "behind").mkdir(parents=True)  # e.g. by a job, or racing deletes
    assert list(store.list("bkt")) == []
    store.put_bytes("bkt", "left/behind", b"now a file")
    assert store.get_bytes("bkt", "left/behind") == b"now a file"


def test_tagging_racing_a_put_leaves_the_new_object_its_own_record(tmp_path, monkeypatch) -> None:
    import hashlib

    from sagestep.stores import objectstore

    store = LocalObjectStore(tmp_path)
    store.put_bytes("bkt", "k", b"old")
    real = objectstore.read_record

    def read_then_replaced(*args):
        out = real(*args)
        monkeypatch.setattr(objectstore, "read_record", real)
        store.put_bytes("bkt", "k", b"new bytes")  # a PUT lands between the read and the write
        return out

    monkeypatch.setattr(objectstore, "read_record", read_then_replaced)
    store.set_meta("bkt", "k", ObjectMeta(tags={"t": "1"}))
    head = store.head("bkt", "k")
    assert head.etag == f'"{hashlib.md5(b"new bytes").hexdigest()}"' and head.meta.tags == {}

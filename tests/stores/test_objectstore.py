"""The local object store: layout, key safety, atomic writes, listeners, staging helpers."""

from __future__ import annotations

import pytest

from sagestep.errors import StoreError
from sagestep.stores.objectstore import LocalObjectStore, parse_uri, relative_key


def test_layout_and_round_trip(tmp_path) -> None:
    store = LocalObjectStore(tmp_path / "s3")
    info = store.put_bytes("bkt", "a/b/c.csv", b"1,2\n")
    assert (tmp_path / "s3" / "bkt" / "a" / "b" / "c.csv").read_bytes() == b"1,2\n"
    assert info.size == 4 and info.etag == '"' + __import__("hashlib").md5(b"1,2\n").hexdigest() + '"'
    assert store.get_bytes("bkt", "a/b/c.csv") == b"1,2\n"
    assert [i.key for i in store.list("bkt", "a/")] == ["a/b/c.csv"]
    assert not list((tmp_path / "s3" / ".tmp").iterdir())  # temp files renamed into place


@pytest.mark.parametrize("key", ["../x", "a/../../x", "/etc/passwd", "a/./b", "", "a\x00b"])
def test_keys_escaping_the_store_are_rejected(tmp_path, key) -> None:
    store = LocalObjectStore(tmp_path)
    with pytest.raises(StoreError):
        store.put_bytes("bkt", key, b"x")


def test_bad_bucket_and_uri(tmp_path) -> None:
    store = LocalObjectStore(tmp_path)
    with pytest.raises(StoreError):
        store.put_bytes("..", "x", b"")
    with pytest.raises(StoreError, match="not an S3 URI"):
        parse_uri("/local/path")
    assert parse_uri("s3://b/k/x") == ("b", "k/x")


def test_listeners_hear_created_objects(tmp_path) -> None:
    store = LocalObjectStore(tmp_path)
    seen = []
    store.add_listener(seen.append)
    store.put_bytes("bkt", "in/x.csv", b"abc")
    assert [(i.bucket, i.key, i.size) for i in seen] == [("bkt", "in/x.csv", 3)]


def test_prefix_download_keeps_structure_below_prefix(tmp_path) -> None:
    store = LocalObjectStore(tmp_path / "s3")
    for key in ("d/train/a.csv", "d/train/sub/b.csv", "d/train.csv", "d/other/c.csv"):
        store.put_bytes("bkt", key, b"x")
    dest = tmp_path / "ch"
    assert store.download_prefix("s3://bkt/d/train/", dest) == 2
    assert sorted(p.relative_to(dest).as_posix() for p in dest.rglob("*") if p.is_file()) == ["a.csv", "sub/b.csv"]
    assert relative_key("d/train", "d/train/a.csv") == "a.csv"
    assert relative_key("d/train.csv", "d/train.csv") == "train.csv"
    assert relative_key("d/tra", "d/train/a.csv") == "train/a.csv"
    # staged files are copies: editing one never changes the stored object
    (dest / "a.csv").write_bytes(b"changed")
    assert store.get_bytes("bkt", "d/train/a.csv") == b"x"


def test_adopt_file_moves_in(tmp_path) -> None:
    store = LocalObjectStore(tmp_path / "s3")
    src = tmp_path / "big.out"
    src.write_bytes(b"data")
    store.adopt_file("bkt", "out/big.out", src)
    assert not src.exists() and store.get_bytes("bkt", "out/big.out") == b"data"

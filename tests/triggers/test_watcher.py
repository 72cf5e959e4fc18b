import os

from sagestep.stores.objectstore import LocalObjectStore
from sagestep.triggers.events import parse
from sagestep.triggers.watcher import Watcher, object_event


def make(tmp_path):
    store = LocalObjectStore(tmp_path / "s3")
    sent = []
    return store, sent, Watcher(store, tmp_path / "db.sqlite", lambda e: sent.append(e) or [])


def test_first_scan_is_a_baseline_then_new_and_changed_objects_fire_once(tmp_path):
    store, sent, watcher = make(tmp_path)
    store.create_bucket("landing")
    store.put_bytes("landing", "old.csv", b"1")
    watcher.scan()
    assert sent == []  # files that existed before the first scan start nothing
    store.put_bytes("landing", "incoming/day 1.csv", b"a,b\n")
    watcher.scan()
    watcher.scan()
    assert [e["detail"]["object"]["key"] for e in sent] == ["incoming/day 1.csv"]
    path = store.path("landing", "old.csv")
    path.write_bytes(b"22")
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 10**9))
    watcher.scan()
    assert [e["detail"]["object"]["key"] for e in sent][-1] == "old.csv"
    assert len(sent) == 2


def test_restart_sees_objects_written_while_down(tmp_path):
    store, sent, watcher = make(tmp_path)
    store.create_bucket("landing")
    watcher.scan()
    watcher.close()
    store.put_bytes("landing", "while-down.csv", b"x")
    _, sent2, again = make(tmp_path)
    again.scan()
    assert [e["detail"]["object"]["key"] for e in sent2] == ["while-down.csv"]


def test_object_event_is_an_eventbridge_object_created_the_router_accepts(tmp_path):
    store, _, _ = make(tmp_path)
    store.create_bucket("landing")
    info = store.put_bytes("landing", "a/b.csv", b"hello")
    event = object_event(info)
    assert event["detail-type"] == "Object Created" and event["source"] == "aws.s3"
    assert event["detail"]["object"]["size"] == 5
    (trigger,) = parse(event)
    assert (trigger.bucket, trigger.key, trigger.type) == ("landing", "a/b.csv", "s3")
    assert object_event(store.head("landing", "a/b.csv"))["id"] == event["id"]  # deterministic


def test_a_folder_object_fires_once_like_any_object(tmp_path):
    store, sent, watcher = make(tmp_path)
    store.create_bucket("landing")
    watcher.scan()
    store.put_bytes("landing", "incoming/", b"")
    watcher.scan()
    store.put_bytes("landing", "incoming/day1.csv", b"a,b\n")  # moves the directory's mtime
    watcher.scan()
    watcher.scan()
    events = [(e["detail"]["object"]["key"], e["detail"]["object"]["size"]) for e in sent]
    assert events == [("incoming/", 0), ("incoming/day1.csv", 4)]

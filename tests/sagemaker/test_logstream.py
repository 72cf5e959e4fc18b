"""Reading a log stream file by byte offsets: block edges, a half-written last line, time bounds."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from sagestep.sagemaker import logstream
from sagestep.sagemaker.logpattern import PatternError, compile_pattern
from sagestep.sagemaker.logstream import StreamFile


@pytest.fixture
def stream(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, list[tuple[int, str]]]:
    monkeypatch.setattr(logstream, "BLOCK", 7)  # lines span several blocks: every edge is hit
    rng = random.Random(18)
    events, ts = [], 1_700_000_000_000
    path = tmp_path / "s.jsonl"
    with path.open("w") as fh:
        for i in range(300):
            ts += rng.choice([0, 0, 1, 250])  # repeated milliseconds, as batches of lines get
            message = "é" * rng.randint(0, 40) + f" {i}"
            events.append((ts, message))
            fh.write(json.dumps({"timestamp": ts, "message": message}) + "\n")
        fh.write('{"timestamp": 17000')  # a writer in another process, mid-append
    return path, events


def test_forward_and_backward_read_every_complete_line(stream) -> None:
    path, events = stream
    with StreamFile(path) as sf:
        ahead = list(sf.forward(0, sf.size))
        assert [(e.timestamp, e.message) for e in ahead] == events
        behind = list(sf.backward(sf.size, 0))
        assert [(e.offset, e.end) for e in reversed(behind)] == [(e.offset, e.end) for e in ahead]
        assert sf.size == ahead[-1].end < path.stat().st_size
        middle = list(sf.backward(ahead[200].offset, ahead[20].offset))
        assert [e.message for e in middle] == [m for _, m in events[20:200]][::-1]
        assert sf.last_event() == ahead[-1] and sf.first_event() == ahead[0]


def test_first_at_or_after_is_the_lower_time_bound(stream) -> None:
    path, events = stream
    with StreamFile(path) as sf:
        ahead = list(sf.forward(0, sf.size))
        for t in range(events[0][0] - 2, events[-1][0] + 3, 37):
            expected = next((e.offset for e in ahead if e.timestamp >= t), sf.size)
            assert sf.first_at_or_after(t) == expected
        assert all(sf.is_line_start(e.offset) for e in ahead)
        assert not sf.is_line_start(ahead[5].offset + 1) and not sf.is_line_start(sf.size + 1)


def test_empty_stream(tmp_path: Path) -> None:
    (tmp_path / "e.jsonl").write_text("")
    with StreamFile(tmp_path / "e.jsonl") as sf:
        assert sf.size == 0 and sf.first_event() is None and sf.last_event() is None
        assert list(sf.forward(0, 0)) == [] and sf.first_at_or_after(5) == 0


def test_filter_patterns() -> None:
    assert compile_pattern("")("anything")
    assert compile_pattern('ERROR "disk full"')("ERROR: disk full on /opt")
    assert not compile_pattern('ERROR "disk full"')("ERROR disk is full")
    assert not compile_pattern("error")("ERROR")  # terms are case-sensitive, as on AWS
    either = compile_pattern("?WARN ?ERROR -retry")
    assert either("WARN x") and either("ERROR y") and not either("INFO") and not either("ERROR retry")
    for bad in ("{ $.level = 1 }", "[ip, user]", "%ab+c%", '"unclosed'):
        with pytest.raises(PatternError):
            compile_pattern(bad)

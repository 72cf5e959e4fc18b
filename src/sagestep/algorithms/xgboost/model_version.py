"""Which XGBoost saved a model file, so an image's older XGBoost can say it may misread it.

XGBoost loads models saved by newer versions without complaint, but not always with the same
meaning: a model from XGBoost >= 3.1 keeps its estimated intercept (base_score) in a form the
1.7 and 3.0 images read as 0.5, so they predict other numbers. AWS's containers serve such a
model silently; the local server says so in the endpoint log. The version is the model's
top-level ``version`` array, in the JSON or the UBJSON (binary JSON) form XGBoost writes.
"""

from __future__ import annotations

import re
import struct

_INTS = {b"i": ">b", b"U": ">B", b"I": ">h", b"l": ">i", b"L": ">q"}  # UBJSON integer markers


def saved_version(raw: bytes) -> tuple[int, ...] | None:
    """(major, minor, patch) recorded in a JSON or UBJSON model, else None (pickles, old
    binary models, anything unexpected)."""
    found = re.search(rb'"version"\s*:\s*\[\s*(\d+)\s*,\s*(\d+)\s*,\s*(\d+)\s*\]', raw[-4096:])
    if found:
        return tuple(int(g) for g in found.groups())
    at = raw.rfind(b"\x07version[")
    if at < 0:
        return None
    try:
        return _ubj_ints(raw, at + len(b"\x07version["))
    except (struct.error, KeyError, IndexError, ValueError):
        return None


def _ubj_ints(raw: bytes, pos: int) -> tuple[int, ...] | None:
    """The integers of a UBJSON array starting at ``pos`` (after its '[')."""
    typed = None
    if raw[pos:pos + 1] == b"$":  # one element type for the whole array
        typed, pos = raw[pos + 1:pos + 2], pos + 2
    count = None
    if raw[pos:pos + 1] == b"#":
        count, pos = _int(raw, raw[pos + 1:pos + 2], pos + 2)
    values: list[int] = []
    while count is None or len(values) < count:
        marker = typed
        if marker is None:
            marker, pos = raw[pos:pos + 1], pos + 1
            if marker == b"]":
                break
        value, pos = _int(raw, marker, pos)
        values.append(value)
        if len(values) > 8:
            return None
    return tuple(values) if len(values) == 3 else None


def _int(raw: bytes, marker: bytes, pos: int) -> tuple[int, int]:
    fmt = _INTS[marker]
    size = struct.calcsize(fmt)
    return int(struct.unpack(fmt, raw[pos:pos + size])[0]), pos + size


def newer_model_note(name: str, raw: bytes, runtime: str) -> str | None:
    """A warning when ``raw`` was saved by a newer XGBoost (major.minor) than ``runtime``."""
    saved = saved_version(raw)
    ours = tuple(int(p) for p in re.findall(r"\d+", runtime)[:3])
    if saved is None or len(ours) < 2 or saved[:2] <= ours[:2]:
        return None
    text = ".".join(map(str, saved))
    return (f"warning: {name} was saved by XGBoost {text}, newer than this image's XGBoost "
            f"{runtime}; it loads, but may predict other numbers (XGBoost >= 3.1 keeps its "
            "estimated base_score where older versions read 0.5). Serve it on an image tag "
            f"whose XGBoost is {saved[0]}.{saved[1]} or newer, or train it with the image's tag.")

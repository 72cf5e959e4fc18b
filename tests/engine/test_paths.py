"""JSONPath evaluation (Jayway semantics) and ResultPath writes."""

from __future__ import annotations

from typing import Any

import pytest

from sagestep.engine.paths import PathMissing, put, select

DATA: dict[str, Any] = {
    "users": [{"year": 1997, "status": 0, "tag": "a"}, {"year": 1998, "status": 1}],
    "a": {"b": [1, 2, 3]},
}


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("$", DATA),
        ("$.a.b[1]", 2),
        ("$.a.b[-1]", 3),
        ("$.a.b[1:]", [2, 3]),
        ("$.a.b[:1]", [1]),
        ("$.a.b[::2]", [1, 3]),
        ("$.a.b[0,2]", [1, 3]),
        ("$.users[*].year", [1997, 1998]),
        ("$..year", [1997, 1998]),
        ("$.users[?(@.status == 0)]", [DATA["users"][0]]),
        ("$.users[?(@.year > 1997 || @.tag == 'a')].year", [1997, 1998]),
        ("$.users[?(@.tag)].year", [1997]),
        ("$.users[?(!(@.status == 0))].year", [1998]),
        ("$.missing[*]", []),
        ("$.a.b[5:9]", []),
    ],
)
def test_select(path: str, expected: object) -> None:
    assert select(path, DATA) == expected


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("$.x", "No results for path: $['x']"),
        ("$.x.y", "Missing property in path $['x']"),
        ("$.a.c", "No results for path: $['a']['c']"),
        ("$.a.b[7]", "No results for path: $['a']['b'][7]"),
    ],
)
def test_missing_definite_paths_use_jayway_messages(path: str, message: str) -> None:
    with pytest.raises(PathMissing) as info:
        select(path, DATA)
    assert info.value.detail == message


def test_put_creates_objects_and_copies() -> None:
    original = {"a": {"b": 1}}
    assert put(original, "$.a.c.d", 5) == {"a": {"b": 1, "c": {"d": 5}}}
    assert original == {"a": {"b": 1}}
    assert put(original, "$", 7) == 7
    assert put({"l": [0, 1]}, "$.l[1]", "x") == {"l": [0, "x"]}
    assert put({"a": 1}, "$.a.b", 2) == {"a": {"b": 2}}


def test_put_into_a_non_object_fails() -> None:
    with pytest.raises(ValueError):
        put([1, 2], "$.a", 1)

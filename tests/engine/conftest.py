"""Engine tests check that every changed thread is marked for writing (thread_store.VERIFY)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from sagestep.engine import thread_store


@pytest.fixture(autouse=True)
def _verify_thread_rows() -> Iterator[None]:
    thread_store.VERIFY = True
    yield
    thread_store.VERIFY = False

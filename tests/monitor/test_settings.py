"""Job settings: environment overlaid by arguments, times and Model Monitor's offsets."""

from datetime import UTC, datetime

import pytest

from sagestep.errors import MonitorError
from sagestep.monitor.job import Settings


def test_arguments_override_the_environment():
    s = Settings({"dataset_format": '{"json": {}}', "chunk_rows": "5"}, ["--chunk-rows", "7"])
    assert s.get("chunk_rows") == "7" and s.get("dataset_format") == '{"json": {}}'
    with pytest.raises(MonitorError, match="--name value pairs"):
        Settings({}, ["--x"])


def test_times_and_offsets():
    s = Settings({"end_time": "2026-01-02T04:00:00Z", "start_time": "-PT1H30M"}, [])
    assert s.when("end_time") == datetime(2026, 1, 2, 4, tzinfo=UTC)
    assert s.when("start_time") == datetime(2026, 1, 2, 2, 30, tzinfo=UTC)
    assert Settings({"start_time": "-P1D", "end_time": "2026-01-02T00:00:00"}, []).when(
        "start_time") == datetime(2026, 1, 1, tzinfo=UTC)
    with pytest.raises(MonitorError, match="not an ISO-8601 duration"):
        Settings({"start_time": "-P1W"}, []).when("start_time")
    with pytest.raises(MonitorError, match="not an ISO-8601 time"):
        Settings({"end_time": "yesterday"}, []).when("end_time")

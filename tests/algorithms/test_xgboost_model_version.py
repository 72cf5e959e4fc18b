"""A model saved by a newer XGBoost than the image's says so in the server's log."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pytest
import xgboost as xgb

from sagestep.algorithms.xgboost import serve
from sagestep.algorithms.xgboost.model_version import newer_model_note, saved_version

HOST = tuple(int(p) for p in xgb.__version__.split(".")[:3])


@pytest.fixture(scope="module")
def booster() -> xgb.Booster:
    x = np.random.default_rng(0).normal(size=(200, 4))
    return xgb.train({"max_depth": 2}, xgb.DMatrix(x, label=x[:, 0]), 3)


def test_the_saving_version_is_read_from_ubjson_and_json(booster: xgb.Booster) -> None:
    assert saved_version(bytes(booster.save_raw("ubj"))) == HOST
    assert saved_version(bytes(booster.save_raw("json"))) == HOST
    # the typed-array UBJSON form ([$i#i<count> then bare values)
    assert saved_version(b"{...\x07version[$i#i\x03\x01\x07\x04}") == (1, 7, 4)
    assert saved_version(b"{...\x07version[i\x01i\x07i\x04]}") == (1, 7, 4)
    assert saved_version(pickle.dumps({"a": 1})) is None
    assert saved_version(b"\x07version[$i#i\x03\x01") is None  # truncated: no guess


def test_an_older_runtime_warns_an_equal_or_newer_one_does_not(booster: xgb.Booster) -> None:
    raw = bytes(booster.save_raw("ubj"))
    note = newer_model_note("xgboost-model", raw, "1.7.4")
    assert note is not None and f"XGBoost {'.'.join(map(str, HOST))}" in note and "1.7.4" in note
    assert newer_model_note("xgboost-model", raw, xgb.__version__) is None
    assert newer_model_note("xgboost-model", raw, f"{HOST[0]}.{HOST[1] + 1}.0") is None


def test_the_server_logs_the_warning_when_it_loads_the_model(
    booster: xgb.Booster, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    (tmp_path / "xgboost-model").write_bytes(bytes(booster.save_raw("ubj")))
    monkeypatch.setattr(xgb, "__version__", "1.7.4")  # what the 1.7-1 image's environment runs
    assert len(serve.load_boosters(tmp_path)) == 1
    assert "newer than this image's XGBoost 1.7.4" in capsys.readouterr().err

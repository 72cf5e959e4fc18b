"""`sagestep images list|prepare`: supported versions, environments built once, clear errors."""

from __future__ import annotations

import pytest

from sagestep.sagemaker import image_catalog, pyenvs


def test_list_shows_every_version_and_its_libraries(cli) -> None:
    code, out, _ = cli("images", "list")
    assert code == 0
    for version in image_catalog.VERSIONS:
        assert f"{version.framework}:{version.tag}" in out
    assert "1.2.1" in out and "SAGESTEP_PYTHON=host" in out


@pytest.mark.slow
def test_prepare_builds_once_then_reports_ready(cli) -> None:
    version = image_catalog.find("sklearn", "1.2-1")
    assert version is not None
    cli("images", "prepare", "sklearn:1.2-1")  # builds on a fresh machine (user cache)
    assert pyenvs.is_built(version)
    code, out, _ = cli("images", "prepare", "sagemaker-scikit-learn:1.2-1-cpu-py3")
    assert code == 0
    assert f"sklearn:1.2-1: ready at {pyenvs.env_dir(version)}" in out


def test_unknown_image_is_a_clear_error(cli) -> None:
    code, _, err = cli("images", "prepare", "sklearn:9.9-9")
    assert code == 1
    assert "unknown image 'sklearn:9.9-9'; known: sklearn:0.23-1" in err

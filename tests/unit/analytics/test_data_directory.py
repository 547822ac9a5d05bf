"""Where a worker's faust data directory goes: not into the directory it was started from (faust's
default, ``<app id>-data`` there), which left one in the repository after every local run and is
not writable in the Helm chart's containers (read-only root filesystem, /tmp an emptyDir)."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from notify_analytics.settings import AnalyticsSettings
from notify_analytics.worker import build_app


def test_the_data_directory_is_made_where_the_settings_say_and_nothing_in_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    started_in = tmp_path / "cwd"
    started_in.mkdir()
    monkeypatch.chdir(started_in)
    app, _ = build_app(AnalyticsSettings(analytics_data_dir=tmp_path / "data"))
    app._create_directories()  # what faust does when the worker first starts
    assert list(started_in.iterdir()) == []
    assert (tmp_path / "data").is_dir()


def test_by_default_the_data_directory_is_under_the_temporary_directory() -> None:
    assert AnalyticsSettings().analytics_data_dir.is_relative_to(tempfile.gettempdir())

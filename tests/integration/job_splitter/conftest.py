"""Fixtures for the CSV jobs tests: the job CSV bucket in moto."""

from __future__ import annotations

import uuid

import pytest

from notify_common.jobs.files import JobFiles
from notify_common.settings import CommonSettings

BUCKET = f"notify-jobs-test-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def files(settings: CommonSettings, monkeypatch: pytest.MonkeyPatch) -> JobFiles:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")  # moto takes any credentials
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    return JobFiles(settings, BUCKET)

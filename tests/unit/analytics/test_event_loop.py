"""The event loops a worker runs on: uvloop's, for its own loop and for the one faust's consumer
thread makes for itself (faust would otherwise run both on asyncio's)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest
import uvloop

from notify_analytics import __main__ as entry


@pytest.fixture
def policy_restored() -> Iterator[None]:
    before = asyncio.get_event_loop_policy()
    yield
    asyncio.set_event_loop_policy(before)


class FakeWorker:
    """Stands in for faust's ``Worker``: notes the loops the worker would run on instead of running."""

    loops: ClassVar[list[type[asyncio.AbstractEventLoop]]] = []

    def __init__(self, app: Any, **options: Any) -> None:
        self.app = app

    def execute_from_commandline(self) -> None:
        own = asyncio.new_event_loop()  # what the worker's loop and faust's consumer thread get
        FakeWorker.loops.append(type(own))
        own.close()


def test_the_worker_and_its_consumer_thread_run_on_uvloop(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, policy_restored: None
) -> None:
    monkeypatch.setenv("NOTIFY_KAFKA_PROVISION_TOPICS", "false")
    monkeypatch.setenv("NOTIFY_ANALYTICS_DATA_DIR", str(tmp_path))
    monkeypatch.setattr(entry, "Worker", FakeWorker)
    monkeypatch.setattr(entry, "tune_garbage_collector", lambda: None)
    monkeypatch.setattr(entry, "configure_logging", lambda *_: None)  # the test process's logging stays
    FakeWorker.loops = []
    assert entry.main() == 0
    assert FakeWorker.loops == [uvloop.Loop]

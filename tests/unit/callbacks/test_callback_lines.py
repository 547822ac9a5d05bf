"""The "callback attempted" lines, a batch's written at once: the same JSON lines ``Logger.info``
writes, one per attempt and in order, in one write to a plain stream handler; other handlers and
filters see every record as before."""

from __future__ import annotations

import io
import logging
import uuid
from collections.abc import Iterator

import orjson
import pytest

from notify_callbacks.handler import CallbackHandler
from notify_callbacks.lines import info_each
from notify_common.logs import JsonFormatter
from tests.unit.callbacks.support import DESTINATION, WITH, Loaded
from tests.unit.callbacks.test_callback_decisions import FakeStore, delivered, handler_with, received


class Writes(io.StringIO):
    """A stream counting the writes made to it."""

    def __init__(self) -> None:
        super().__init__()
        self.writes = 0

    def write(self, text: str) -> int:
        self.writes += 1
        return super().write(text)


class Kept(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def logger() -> Iterator[logging.Logger]:
    """A logger of its own, not propagating, for one test."""
    named = logging.getLogger(f"test.lines.{uuid.uuid4().hex}")
    named.propagate = False
    named.setLevel(logging.INFO)
    yield named
    named.handlers.clear()


def extras(count: int) -> list[dict[str, object]]:
    return [
        {"notification_id": str(uuid.uuid4()), "attempt": i, "outcome": "succeeded", "status_code": 200}
        for i in range(count)
    ]


def lines(text: str) -> list[dict[str, object]]:
    docs = [orjson.loads(line) for line in text.splitlines()]
    for doc in docs:
        doc.pop("ts")  # the time each line was made
    return docs


def test_the_lines_are_those_logger_info_writes_in_order_in_one_write(logger: logging.Logger) -> None:
    each, batched = Writes(), Writes()
    handler = logging.StreamHandler(each)
    handler.setFormatter(JsonFormatter("callbacks"))
    logger.addHandler(handler)
    fields = extras(50)
    for extra in fields:
        logger.info("callback attempted", extra=extra)
    handler.setStream(batched)
    info_each(logger, "callback attempted", fields)
    assert lines(batched.getvalue()) == lines(each.getvalue())
    assert [doc["notification_id"] for doc in lines(batched.getvalue())] == [
        extra["notification_id"] for extra in fields
    ]
    assert (each.writes, batched.writes) == (50, 1)  # before: a write (and a flush) a line


def test_other_handlers_filters_and_levels_see_each_record_as_before(logger: logging.Logger) -> None:
    kept, stream = Kept(), Writes()
    logger.addHandler(kept)
    quiet = logging.StreamHandler(stream)
    quiet.setLevel(logging.WARNING)
    logger.addHandler(quiet)
    fields = extras(6)
    logger.addFilter(lambda record: getattr(record, "attempt", 0) % 2 == 0)
    info_each(logger, "callback attempted", fields)
    assert [record.getMessage() for record in kept.records] == ["callback attempted"] * 3
    assert [getattr(record, "attempt", None) for record in kept.records] == [0, 2, 4]
    assert all(record.levelno == logging.INFO for record in kept.records)
    assert stream.writes == 0  # above INFO: nothing written
    logger.setLevel(logging.WARNING)
    info_each(logger, "callback attempted", fields)
    assert len(kept.records) == 3


async def test_every_attempt_of_a_batch_is_logged_with_its_notification(
    caplog: pytest.LogCaptureFixture,
) -> None:
    handler, client = await handler_with(FakeStore(), Loaded({(WITH, "delivery_status"): DESTINATION}))
    assert isinstance(handler, CallbackHandler)
    events = [delivered(WITH) for _ in range(3)]
    with caplog.at_level(logging.INFO, logger="notify_callbacks.handler"):
        await handler.handle([received(e) for e in events])
    attempted = [r for r in caplog.records if r.getMessage() == "callback attempted"]
    assert sorted(str(getattr(r, "notification_id", None)) for r in attempted) == sorted(
        str(e.notification_id) for e in events
    )
    assert {(getattr(r, "outcome", None), getattr(r, "status_code", None)) for r in attempted} == {
        ("succeeded", 200)
    }
    assert len(client.posted) == 3

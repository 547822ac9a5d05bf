"""The sms-sender's two lanes: the priority lane's fetch waits for the configured batch of
requests, at most 100 ms; the bulk lane's for 64 KiB or 500 ms, and it yields to the priority lane."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from notify_common import topics
from notify_common.kafka import Handler, Received
from notify_sms_sender.__main__ import lanes
from notify_sms_sender.sending import SmsSender
from notify_sms_sender.settings import SmsSenderSettings


class _Sender:
    def __init__(self) -> None:
        self.slots: list[int] = []

    def lane(self, concurrency: int) -> Handler:
        self.slots.append(concurrency)

        async def handle(batch: Sequence[Received]) -> None:
            return None

        return handle


def test_each_lane_fetches_as_configured_with_call_slots_of_its_own() -> None:
    sender = _Sender()
    settings = SmsSenderSettings(sms_fetch_min_bytes=12_345, sms_concurrency=7, sms_bulk_concurrency=3)
    priority, bulk = lanes(settings, cast(SmsSender, cast(Any, sender)))
    assert (priority.name, list(priority.topics)) == (
        "priority",
        [topics.SMS_REQUESTED, topics.retry_topic(topics.GROUP_SMS_SENDER)],
    )
    assert (priority.fetch_min_bytes, priority.fetch_max_wait_ms) == (12_345, 100)
    assert (bulk.name, bulk.yields_to, bulk.fetch_min_bytes, bulk.fetch_max_wait_ms) == (
        "bulk",
        "priority",
        65_536,
        500,
    )
    assert sender.slots == [7, 3]

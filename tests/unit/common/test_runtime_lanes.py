"""The consumer runtime runs an app that reads in lanes as one lane consumer per lane, in the
order declared, the ones that yield taking no records while the lane they yield to is busy; an
app without lanes gets the one batch consumer."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from notify_common import topics
from notify_common.kafka import BatchConsumer, EventProducer, Received
from notify_common.lane_consumer import LaneConsumer
from notify_common.runtime import ConsumerApp, Lane, consumers
from notify_common.settings import CommonSettings


async def handle(batch: Sequence[Received]) -> None:
    return None


def lanes() -> list[Lane]:
    return [
        Lane(
            "priority",
            [topics.SMS_REQUESTED, topics.retry_topic(topics.GROUP_SMS_SENDER)],
            handle,
            max_in_flight=4,
        ),
        Lane("bulk", [topics.SMS_REQUESTED_BULK], handle, max_in_flight=4, yields_to="priority"),
    ]


async def test_an_app_with_lanes_runs_one_lane_consumer_per_lane_and_bulk_yields_while_priority_is_busy() -> (
    None
):
    settings = CommonSettings()
    app = ConsumerApp(group=topics.GROUP_SMS_SENDER, lanes=lanes())
    priority, bulk = consumers(settings, app, EventProducer(settings, client_id="unit"))
    assert isinstance(priority, LaneConsumer)
    assert isinstance(bulk, LaneConsumer)
    assert (priority.name, bulk.name) == ("priority", "bulk")
    assert not priority.busy
    priority.in_flight = 2  # half its window
    assert priority.busy
    assert bulk.yields_now
    priority.in_flight = 1
    assert not bulk.yields_now


async def test_an_app_without_lanes_runs_one_batch_consumer() -> None:
    settings = CommonSettings()
    app = ConsumerApp(group=topics.GROUP_EMAIL_SENDER, topics=[topics.EMAIL_REQUESTED], handler=handle)
    [consumer] = consumers(settings, app, EventProducer(settings, client_id="unit"))
    assert isinstance(consumer, BatchConsumer)


async def test_a_lane_yielding_to_a_lane_declared_after_it_is_refused() -> None:
    settings = CommonSettings()
    app = ConsumerApp(group=topics.GROUP_SMS_SENDER, lanes=list(reversed(lanes())))
    with pytest.raises(ValueError, match="yields to priority"):
        consumers(settings, app, EventProducer(settings, client_id="unit"))


async def test_an_app_with_neither_a_handler_nor_lanes_is_refused() -> None:
    settings = CommonSettings()
    with pytest.raises(ValueError, match="neither a handler nor lanes"):
        consumers(
            settings, ConsumerApp(group=topics.GROUP_EMAIL_SENDER), EventProducer(settings, client_id="unit")
        )


async def test_the_fetch_sizes_and_waits_of_an_app_and_of_its_lanes_are_asked_of_the_broker() -> None:
    settings = CommonSettings()
    producer = EventProducer(settings, client_id="unit")
    batch = ConsumerApp(
        group=topics.GROUP_PROJECTOR,
        topics=[topics.NOTIFICATION_STATUS],
        handler=handle,
        fetch_min_bytes=65536,
        fetch_max_wait_ms=250,
    )
    [consumer] = consumers(settings, batch, producer)
    laned = ConsumerApp(
        group=topics.GROUP_SMS_SENDER,
        lanes=[
            Lane("priority", [topics.SMS_REQUESTED], handle, fetch_min_bytes=16384, fetch_max_wait_ms=100),
            Lane("bulk", [topics.SMS_REQUESTED_BULK], handle, fetch_min_bytes=65536, fetch_max_wait_ms=500),
        ],
    )
    priority, bulk = consumers(settings, laned, producer)
    asked = [
        (c._consumer._fetch_min_bytes, c._consumer._fetch_max_wait_ms) for c in (consumer, priority, bulk)
    ]
    assert asked == [(65536, 250), (16384, 100), (65536, 500)]

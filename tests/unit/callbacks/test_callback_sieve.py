"""The callbacks consumer's sieve: a record that cannot owe a callback (its type never calls for one,
or its service has none it may call for) is passed over from its header and envelope alone,
before its body is decoded; anything else, or anything while the configuration is not fresh, is
decoded and decided by the handler as before."""

from __future__ import annotations

import asyncio
import itertools
import uuid
from collections.abc import Mapping, Sequence
from typing import Any, cast

import pytest
from aiokafka import ConsumerRecord, TopicPartition

from notify_callbacks import decide
from notify_callbacks.config import CallbackConfig
from notify_callbacks.delivery import Destination
from notify_callbacks.sieve import Sieve
from notify_common import codec, topics
from notify_common.events import (
    CallbackType,
    Channel,
    ComplaintReceived,
    Event,
    FailureKind,
    InboundSmsReceived,
    NotificationDelivered,
    NotificationFailed,
    NotificationPending,
    NotificationSentToProvider,
)
from notify_common.kafka import EventProducer, Received, RecordRouter, RetryPolicy, TopicNames
from notify_common.settings import CommonSettings
from tests.unit.callbacks.support import DESTINATION, NOW, WITH, WITHOUT, Config, Loaded


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def record(
    value: bytes, topic: str = topics.NOTIFICATION_STATUS, offset: int = 0
) -> ConsumerRecord[bytes, bytes]:
    return ConsumerRecord(topic, 0, offset, 0, 0, None, value, None, 0, len(value), ())


def delivered(service_id: str) -> NotificationDelivered:
    return NotificationDelivered(
        notification_id=str(uuid.uuid4()), service_id=service_id, provider="mmg", delivered_at=NOW,
        notification_type="sms", recipient="07700900123",
    )  # fmt: skip


async def loaded_sieve(
    destinations: Mapping[tuple[str, str], Destination], refresh_seconds: float = 2.0
) -> tuple[Sieve, CallbackConfig, Loaded, Clock]:
    loaded, clock = Loaded(destinations), Clock()
    config = CallbackConfig(loaded, refresh_seconds, clock=clock)
    await config.reload()
    return Sieve(config), config, loaded, clock


async def test_a_status_of_a_service_without_a_callback_is_passed_over_and_one_with_a_callback_is_not() -> (
    None
):
    sieve, *_ = await loaded_sieve({(WITH, "delivery_status"): DESTINATION})
    assert sieve(record(codec.encode(delivered(WITHOUT))))
    assert not sieve(record(codec.encode(delivered(WITH))))


async def test_a_record_passed_over_is_never_decoded_nor_handed_over_but_is_committed_past() -> None:
    sieve, *_ = await loaded_sieve({(WITH, "delivery_status"): DESTINATION})
    # The envelope intact, the rest of the body cut short: decoding it would fail (and dead-letter it).
    whole = codec.encode(delivered(WITHOUT))
    cut = whole[: len(whole) - 20]
    with pytest.raises((ValueError, EOFError)):
        codec.decode(cut)
    owed = codec.encode(delivered(WITH))
    handed: list[Sequence[Received]] = []

    async def handle(batch: Sequence[Received]) -> None:
        handed.append(batch)

    producer = EventProducer(CommonSettings(), client_id="unit")
    router = RecordRouter(
        TopicNames(""), group=topics.GROUP_CALLBACKS, handler=handle, producer=producer, retry=RetryPolicy(),
        skip=sieve,
    )  # fmt: skip
    partition = TopicPartition(topics.NOTIFICATION_STATUS, 0)
    ready, ends = await router.decode_batches(
        cast(Any, None), {partition: [record(cut, offset=7), record(owed, offset=8)]}
    )
    assert [item.event.service_id for item in ready] == [WITH]
    assert ends == {partition: 9}


@pytest.mark.parametrize(
    ("event", "kinds_that_let_it_through"),
    [
        (NotificationPending(notification_id="n", service_id=WITH, provider="mmg"), set()),
        (NotificationSentToProvider(notification_id="n", service_id=WITH, channel=Channel.SMS, provider="mmg",
                                    sent_at=NOW, international=True), {CallbackType.DELIVERY_STATUS}),
        (NotificationFailed(notification_id="n", service_id=WITH, failure_kind=FailureKind.RETURNED_LETTER,
                            failed_at=NOW), {CallbackType.RETURNED_LETTER, CallbackType.DELIVERY_STATUS}),
        (ComplaintReceived(notification_id="n", service_id=WITH, complaint_id="c", complained_at=NOW),
         {CallbackType.COMPLAINT}),
        (InboundSmsReceived(service_id=WITH, inbound_sms_id="i", user_number="1", notify_number="2",
                            content="x", provider="mmg", received_at=NOW), {CallbackType.INBOUND_SMS}),
    ],
)  # fmt: skip
async def test_an_event_passes_only_for_a_service_with_a_callback_of_a_kind_it_may_call_for(
    event: Event, kinds_that_let_it_through: set[CallbackType]
) -> None:
    for kind in CallbackType:
        sieve, *_ = await loaded_sieve({(WITH, str(kind)): DESTINATION})
        assert sieve(record(codec.encode(event))) == (kind not in kinds_that_let_it_through), kind


def test_no_event_that_calls_for_a_callback_is_one_the_sieve_may_pass_over() -> None:
    events: list[Event] = [
        NotificationPending(notification_id="n", service_id=WITH, provider="mmg"),
        NotificationSentToProvider(notification_id="n", service_id=WITH, channel=Channel.SMS, provider="mmg",
                                   sent_at=NOW, international=True),
        NotificationSentToProvider(notification_id="n", service_id=WITH, channel=Channel.EMAIL,
                                   provider="ses", sent_at=NOW),
        delivered(WITH),
        NotificationDelivered(notification_id="n", service_id=WITH, provider="dvla", delivered_at=NOW,
                              notification_type="letter"),
        *(NotificationFailed(notification_id="n", service_id=WITH, failure_kind=kind, failed_at=NOW)
          for kind in FailureKind),
        ComplaintReceived(notification_id="n", service_id=WITH, complaint_id="c", complained_at=NOW),
        InboundSmsReceived(service_id=WITH, inbound_sms_id="i", user_number="1", notify_number="2",
                           content="x", provider="mmg", received_at=NOW),
    ]  # fmt: skip
    kinds = list(CallbackType)
    for size in range(len(kinds) + 1):
        for chosen in itertools.combinations(kinds, size):
            configured = Config(*((WITH, kind) for kind in chosen))
            for event in events:
                if decide.wanted(event, configured) is not None:
                    assert decide.may_want(type(event), WITH, configured), (event, chosen)


async def test_nothing_is_passed_over_before_the_configuration_is_loaded_or_once_it_is_stale() -> None:
    loaded, clock = Loaded({(WITH, "delivery_status"): DESTINATION}), Clock()
    config = CallbackConfig(loaded, 2.0, clock=clock)
    sieve = Sieve(config)
    status = record(codec.encode(delivered(WITHOUT)))
    assert not sieve(status)
    await config.reload()
    assert sieve(status)
    clock.now += 2.0
    assert not sieve(status)


async def test_a_callback_configured_after_the_last_load_lets_its_statuses_through_after_the_next() -> None:
    sieve, config, loaded, clock = await loaded_sieve({(WITH, "delivery_status"): DESTINATION})
    status = record(codec.encode(delivered(WITHOUT)))
    assert sieve(status)
    loaded.destinations[(WITHOUT, "delivery_status")] = DESTINATION
    clock.now += 1.0
    await config.reload()
    assert not sieve(status)


async def test_with_a_refresh_interval_of_zero_nothing_is_passed_over() -> None:
    sieve, *_ = await loaded_sieve({(WITH, "delivery_status"): DESTINATION}, refresh_seconds=0)
    assert not sieve(record(codec.encode(delivered(WITHOUT))))


async def test_an_undecodable_record_is_left_to_the_decoder() -> None:
    sieve, *_ = await loaded_sieve({(WITH, "delivery_status"): DESTINATION})
    assert not sieve(record(b"not avro at all"))
    header = codec.encode(delivered(WITHOUT))[: codec.HEADER_LENGTH]
    assert not sieve(record(header + b"\xff"))


async def test_the_configuration_is_kept_fresh_in_the_background_through_failed_loads() -> None:
    loaded = Loaded({(WITH, "delivery_status"): DESTINATION})
    loaded.failing = True
    config = CallbackConfig(loaded, refresh_seconds=0.02)
    task = asyncio.create_task(config.keep_fresh())
    try:
        while loaded.loads < 3:
            await asyncio.sleep(0.01)
        assert not config.fresh  # never loaded: nothing is passed over
        loaded.failing = False
        while not config.fresh:
            await asyncio.sleep(0.01)
        assert config.has(WITH, CallbackType.DELIVERY_STATUS)
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task


def sent(
    service_id: str, *, international: bool, channel: Channel = Channel.SMS
) -> NotificationSentToProvider:
    return NotificationSentToProvider(
        notification_id=str(uuid.uuid4()), service_id=service_id, channel=channel, provider="mmg",
        sent_at=NOW, international=international, notification_type=str(channel), recipient="07700900123",
    )  # fmt: skip


async def test_a_sent_status_that_is_not_an_international_text_is_passed_over_even_for_a_service_with_callbacks() -> (
    None
):
    sieve, config, *_ = await loaded_sieve({(WITH, "delivery_status"): DESTINATION})
    for event in (sent(WITH, international=False), sent(WITH, international=False, channel=Channel.EMAIL)):
        assert decide.wanted(event, config) is None
        assert sieve(record(codec.encode(event))), event
    international = sent(WITH, international=True)
    assert decide.wanted(international, config) is not None
    assert not sieve(record(codec.encode(international)))


async def test_every_encoded_event_that_calls_for_a_callback_is_let_through() -> None:
    events: list[Event] = [
        sent(WITH, international=True), sent(WITH, international=False),
        sent(WITH, international=True, channel=Channel.EMAIL), delivered(WITH),
        *(NotificationFailed(notification_id="n", service_id=WITH, failure_kind=kind, failed_at=NOW,
                             notification_type=channel)
          for kind in FailureKind for channel in ("sms", "email", "letter")),
        ComplaintReceived(notification_id="n", service_id=WITH, complaint_id="c", complained_at=NOW,
                          notification_type="email"),
        InboundSmsReceived(service_id=WITH, inbound_sms_id="i", user_number="1", notify_number="2",
                           content="x", provider="mmg", received_at=NOW),
    ]  # fmt: skip
    for kind in CallbackType:
        sieve, config, *_ = await loaded_sieve({(WITH, str(kind)): DESTINATION})
        for event in events:
            if decide.wanted(event, config) is not None:
                assert not sieve(record(codec.encode(event))), (kind, event)


async def test_a_sent_status_whose_international_flag_cannot_be_read_is_left_to_the_decoder() -> None:
    sieve, *_ = await loaded_sieve({(WITH, "delivery_status"): DESTINATION})
    whole = codec.encode(sent(WITH, international=False))
    assert not sieve(record(whole[: codec.HEADER_LENGTH + 80]))

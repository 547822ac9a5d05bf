"""The receipts service's memory of the send events its consumer learnt most recently: what a
receipt is about without a database read, bounded in size, and waking receipts that overtook their
send event as soon as it is learnt."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, cast

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from notify_common import topics
from notify_common.events import Channel, NotificationSentToProvider
from notify_common.kafka import EventProducer, Received
from notify_receipts import unchecked
from notify_receipts.lookups import Lookups
from notify_receipts.recent import RecentSends


def sent(
    provider: str = "mmg", nid: str | None = None, reference: str | None = None
) -> NotificationSentToProvider:
    nid = nid or str(uuid.uuid4())
    return NotificationSentToProvider(
        notification_id=nid, service_id=str(uuid.uuid4()), channel=Channel.SMS, provider=provider,
        provider_reference=reference or nid, sent_at=datetime.now(UTC), notification_type="sms",
        client_reference="ref", recipient="447700900123", template_id=str(uuid.uuid4()), template_version=3,
        created_at=datetime.now(UTC), job_row_number=7,
    )  # fmt: skip


def ident(event: NotificationSentToProvider) -> str:
    assert event.notification_id is not None
    return event.notification_id


def test_a_learnt_send_is_known_through_its_provider_with_its_service_and_details() -> None:
    recent = RecentSends(capacity=10)
    event = sent("mmg")
    recent.learnt([event])
    known = recent.known([ident(event)], "mmg")[ident(event)]
    assert (known.service_id, known.provider, known.provider_reference) == (
        event.service_id, "mmg", ident(event),
    )  # fmt: skip
    assert known.sent_at == event.sent_at
    assert known.facts == {
        "notification_type": "sms", "client_reference": "ref", "recipient": "447700900123",
        "template_id": event.template_id, "template_version": 3, "created_at": event.created_at,
        "job_row_number": 7,
    }  # fmt: skip
    assert recent.known([ident(event)], "firetext") == {}
    assert recent.known([str(uuid.uuid4())], "mmg") == {}


def test_the_latest_send_of_a_notification_wins() -> None:
    recent = RecentSends(capacity=10)
    first = sent("mmg")
    recent.learnt([first, sent("firetext", nid=ident(first))])
    assert recent.known([ident(first)], "mmg") == {}
    assert recent.known([ident(first)], "firetext") != {}


def test_a_send_is_found_by_its_provider_reference() -> None:
    recent = RecentSends(capacity=10)
    event = sent("ses", reference="0102018f-ses-id")
    recent.learnt([event])
    found = recent.by_reference("0102018f-ses-id")
    assert found is not None
    assert found.notification_id == ident(event)
    assert recent.by_reference("another") is None


def test_only_the_most_recent_sends_are_kept() -> None:
    recent = RecentSends(capacity=3)
    events = [sent("ses", reference=f"ref-{n}") for n in range(5)]
    recent.learnt(events[:2])
    recent.learnt(events[2:])
    ids = [ident(e) for e in events]
    assert set(recent.known(ids, "ses")) == set(ids[2:])
    assert recent.by_reference("ref-0") is None
    assert recent.by_reference("ref-4") is not None
    assert len(recent) == 3


async def test_a_receipt_waiting_for_its_send_event_is_woken_when_it_is_learnt() -> None:
    recent = RecentSends(capacity=10)
    event, other = sent("mmg"), sent("mmg")
    waiting = asyncio.create_task(recent.wait([ident(event)], "mmg", seconds=30.0))
    await asyncio.sleep(0.01)
    recent.learnt([other])
    await asyncio.sleep(0.01)
    assert not waiting.done()
    recent.learnt([event])
    found = await asyncio.wait_for(waiting, timeout=5.0)
    assert list(found) == [ident(event)]


async def test_a_wait_ends_with_what_was_learnt_when_its_time_is_up() -> None:
    recent = RecentSends(capacity=10)
    learnt, never = sent("mmg"), sent("mmg")
    recent.learnt([learnt])
    found = await recent.wait([ident(learnt), ident(never)], "mmg", seconds=0.05)
    assert list(found) == [ident(learnt)]


async def test_the_consumer_knows_a_send_in_memory_while_it_writes_it_to_the_table(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    recent = RecentSends(capacity=10)
    event = sent("mmg")
    known_while_written: list[bool] = []

    async def record_sent(engine: Any, events: Sequence[NotificationSentToProvider]) -> None:
        known_while_written.append(bool(recent.known([ident(event)], "mmg")))

    monkeypatch.setattr(unchecked, "record_sent", record_sent)

    async def forget_old(engine: Any) -> int:
        return 0

    monkeypatch.setattr(unchecked, "forget_old", forget_old)
    handler = unchecked.UncheckedHandler(
        cast(AsyncEngine, None), cast(Lookups, None), cast(EventProducer, None), recent=recent
    )
    await handler.handle(
        [Received(topic=topics.NOTIFICATION_STATUS, partition=0, offset=0, key=None, event=event)]
    )
    assert known_while_written == [True]

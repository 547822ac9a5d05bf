"""The callbacks service's decisions with fakes: which events may call for a callback, that an
event for a service without that callback costs no I/O, that the callback body comes from the event
alone with the ledger read and written once per batch, the cached configuration, the Standard
Webhooks headers with and without a secret, and the bound on calls to one receiver."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

import pytest

from notify_callbacks import decide, signing
from notify_callbacks.config import CallbackConfig
from notify_callbacks.delivery import AttemptResult, CallbackClient, Destination
from notify_callbacks.handler import CallbackHandler
from notify_callbacks.settings import CallbacksSettings
from notify_callbacks.store import Entry, Ledger
from notify_common.errors import RetryableError
from notify_common.events import (
    CallbackAttempted,
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
    SmsRequested,
    facts_of,
)
from notify_common.kafka import Received
from tests.unit.callbacks.support import DESTINATION, NOW, WITH, WITHOUT, Config, Loaded

TEMPLATE = str(uuid.uuid4())


def details(service_id: str, nid: str) -> dict[str, Any]:
    """What a sender copies from the request onto the notification's status events."""
    request = SmsRequested(
        notification_id=nid, service_id=service_id, template_id=TEMPLATE, template_version=2,
        key_type="normal", client_reference="ref", phone_number="447700900123",
        phone_number_as_sent="07700 900123", international=False, sender="GOVUK", body="hi",
        fragment_count=1, created_at=NOW,
    )  # fmt: skip
    return facts_of(request) | {"notification_sent_at": NOW}


def delivered(service_id: str, nid: str | None = None) -> NotificationDelivered:
    nid = nid or str(uuid.uuid4())
    return NotificationDelivered(
        notification_id=nid, service_id=service_id, provider="mmg", delivered_at=NOW,
        **details(service_id, nid),
    )  # fmt: skip


def received(event: Event, attempt: int = 0) -> Received:
    key = (event.notification_id or event.event_id).encode()
    return Received(topic="t", partition=0, offset=0, key=key, event=event, attempt=attempt)


class FakeStore:
    """The ledger, counting the statements the handler would run."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.ledger: dict[str, Ledger] = {}
        self.recorded: list[tuple[str, str]] = []
        self.entries: list[Entry] = []

    async def ledgers(self, keys: Sequence[str]) -> dict[str, Ledger]:
        self.calls.append("ledgers")
        return {key: self.ledger[key] for key in keys if key in self.ledger}

    async def record(self, entries: Sequence[Entry]) -> None:
        self.calls.append("record")
        for e in entries:
            self.ledger[e.key] = Ledger(e.attempts, e.kafka_attempt, e.outcome)
            self.recorded.append((e.key, e.outcome))
            self.entries.append(e)


class FakeClient:
    def __init__(self, status: int = 200) -> None:
        self.posted: list[tuple[Destination, str]] = []
        self.bodies: list[dict[str, Any]] = []
        self.status = status

    async def post(self, destination: Destination, message_id: str, payload: dict[str, Any]) -> AttemptResult:
        self.posted.append((destination, message_id))
        self.bodies.append(payload)
        ok = self.status == 200
        return AttemptResult(ok, not ok, self.status, 17, None if ok else f"HTTP {self.status}")


class FakePublisher:
    def __init__(self) -> None:
        self.events: list[Event] = []

    async def publish_many(self, items: Iterable[tuple[str, Event]]) -> None:
        self.events.extend(event for _, event in items)


async def handler_with(store: FakeStore, loaded: Loaded) -> tuple[CallbackHandler, FakeClient]:
    client = FakeClient()
    config = CallbackConfig(loaded, refresh_seconds=60)
    return CallbackHandler(store, config, client, FakePublisher()), client


def test_a_final_status_for_a_service_without_a_delivery_status_callback_calls_for_nothing() -> None:
    configured = Config((WITH, CallbackType.DELIVERY_STATUS), (WITHOUT, CallbackType.INBOUND_SMS))
    assert decide.wanted(delivered(WITHOUT), configured) is None
    assert decide.wanted(delivered(WITH), configured) == CallbackType.DELIVERY_STATUS


@pytest.mark.parametrize(
    ("event", "expected"),
    [
        (NotificationPending(notification_id="n", service_id=WITH, provider="mmg"), None),
        (NotificationFailed(notification_id="n", service_id=WITH, failure_kind=FailureKind.PERMANENT_FAILURE,
                            failed_at=NOW), CallbackType.DELIVERY_STATUS),
        (NotificationFailed(notification_id="n", service_id=WITH, failure_kind=FailureKind.RETURNED_LETTER,
                            failed_at=NOW), CallbackType.RETURNED_LETTER),
        (ComplaintReceived(notification_id="n", service_id=WITH, complaint_id="c", complained_at=NOW),
         CallbackType.COMPLAINT),
        (InboundSmsReceived(service_id=WITH, inbound_sms_id="i", user_number="1", notify_number="2",
                            content="x", provider="mmg", received_at=NOW), CallbackType.INBOUND_SMS),
        (NotificationSentToProvider(notification_id="n", service_id=WITH, channel=Channel.SMS, provider="mmg",
                                    sent_at=NOW, international=True), CallbackType.DELIVERY_STATUS),
        (NotificationSentToProvider(notification_id="n", service_id=WITH, channel=Channel.SMS, provider="mmg",
                                    sent_at=NOW), None),
        (NotificationDelivered(notification_id="n", service_id=WITH, provider="dvla", delivered_at=NOW,
                               notification_type="letter"), None),
    ],
)  # fmt: skip
def test_each_event_calls_for_its_kind_of_callback(event: Event, expected: CallbackType | None) -> None:
    every = Config(*((WITH, kind) for kind in CallbackType))
    assert decide.wanted(event, every) == expected


async def test_events_for_services_without_a_callback_cost_no_store_call_and_one_configuration_load() -> None:
    store, loaded = FakeStore(), Loaded({(WITH, "delivery_status"): DESTINATION})
    handler, client = await handler_with(store, loaded)
    for _ in range(3):
        await handler.handle([received(delivered(WITHOUT)) for _ in range(100)])
    assert store.calls == []
    assert client.posted == []
    assert loaded.loads == 1


async def test_the_callback_body_comes_from_the_event_with_one_ledger_read_and_one_write_per_batch() -> None:
    store = FakeStore()
    handler, client = await handler_with(store, Loaded({(WITH, "delivery_status"): DESTINATION}))
    events = [delivered(WITH) for _ in range(3)]
    await handler.handle([received(e) for e in events])
    assert store.calls == ["ledgers", "record"]
    assert sorted(body["id"] for body in client.bodies) == sorted(str(e.notification_id) for e in events)
    assert client.bodies[0] | {"id": "x"} == {
        "id": "x", "reference": "ref", "to": "07700 900123", "status": "delivered",
        "created_at": "2026-12-01T12:00:00.000000Z", "completed_at": "2026-12-01T12:00:00.000000Z",
        "sent_at": "2026-12-01T12:00:00.000000Z", "notification_type": "sms", "template_id": TEMPLATE,
        "template_version": 2,
    }  # fmt: skip


async def test_a_second_final_status_or_a_redelivered_one_owes_no_second_callback() -> None:
    nid = str(uuid.uuid4())
    store = FakeStore()
    handler, client = await handler_with(store, Loaded({(WITH, "delivery_status"): DESTINATION}))
    failed = NotificationFailed(
        notification_id=nid, service_id=WITH, failure_kind=FailureKind.TEMPORARY_FAILURE, failed_at=NOW,
        **details(WITH, nid),
    )  # fmt: skip
    await handler.handle([received(delivered(WITH, nid)), received(failed)])
    await handler.handle([received(delivered(WITH, nid))])
    assert [body["status"] for body in client.bodies] == ["delivered"]
    assert store.recorded == [(f"delivery_status:{nid}:final", "succeeded")]


async def test_a_failed_attempt_is_recorded_then_not_repeated_in_the_same_round_but_in_the_next() -> None:
    store = FakeStore()
    client = FakeClient(status=503)
    publisher = FakePublisher()
    config = CallbackConfig(Loaded({(WITH, "delivery_status"): DESTINATION}), refresh_seconds=60)
    handler = CallbackHandler(store, config, client, publisher)
    event = delivered(WITH)
    with pytest.raises(RetryableError):
        await handler.handle([received(event)])
    with pytest.raises(RetryableError):
        await handler.handle([received(event)])  # the consumer re-running the record alone
    assert len(client.posted) == 1
    client.status = 200
    await handler.handle([received(event, attempt=1)])  # back from the retry topic
    assert [(e.attempt, str(e.outcome)) for e in publisher.events if isinstance(e, CallbackAttempted)] == [
        (1, "retrying"), (2, "succeeded"),
    ]  # fmt: skip


async def test_a_first_attempt_that_succeeded_is_kept_in_the_ledger_with_its_status_and_duration_not_as_an_event() -> (
    None
):
    store = FakeStore()
    publisher = FakePublisher()
    config = CallbackConfig(Loaded({(WITH, "delivery_status"): DESTINATION}), refresh_seconds=60)
    handler = CallbackHandler(store, config, FakeClient(), publisher)
    nid = str(uuid.uuid4())
    await handler.handle([received(delivered(WITH, nid))])
    assert publisher.events == []
    assert [(e.key, e.attempts, e.outcome, e.status_code, e.duration_ms) for e in store.entries] == [
        (f"delivery_status:{nid}:final", 1, "succeeded", 200, 17),
    ]  # fmt: skip


async def test_every_attempt_of_a_callback_that_did_not_succeed_at_once_is_an_event_and_in_the_ledger() -> (
    None
):
    store = FakeStore()
    client = FakeClient(status=500)
    publisher = FakePublisher()
    config = CallbackConfig(Loaded({(WITH, "delivery_status"): DESTINATION}), refresh_seconds=60)
    handler = CallbackHandler(store, config, client, publisher, max_attempts=3)
    event = delivered(WITH)
    for round_ in range(2):
        with pytest.raises(RetryableError):
            await handler.handle([received(event, attempt=round_)])
    client.status = 404
    await handler.handle([received(event, attempt=2)])
    assert [(e.attempt, str(e.outcome), e.status_code, e.duration_ms) for e in publisher.events
            if isinstance(e, CallbackAttempted)] == [
        (1, "retrying", 500, 17), (2, "retrying", 500, 17), (3, "failed", 404, 17),
    ]  # fmt: skip
    assert [(e.attempts, e.outcome, e.status_code) for e in store.entries] == [
        (1, "retrying", 500), (2, "retrying", 500), (3, "failed", 404),
    ]  # fmt: skip


async def test_an_event_written_before_status_events_carried_the_details_owes_no_callback() -> None:
    store = FakeStore()
    handler, client = await handler_with(store, Loaded({(WITH, "delivery_status"): DESTINATION}))
    bare = NotificationDelivered(
        notification_id=str(uuid.uuid4()), service_id=WITH, provider="mmg", delivered_at=NOW
    )
    await handler.handle([received(bare)])
    assert client.posted == []
    assert store.calls == []


async def test_the_configuration_is_reloaded_once_per_interval_and_kept_when_a_reload_fails() -> None:
    clock = [0.0]
    loaded = Loaded({(WITH, "delivery_status"): DESTINATION})
    config = CallbackConfig(loaded, refresh_seconds=2.0, clock=lambda: clock[0])
    await config.refresh_if_due()
    clock[0] = 1.9
    await config.refresh_if_due()
    assert loaded.loads == 1
    loaded.destinations = {}
    loaded.failing = True
    clock[0] = 2.0
    await config.refresh_if_due()
    assert config.destination(WITH, CallbackType.DELIVERY_STATUS) == DESTINATION
    loaded.failing = False
    clock[0] = 4.0
    await config.refresh_if_due()
    assert config.destination(WITH, CallbackType.DELIVERY_STATUS) is None


async def test_a_configuration_never_loaded_makes_the_batch_retry() -> None:
    loaded = Loaded({})
    loaded.failing = True
    with pytest.raises(RetryableError):
        await CallbackConfig(loaded, refresh_seconds=2.0).refresh_if_due()


class RecordingPoster:
    """Answers 200 to every POST and keeps each one's headers."""

    def __init__(self) -> None:
        self.seen: list[dict[str, str]] = []

    async def post(self, url: str, body: bytes, headers: Mapping[str, str], seconds: float) -> int:
        self.seen.append(dict(headers))
        return 200


async def test_webhook_id_and_timestamp_are_sent_without_a_secret_and_signature_only_with_one() -> None:
    poster = RecordingPoster()
    client = CallbackClient(poster, timeout_seconds=1.0)
    await client.post(DESTINATION, "msg_1", {"id": "x"})
    await client.post(DESTINATION, "msg_1", {"id": "x"})
    signed = Destination(DESTINATION.url, "token", "a-secret")
    await client.post(signed, "msg_1", {"id": "x"})
    seen = poster.seen
    assert [h["webhook-id"] for h in seen] == ["msg_1"] * 3
    assert all(h["webhook-timestamp"].isdigit() for h in seen)
    assert "webhook-signature" not in seen[0]
    assert signing.verify("a-secret", "msg_1", seen[2]["webhook-timestamp"], b'{"id":"x"}',
                          seen[2]["webhook-signature"])  # fmt: skip


class GatedClient:
    """A receiver host that does not answer until let go, beside one that answers at once."""

    SLOW = "slow.example"

    def __init__(self) -> None:
        self.gate = asyncio.Event()
        self.in_flight: Counter[str] = Counter()
        self.peak: Counter[str] = Counter()
        self.answered: list[str] = []

    async def post(self, destination: Destination, message_id: str, payload: dict[str, Any]) -> AttemptResult:
        host = urlsplit(destination.url).netloc
        self.in_flight[host] += 1
        self.peak[host] = max(self.peak[host], self.in_flight[host])
        if host == self.SLOW:
            await self.gate.wait()
        self.in_flight[host] -= 1
        self.answered.append(host)
        return AttemptResult(True, False, 200, 1, None)


async def test_a_slow_receiver_holds_only_its_own_share_of_the_calls_in_flight() -> None:
    slow_ids = [str(uuid.uuid4()) for _ in range(5)]
    fast_id = str(uuid.uuid4())
    store = FakeStore()
    loaded = Loaded({
        (WITH, "delivery_status"): Destination(f"https://{GatedClient.SLOW}/cb", "token", None),
        (WITHOUT, "delivery_status"): Destination("https://fast.example/cb", "token", None),
    })  # fmt: skip
    client = GatedClient()
    handler = CallbackHandler(
        store,
        CallbackConfig(loaded, refresh_seconds=60),
        client,
        FakePublisher(),
        concurrency=3,
        per_receiver=2,
    )
    batch = [received(delivered(WITH, nid)) for nid in slow_ids] + [received(delivered(WITHOUT, fast_id))]
    handling = asyncio.create_task(handler.handle(batch))
    for _ in range(1000):
        if "fast.example" in client.answered:
            break
        await asyncio.sleep(0)
    assert client.answered == ["fast.example"]
    assert client.peak[GatedClient.SLOW] == 2
    client.gate.set()
    await handling
    assert len(client.answered) == 6


async def test_by_default_a_hundred_calls_are_in_flight_to_one_receiver_at_once() -> None:
    settings = CallbacksSettings()
    store = FakeStore()
    loaded = Loaded({(WITH, "delivery_status"): Destination(f"https://{GatedClient.SLOW}/cb", "token", None)})
    client = GatedClient()
    handler = CallbackHandler(
        store,
        CallbackConfig(loaded, refresh_seconds=60),
        client,
        FakePublisher(),
        concurrency=settings.callback_concurrency,
        per_receiver=settings.callback_concurrency_per_receiver,
    )
    batch = [received(delivered(WITH)) for _ in range(150)]
    handling = asyncio.create_task(handler.handle(batch))
    for _ in range(1000):
        if client.in_flight[GatedClient.SLOW] >= 100:
            break
        await asyncio.sleep(0)
    assert client.peak[GatedClient.SLOW] == 100
    client.gate.set()
    await handling
    assert len(client.answered) == 150


class HeldClient:
    """Holds every call whose body has ``held_status`` until ``gate`` is set."""

    def __init__(self, held_status: str) -> None:
        self.held_status = held_status
        self.gate = asyncio.Event()
        self.answered: list[tuple[str, str]] = []

    async def post(self, destination: Destination, message_id: str, payload: dict[str, Any]) -> AttemptResult:
        if payload["status"] == self.held_status:
            await self.gate.wait()
        self.answered.append((payload["id"], payload["status"]))
        return AttemptResult(True, False, 200, 1, None)


async def test_batches_handled_at_once_keep_one_notifications_callbacks_in_order_and_others_going() -> None:
    other = str(uuid.uuid4())
    loaded = Loaded({
        (WITH, "delivery_status"): DESTINATION, (other, "delivery_status"): DESTINATION,
    })  # fmt: skip
    client = HeldClient("sent")
    store = FakeStore()
    handler = CallbackHandler(store, CallbackConfig(loaded, refresh_seconds=60), client, FakePublisher())
    nid = str(uuid.uuid4())
    sent = NotificationSentToProvider(
        notification_id=nid, service_id=WITH, channel=Channel.SMS, provider="mmg", sent_at=NOW,
        international=True, **{k: v for k, v in details(WITH, nid).items() if k != "notification_sent_at"},
    )  # fmt: skip
    first = asyncio.create_task(handler.handle([received(sent)]))
    then = asyncio.create_task(handler.handle([received(delivered(WITH, nid))]))
    unrelated = delivered(other)
    meanwhile = asyncio.create_task(handler.handle([received(unrelated)]))
    await meanwhile
    assert client.answered == [(unrelated.notification_id, "delivered")]
    client.gate.set()
    await asyncio.gather(first, then)
    assert client.answered[1:] == [(nid, "sent"), (nid, "delivered")]

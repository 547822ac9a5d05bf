"""The receipts service takes every authenticated receipt and inbound text while PostgreSQL hangs or
refuses connections: it answers at once, and its own consumer checks each once the database
answers again. The receipts service (in-process, over ASGI) reaches PostgreSQL through a
``TcpProxy`` the test pauses (connections hang) or closes (connections refused); the projector
(in-process consumer) and the test reach it directly."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from notify_common import topics
from notify_common.db import create_engine
from notify_common.events import (
    Channel,
    Event,
    InboundSmsReceived,
    NotificationDelivered,
    NotificationSentToProvider,
)
from notify_common.kafka import EventProducer, Received
from notify_common.settings import CommonSettings
from notify_projector.projection import project
from notify_receipts import unchecked
from notify_receipts.app import served_app
from notify_receipts.settings import ReceiptsSettings
from tests.integration.receipts.test_receipts import (
    CREDENTIALS,
    INBOUND,
    TOKENS,
    sent_notification,
    status_of,
)
from tests.support import env
from tests.support.lifecycle import (
    add_inbound_number,
    add_service,
    eventually,
    read_topic,
    running_consumer,
)
from tests.support.proxy import TcpProxy

# A receipt is answered within the check's wait and Kafka's acknowledgement, never after a hang.
ANSWER_BOUND_S = 3.0
OUTAGES = ["hangs", "refuses"]


@pytest.fixture(scope="module")
def pg_proxy() -> Iterator[TcpProxy]:
    proxy = TcpProxy("127.0.0.1", int(env.PG_PORT)).start()
    yield proxy
    proxy.stop()


@pytest.fixture
async def receipts(
    kafka: CommonSettings, producer: EventProducer, database: str, pg_proxy: TcpProxy
) -> AsyncIterator[httpx.AsyncClient]:
    pg_proxy.restore()
    through_proxy = f"postgresql+psycopg://notify@{pg_proxy.address}/{env.TEST_DB}"
    settings = ReceiptsSettings(
        **{**kafka.model_dump(), **CREDENTIALS, "database_url": through_proxy},
        receipts_check_wait_seconds=0.5,
        receipts_consumer_wait_seconds=1.0,
    )
    served = served_app(settings)
    app = served.app
    engine = create_engine(kafka, pool_size=2)

    async def handle(batch: Sequence[Received]) -> None:
        await project(engine, [r.event for r in batch])

    async with (
        app.router.lifespan_context(app),
        running_consumer(
            kafka, producer, topics.GROUP_PROJECTOR, topics.topics_read_by(topics.GROUP_PROJECTOR), handle
        ),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=served), base_url="http://receipts") as client,
    ):
        yield client
        pg_proxy.restore()
    await engine.dispose()


def _break(proxy: TcpProxy, outage: str) -> None:
    if outage == "hangs":
        proxy.pause()
    else:
        proxy.refuse()


def _mend(proxy: TcpProxy) -> None:
    proxy.resume()
    proxy.restore()


async def _post_timed(client: httpx.AsyncClient, path: str, **kwargs: Any) -> httpx.Response:
    started = time.monotonic()
    response = await client.post(path, **kwargs)
    elapsed = time.monotonic() - started
    assert elapsed < ANSWER_BOUND_S, f"answered after {elapsed:.1f} s"
    return response


async def _mmg(
    client: httpx.AsyncClient, nid: str, status: str = "3", substatus: str = "2"
) -> httpx.Response:
    body = {"CID": nid, "status": status, "substatus": substatus}
    return await _post_timed(client, "/notifications/sms/mmg", json=body, params={"token": TOKENS["mmg"]})


def _dropped(kind: str) -> float:
    return float(unchecked.DROPPED.labels(kind=kind)._value.get())


def _for(events: list[object], nid: str) -> list[Event]:
    return [e for e in events if isinstance(e, Event) and e.notification_id == nid]


@pytest.mark.parametrize("outage", OUTAGES)
async def test_a_receipt_posted_while_postgresql_is_unavailable_is_taken_at_once_and_applied_after(
    engine: AsyncEngine, receipts: httpx.AsyncClient, pg_proxy: TcpProxy, kafka: CommonSettings, outage: str
) -> None:
    nid, _ = await sent_notification(engine, "sms", provider="mmg")
    _break(pg_proxy, outage)
    response = await _mmg(receipts, nid)
    assert (response.status_code, response.json()) == (200, {"result": "success"})
    assert _for(await read_topic(kafka, topics.RECEIPTS_UNCHECKED, timeout=1.0), nid)
    assert await status_of(engine, nid) == "sending"

    _mend(pg_proxy)
    await eventually(lambda: _is(engine, nid, "delivered"), timeout=40)


async def _is(engine: AsyncEngine, nid: str, expected: str) -> bool:
    return await status_of(engine, nid) == expected


@pytest.mark.parametrize("outage", OUTAGES)
async def test_a_receipt_taken_unchecked_for_an_id_the_provider_never_claimed_is_dropped_and_counted(
    engine: AsyncEngine, receipts: httpx.AsyncClient, pg_proxy: TcpProxy, kafka: CommonSettings, outage: str
) -> None:
    never_sent = str(uuid.uuid4())
    firetexts, _ = await sent_notification(engine, "sms", provider="firetext")
    before = _dropped(unchecked.RECEIPT)
    _break(pg_proxy, outage)
    for nid in (never_sent, firetexts):  # never sent; sent, but through another provider
        assert (await _mmg(receipts, nid)).status_code == 200

    _mend(pg_proxy)
    await eventually(lambda: _dropped(unchecked.RECEIPT) == before + 2, timeout=40)
    status_events = await read_topic(kafka, topics.NOTIFICATION_STATUS, timeout=1.0)
    assert _for(status_events, never_sent) == []
    assert _for(status_events, firetexts) == []
    assert await status_of(engine, firetexts) == "sending"
    async with engine.connect() as conn:
        query = text("SELECT count(*) FROM notifications WHERE id = :id")
        assert (await conn.execute(query, {"id": never_sent})).scalar_one() == 0


async def test_receipts_taken_twice_and_out_of_order_are_applied_once_and_the_status_never_goes_back(
    engine: AsyncEngine, receipts: httpx.AsyncClient, pg_proxy: TcpProxy, kafka: CommonSettings
) -> None:
    nid, _ = await sent_notification(engine, "sms", provider="mmg")
    _break(pg_proxy, "hangs")
    for status, substatus in (
        ("3", "2"),
        ("3", "2"),
        ("4", "6"),
    ):  # delivered twice, then a temporary failure
        assert (await _mmg(receipts, nid, status, substatus)).status_code == 200

    _mend(pg_proxy)
    # The delivered receipt posted again now the database answers: the very same event.
    assert (await _mmg(receipts, nid)).status_code == 200
    await eventually(lambda: _is(engine, nid, "delivered"), timeout=40)

    async def passed_on() -> list[Event]:
        return _for(await read_topic(kafka, topics.NOTIFICATION_STATUS, timeout=1.0), nid)

    await eventually(lambda: _both_passed(passed_on), timeout=40)
    assert len({e.event_id for e in await passed_on()}) == 2  # one delivered, one temporary failure
    assert await status_of(engine, nid) == "delivered"


async def _both_passed(passed_on: Any) -> bool:
    events = await passed_on()
    return {type(e).__name__ for e in events} == {"NotificationDelivered", "NotificationFailed"}


@pytest.mark.parametrize("outage", OUTAGES)
async def test_an_inbound_text_received_while_postgresql_is_unavailable_is_stored_for_its_owner_after(
    engine: AsyncEngine, receipts: httpx.AsyncClient, pg_proxy: TcpProxy, kafka: CommonSettings, outage: str
) -> None:
    service_id = await add_service(engine)
    number = "0770090" + str(uuid.uuid4().int)[:4]
    await add_inbound_number(engine, service_id, number, "firetext")
    before = _dropped(unchecked.INBOUND_SMS)
    _break(pg_proxy, outage)
    for destination in ("44" + number[1:], "447700999999"):  # a service's number; nobody's
        body = {"source": "447700900111", "destination": destination, "message": "Hello"}
        response = await _post_timed(
            receipts, "/notifications/sms/receive/firetext", data=body, auth=INBOUND["firetext"]
        )
        assert (response.status_code, response.json()) == (200, {"status": "ok"})
    assert await read_topic(kafka, topics.INBOUND_SMS, timeout=1.0) == []

    _mend(pg_proxy)

    async def stored() -> list[Any]:
        async with engine.connect() as conn:
            query = text("SELECT notify_number, content FROM inbound_sms WHERE service_id = :s")
            return list((await conn.execute(query, {"s": service_id})).all())

    await eventually(stored, timeout=40)
    assert [tuple(row) for row in await stored()] == [(number, "Hello")]
    await eventually(lambda: _dropped(unchecked.INBOUND_SMS) == before + 1, timeout=40)
    inbound = await read_topic(kafka, topics.INBOUND_SMS, timeout=1.0)
    assert [e.service_id for e in inbound if isinstance(e, InboundSmsReceived)] == [service_id]


async def test_a_receipt_for_a_send_event_just_learnt_is_published_with_its_service_while_postgresql_hangs(
    engine: AsyncEngine, receipts: httpx.AsyncClient, pg_proxy: TcpProxy, kafka: CommonSettings,
    producer: EventProducer,
) -> None:  # fmt: skip
    """The receipts service's consumer keeps the send events it learnt most recently in memory: a
    receipt for one of those needs no database read, so it is published at once as it would be
    with the database up (with its service, never through the unchecked topic)."""
    nid, sid = await sent_notification(engine, "sms", provider="mmg", learnt=False)
    sent = NotificationSentToProvider(
        notification_id=nid, service_id=sid, channel=Channel.SMS, provider="mmg", provider_reference=nid,
        sent_at=datetime.now(UTC), notification_type="sms", recipient="447700900123",
    )  # fmt: skip
    await producer.publish(topics.NOTIFICATION_STATUS, sent)
    await eventually(lambda: _learnt(engine, nid))
    await asyncio.sleep(0.2)  # kept in memory just after the row is committed
    _break(pg_proxy, "hangs")
    try:
        response = await _mmg(receipts, nid)
        assert (response.status_code, response.json()) == (200, {"result": "success"})
        delivered = [
            e for e in _for(await read_topic(kafka, topics.NOTIFICATION_STATUS, timeout=1.0), nid)
            if isinstance(e, NotificationDelivered)
        ]  # fmt: skip
        assert [(e.service_id, e.recipient) for e in delivered] == [(sid, "447700900123")]
        assert _for(await read_topic(kafka, topics.RECEIPTS_UNCHECKED, timeout=1.0), nid) == []
    finally:
        _mend(pg_proxy)


async def _learnt(engine: AsyncEngine, nid: str) -> bool:
    async with engine.connect() as conn:
        query = text("SELECT 1 FROM receipt_notifications WHERE notification_id = :id")
        return (await conn.execute(query, {"id": nid})).first() is not None

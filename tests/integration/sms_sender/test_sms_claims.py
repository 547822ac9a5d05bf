"""The sms-sender's claims and retries against the real PostgreSQL and Kafka, with fake providers:
a redelivered request never reaches a provider twice; failures retry through the retry topic, with
throttling and busy claims not spending the budget, and an exhausted budget ends in
technical-failure."""

from __future__ import annotations

import asyncio
import logging
import random
import time

import pytest
from pydantic import SecretStr
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from notify_common import topics
from notify_common.db import create_engine
from notify_common.errors import PermanentError, RetryableError, ThrottledError
from notify_common.events import NotificationFailed, NotificationSentToProvider
from notify_common.kafka import EventProducer, RetryPolicy
from notify_common.send_claims import ClaimStore, Settlement
from notify_common.send_recovery import FakeHandovers, Recovery
from notify_common.send_retries import Rescheduler
from notify_common.settings import CommonSettings
from notify_sms_sender.balancer import ProviderBalancer
from notify_sms_sender.delivery_times import DeliveryTimes
from notify_sms_sender.provider_selector import ProviderSelector
from notify_sms_sender.providers import FakeSmsProvider, ProviderTimeoutError, SmsProvider
from notify_sms_sender.sending import SmsSender
from notify_sms_sender.tables import sms_send_claims
from tests.support.senders import holder_died_long_ago, ident, read_topic, received, sms_request

RETRY_TOPIC = topics.retry_topic(topics.GROUP_SMS_SENDER)


def sender(
    engine: AsyncEngine,
    producer: EventProducer,
    *providers: FakeSmsProvider,
    max_attempts: int = 5,
    lease_s: float = 30.0,
    research: FakeSmsProvider | None = None,
    recovery: Recovery | None = None,
) -> SmsSender:
    weights = {p.name: 100 // len(providers) for p in providers}
    selector = ProviderSelector(ProviderBalancer(weights), None, DeliveryTimes(), rng=random.Random(1))
    by_name: dict[str, SmsProvider] = {p.name: p for p in providers}
    return SmsSender(
        ClaimStore(engine, sms_send_claims, lease_s=lease_s),
        producer,
        by_name,
        selector,
        Rescheduler(producer, topics.GROUP_SMS_SENDER, RetryPolicy(max_attempts=max_attempts)),
        research={p: research for p in by_name} if research is not None else None,
        recovery=recovery,
    )


async def recoveries(engine: AsyncEngine, *ids: str | None) -> list[str | None]:
    async with engine.connect() as conn:
        rows = await conn.execute(
            text(
                "SELECT recovery FROM send_claims WHERE notification_id = ANY(CAST(:ids AS uuid[])) "
                "ORDER BY array_position(CAST(:ids AS uuid[]), notification_id)"
            ),
            {"ids": list(ids)},
        )
        return [r.recovery for r in rows]


async def test_a_request_handled_twice_reaches_the_provider_once_and_is_announced_each_time(
    engine: AsyncEngine, kafka: CommonSettings, producer: EventProducer
) -> None:
    provider = FakeSmsProvider("mmg")
    sms_sender = sender(engine, producer, provider)
    sms = sms_request()
    await sms_sender.handle([received(sms)])
    await sms_sender.handle([received(sms)])  # redelivered after a crash before the offset commit
    assert [m.notification_id for m in provider.sent] == [sms.notification_id]
    events = [r.event for r in await read_topic(kafka, topics.NOTIFICATION_STATUS, 2)]
    assert len(events) == 2
    assert all(isinstance(e, NotificationSentToProvider) for e in events)
    first, second = events
    assert isinstance(first, NotificationSentToProvider)
    assert isinstance(second, NotificationSentToProvider)
    assert (first.provider, first.provider_reference, first.billable_units) == ("mmg", sms.notification_id, 1)
    assert second.sent_at == first.sent_at


async def test_a_batch_with_the_same_request_twice_sends_it_once(
    engine: AsyncEngine, kafka: CommonSettings, producer: EventProducer
) -> None:
    provider = FakeSmsProvider("mmg")
    sms = sms_request()
    others = [sms_request() for _ in range(20)]
    await sender(engine, producer, provider).handle(
        [received(sms), *(received(o) for o in others), received(sms)]
    )
    assert sorted(m.notification_id for m in provider.sent) == sorted(
        [ident(sms), *(ident(o) for o in others)]
    )


async def test_a_provider_that_refuses_for_good_gives_technical_failure_announced_again_on_redelivery(
    engine: AsyncEngine, kafka: CommonSettings, producer: EventProducer
) -> None:
    provider = FakeSmsProvider("mmg", fail_with=PermanentError("mmg refused the message with 400"))
    sms_sender = sender(engine, producer, provider)
    sms = sms_request()
    await sms_sender.handle([received(sms)])
    provider.fail_with = None
    await sms_sender.handle([received(sms)])
    assert provider.sent == []
    assert provider.calls == 1
    events = [r.event for r in await read_topic(kafka, topics.NOTIFICATION_STATUS, 2)]
    assert len(events) == 2
    for event in events:
        assert isinstance(event, NotificationFailed)
        assert event.failure_kind == "technical_failure"
        assert event.reason == "mmg refused the message with 400"


async def test_a_retryable_error_sends_the_request_to_the_retry_topic_spending_one_attempt(
    engine: AsyncEngine, kafka: CommonSettings, producer: EventProducer
) -> None:
    provider = FakeSmsProvider("mmg", fail_next=[RetryableError("mmg answered 500")])
    sms_sender = sender(engine, producer, provider)
    sms = sms_request()
    await sms_sender.handle([received(sms)])
    [retry] = await read_topic(kafka, RETRY_TOPIC, 1)
    assert retry.event == sms
    assert retry.headers["retry-attempt"] == "1"
    assert retry.headers["original-topic"] == "notify.sms.requested"
    # The retry is not kept waiting for the claim: the failed attempt released it.
    await sms_sender.handle([received(sms, attempt=1)])
    assert [m.notification_id for m in provider.sent] == [sms.notification_id]


async def test_after_a_timeout_the_retry_goes_to_the_same_provider_but_after_a_5xx_to_the_current_choice(
    engine: AsyncEngine, kafka: CommonSettings, producer: EventProducer
) -> None:
    timed_out, refused = sms_request(), sms_request()
    mmg = FakeSmsProvider(
        "mmg", fail_next=[ProviderTimeoutError("mmg timed out"), RetryableError("mmg answered 502")]
    )
    firetext = FakeSmsProvider("firetext")
    sms_sender = sender(engine, producer, mmg, firetext)
    balancer = sms_sender.selector.balancer
    balancer.current = {"mmg": 100, "firetext": 0}
    await sms_sender.handle([received(timed_out)])
    await sms_sender.handle([received(refused)])
    balancer.current = {"mmg": 0, "firetext": 100}
    await sms_sender.handle([received(timed_out, attempt=1), received(refused, attempt=1)])
    assert [m.notification_id for m in firetext.sent] == [refused.notification_id]
    # mmg may still be taking the timed-out message: its claim keeps a lease before anyone asks.
    assert mmg.sent == []
    await holder_died_long_ago(engine, ident(timed_out))  # a lease later
    await sms_sender.handle([received(timed_out, attempt=1)])
    # The retry stays with mmg (no status lookup here, so it is sent again, unconfirmed).
    assert [m.notification_id for m in mmg.sent] == [timed_out.notification_id]
    async with engine.connect() as conn:
        attempts = (
            (
                await conn.execute(
                    text(
                        "SELECT attempts FROM send_claims WHERE notification_id = ANY(CAST(:ids AS uuid[]))"
                    ),
                    {"ids": [timed_out.notification_id, refused.notification_id]},
                )
            )
            .scalars()
            .all()
        )
    assert attempts == [2, 2]


async def test_throttling_retries_later_without_spending_the_budget(
    engine: AsyncEngine, kafka: CommonSettings, producer: EventProducer
) -> None:
    provider = FakeSmsProvider("mmg", fail_with=ThrottledError("mmg throttled the request"))
    sms_sender = sender(engine, producer, provider, max_attempts=1)
    sms = sms_request()
    await sms_sender.handle([received(sms)])
    [retry] = await read_topic(kafka, RETRY_TOPIC, 1)
    assert retry.headers["retry-attempt"] == "0"
    assert retry.headers["throttled-count"] == "1"
    assert retry.headers["error"] == "ThrottledError"
    assert await read_topic(kafka, topics.NOTIFICATION_STATUS, 0) == []


async def test_an_exhausted_retry_budget_ends_in_technical_failure(
    engine: AsyncEngine, kafka: CommonSettings, producer: EventProducer
) -> None:
    provider = FakeSmsProvider("mmg", fail_with=RetryableError("mmg answered 503"))
    sms_sender = sender(engine, producer, provider, max_attempts=3)
    sms = sms_request()
    await sms_sender.handle([received(sms, attempt=2)])  # the third and last attempt
    [failed] = [r.event for r in await read_topic(kafka, topics.NOTIFICATION_STATUS, 1)]
    assert isinstance(failed, NotificationFailed)
    assert failed.failure_kind == "technical_failure"
    assert failed.reason == "retries exhausted: mmg answered 503"
    assert await read_topic(kafka, RETRY_TOPIC, 0) == []


async def test_a_claim_held_by_a_live_attempt_is_retried_after_its_lease_without_a_send(
    engine: AsyncEngine, kafka: CommonSettings, producer: EventProducer
) -> None:
    sms = sms_request()
    claims = ClaimStore(engine, sms_send_claims, lease_s=30)
    [claim] = (await claims.claim({ident(sms): "mmg"})).values()
    assert claim.state == "acquired"
    provider = FakeSmsProvider("mmg")
    await sender(engine, producer, provider, max_attempts=1).handle([received(sms)])
    assert provider.calls == 0
    [retry] = await read_topic(kafka, RETRY_TOPIC, 1)
    assert retry.headers["retry-attempt"] == "0"
    assert retry.headers["error"] == "ClaimBusy"
    assert 25_000 < int(retry.headers["retry-not-before-ms"]) - int(1000 * time.time()) <= 30_000


async def test_a_claim_whose_holder_died_is_taken_over_after_its_lease_and_sent_to_the_same_provider(
    engine: AsyncEngine, kafka: CommonSettings, producer: EventProducer
) -> None:
    sms = sms_request()
    await ClaimStore(engine, sms_send_claims).claim({ident(sms): "firetext"})
    mmg, firetext = FakeSmsProvider("mmg"), FakeSmsProvider("firetext")
    await holder_died_long_ago(engine, ident(sms))
    await sender(engine, producer, mmg, firetext).handle([received(sms)])
    assert [m.notification_id for m in firetext.sent] == [sms.notification_id]
    assert mmg.calls == 0


async def test_a_claim_is_in_doubt_only_when_an_earlier_call_may_have_reached_the_provider(
    engine: AsyncEngine,
) -> None:
    claims = ClaimStore(engine, sms_send_claims, lease_s=0.2)
    died, timed_out, refused, fresh = (ident(sms_request()) for _ in range(4))
    first = await claims.claim({died: "mmg", timed_out: "mmg", refused: "mmg"})
    assert not any(c.in_doubt for c in first.values())
    await claims.settle(
        [Settlement(timed_out, None, provider="mmg"), Settlement(refused, None)]  # timeout; 5xx
    )
    await asyncio.sleep(0.3)  # the holder of ``died`` never settles
    again = await claims.claim({died: "firetext", timed_out: "firetext", refused: "firetext", fresh: "mmg"})
    assert {nid: (c.state, c.in_doubt, c.provider) for nid, c in again.items()} == {
        died: ("acquired", True, "mmg"),
        timed_out: ("acquired", True, "mmg"),
        refused: ("acquired", False, "firetext"),
        fresh: ("acquired", False, "mmg"),
    }


async def test_a_live_holder_keeps_its_claims_past_the_lease_and_a_dead_ones_run_out(
    engine: AsyncEngine,
) -> None:
    holder = ClaimStore(engine, sms_send_claims, lease_s=0.3)
    other = ClaimStore(engine, sms_send_claims, lease_s=0.3)
    nid = ident(sms_request())
    claims = await holder.claim({nid: "mmg"})
    async with holder.holding(list(claims.values())):
        await asyncio.sleep(0.7)  # more than two leases: a slow batch on a loaded machine
        assert (await other.claim({nid: "mmg"}))[nid].state == "busy"
    await asyncio.sleep(0.4)  # the holder stopped renewing without a settle, as a dead one does
    taken = (await other.claim({nid: "mmg"}))[nid]
    assert (taken.state, taken.in_doubt, taken.attempts) == ("acquired", True, 2)


async def test_a_claim_whose_holder_died_after_the_provider_took_the_message_is_not_sent_again(
    engine: AsyncEngine, kafka: CommonSettings, producer: EventProducer
) -> None:
    taken, lost = sms_request(), sms_request()
    await ClaimStore(engine, sms_send_claims).claim({ident(taken): "mmg", ident(lost): "mmg"})
    await holder_died_long_ago(engine, ident(taken), ident(lost))
    mmg = FakeSmsProvider("mmg")
    lookup = FakeHandovers(has={ident(taken)})
    recovery = Recovery(None, lookups={"mmg": lookup}, window_s=0)
    await sender(engine, producer, mmg, recovery=recovery).handle([received(taken), received(lost)])
    assert [m.notification_id for m in mmg.sent] == [lost.notification_id]
    assert await recoveries(engine, taken.notification_id, lost.notification_id) == [
        "at-provider",
        "not-at-provider",
    ]
    events = {
        r.event.notification_id: r.event for r in await read_topic(kafka, topics.NOTIFICATION_STATUS, 2)
    }
    announced = events[taken.notification_id]
    assert isinstance(announced, NotificationSentToProvider)
    assert (announced.provider, announced.provider_reference) == ("mmg", taken.notification_id)


async def test_an_in_doubt_message_whose_provider_cannot_answer_is_retried_later_not_resent(
    engine: AsyncEngine, kafka: CommonSettings, producer: EventProducer
) -> None:
    sms = sms_request()
    await ClaimStore(engine, sms_send_claims).claim({ident(sms): "mmg"})
    await holder_died_long_ago(engine, ident(sms))
    mmg = FakeSmsProvider("mmg")
    lookup = FakeHandovers(fail_with=RetryableError("status lookup answered 503"))
    recovery = Recovery(None, lookups={"mmg": lookup}, window_s=0)
    await sender(engine, producer, mmg, recovery=recovery).handle([received(sms)])
    assert mmg.calls == 0
    [retry] = await read_topic(kafka, RETRY_TOPIC, 1)
    assert retry.event == sms
    # Still in doubt for the retry (a lease later), which asks again.
    lookup.fail_with, lookup.has = None, {ident(sms)}
    await holder_died_long_ago(engine, ident(sms))
    await sender(engine, producer, mmg, recovery=recovery).handle([received(sms, attempt=1)])
    assert mmg.calls == 0
    assert await recoveries(engine, sms.notification_id) == ["at-provider"]


async def test_test_key_messages_go_to_research_mode_and_never_to_a_provider(
    engine: AsyncEngine, kafka: CommonSettings, producer: EventProducer
) -> None:
    provider, research = FakeSmsProvider("mmg"), FakeSmsProvider("mmg")
    sms = sms_request(key_type="test")
    await sender(engine, producer, provider, research=research).handle([received(sms)])
    assert provider.calls == 0
    assert [m.notification_id for m in research.sent] == [sms.notification_id]
    [sent] = [r.event for r in await read_topic(kafka, topics.NOTIFICATION_STATUS, 1)]
    assert isinstance(sent, NotificationSentToProvider)
    assert sent.provider == "mmg"


async def test_claims_without_a_ping_find_a_dropped_connection_by_its_failure_and_go_on_with_a_fresh_one(
    engine: AsyncEngine, caplog: pytest.LogCaptureFixture
) -> None:
    # The sms-sender's claims engine does not try a connection before each statement (a round trip
    # saved per claim and settle); a connection the server dropped (a restart) fails its statement
    # for a retry, is never given back to the pool, and the retry runs on a fresh one.
    unpinged = create_engine(
        CommonSettings(database_url=SecretStr(engine.url.render_as_string(False))),
        pool_size=1,
        pre_ping=False,
    )
    store = ClaimStore(unpinged, sms_send_claims)
    first, second = sms_request(), sms_request()
    try:
        assert (await store.claim({ident(first): "mmg"}))[ident(first)].state == "acquired"
        async with unpinged.connect() as conn:  # the pool's one idle connection
            pid = (await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one()
        async with engine.connect() as conn:
            await conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        with caplog.at_level(logging.ERROR, logger="sqlalchemy.pool"):
            with pytest.raises(RetryableError, match="claims database unavailable"):
                await store.claim({ident(second): "mmg"})
            assert (await store.claim({ident(second): "mmg"}))[ident(second)].state == "acquired"
        # The dropped connection was discarded, not handed back to be reset (which fails, logged).
        assert [r.getMessage() for r in caplog.records if r.name.startswith("sqlalchemy")] == []
    finally:
        await unpinged.dispose()

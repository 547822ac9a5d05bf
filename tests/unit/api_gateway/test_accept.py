"""The accept use case every way in shares, with fakes for Redis's limits and Kafka: where the
rate-limit token is taken, the daily limits, the answer, and a send Kafka did not acknowledge in
time (for the ways in with and without an Idempotency-Key)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any, cast

import pytest
from fastapi.responses import JSONResponse

from notify_api_gateway.accept import RateLimit, accept
from notify_api_gateway.dependencies import AppState
from notify_api_gateway.errors import UnconfirmedSend
from notify_api_gateway.sending import PreparedSend, prepare_sms
from notify_common.api_errors import ApiError, bad_request
from notify_common.events import Event
from notify_common.kafka import PublishTimeout
from notify_common.ratelimit import Admission, DailyDecision, DailyLimit, RateDecision
from tests.unit.api_gateway.test_sending_rules import caller, ctx, template


@dataclass
class FakeLimiter:
    """The rate limit allows ``tokens`` requests; the daily limits allow everything."""

    tokens: int = 10
    calls: list[str] = field(default_factory=list)
    given_back: list[list[tuple[DailyLimit, int]]] = field(default_factory=list)

    def _token(self) -> RateDecision:
        self.tokens -= 1
        return RateDecision(self.tokens >= 0, 0 if self.tokens >= 0 else 7)

    async def take_token(self, service_id: str, key_type: str, rate_limit: int) -> RateDecision:
        self.calls.append("take_token")
        return self._token()

    async def admit(self, *args: Any, **kwargs: Any) -> Admission:
        self.calls.append("admit")
        return Admission(self._token(), DailyDecision(True))

    async def count_daily(self, *args: Any) -> DailyDecision:
        self.calls.append("count_daily")
        return DailyDecision(True)

    async def give_back_daily(self, service_id: str, key_type: str, counts: Any) -> None:
        self.given_back.append(counts)


@dataclass
class FakeProducer:
    published: list[tuple[str, Event]] = field(default_factory=list)
    unacknowledged: bool = False

    async def publish_many(self, items: list[tuple[str, Event]], ack_within: float) -> None:
        if self.unacknowledged:
            raise PublishTimeout(asyncio.get_running_loop().create_future())
        self.published.extend(items)


class FakeRecent:
    ttl_seconds = 600

    @staticmethod
    def entries(rows: list[dict[str, Any]]) -> list[tuple[str, bytes]]:
        return [(str(r["id"]), b"") for r in rows]

    async def remember(self, rows: list[dict[str, Any]]) -> None:
        return None


def fake_state(limiter: FakeLimiter, producer: FakeProducer) -> AppState:
    settings = SimpleNamespace(kafka_ack_timeout_seconds=1.0)
    state = SimpleNamespace(limiter=limiter, producer=producer, recent=FakeRecent(), settings=settings)
    return cast(AppState, state)


def a_text() -> PreparedSend:
    return prepare_sms(
        caller(), template("sms"), {"phone_number": "07700900123", "personalisation": {"name": "Ada"}}, ctx()
    )


def created(sends: list[PreparedSend]) -> JSONResponse:
    return JSONResponse({"ids": [s.notification_id for s in sends]}, status_code=201)


async def run(
    limiter: FakeLimiter, producer: FakeProducer, prepare: Any, rate_limit: RateLimit, **kw: Any
) -> JSONResponse:
    return await accept(
        fake_state(limiter, producer), caller(), prepare, created, rate_limit=rate_limit, **kw
    )


@pytest.mark.parametrize("rate_limit", ["first", "at_admission"])
async def test_an_accepted_send_is_published_and_answered_by_its_way_in(rate_limit: RateLimit) -> None:
    limiter, producer, send = FakeLimiter(), FakeProducer(), a_text()

    async def prepare() -> list[PreparedSend]:
        return [send]

    response = await run(limiter, producer, prepare, rate_limit)
    assert response.status_code == 201
    assert response.body == created([send]).body
    assert [event for _, event in producer.published] == [send.event]
    # one token either way: up front, or with the daily counts once the request is checked
    assert limiter.calls == (["take_token", "count_daily"] if rate_limit == "first" else ["admit"])


async def test_first_a_caller_over_its_rate_limit_is_refused_before_its_request_is_read() -> None:
    limiter, producer, prepared = FakeLimiter(tokens=0), FakeProducer(), []

    async def prepare() -> list[PreparedSend]:
        prepared.append(True)
        return [a_text()]

    with pytest.raises(ApiError) as refused:
        await run(limiter, producer, prepare, "first")
    assert refused.value.status_code == 429
    assert prepared == []
    assert producer.published == []


@pytest.mark.parametrize(("tokens", "status"), [(1, 400), (0, 429)])
async def test_at_admission_a_refused_request_still_takes_its_token(tokens: int, status: int) -> None:
    limiter, producer = FakeLimiter(tokens=tokens), FakeProducer()

    async def prepare() -> list[PreparedSend]:
        raise bad_request("Template not found")

    with pytest.raises(ApiError) as refused:
        await run(limiter, producer, prepare, "at_admission")
    # within the rate limit the request's own refusal; over it the 429, as if taken up front
    assert refused.value.status_code == status
    assert limiter.calls == ["take_token"]


async def test_a_token_the_way_in_took_is_not_taken_again() -> None:
    limiter, producer = FakeLimiter(tokens=0), FakeProducer()

    async def prepare() -> list[PreparedSend]:
        return [a_text()]

    response = await run(limiter, producer, prepare, "taken", bulk=True)
    assert response.status_code == 201
    assert limiter.calls == ["count_daily"]
    assert [topic for topic, _ in producer.published] == ["notify.sms.requested.bulk"]


async def test_an_unacknowledged_send_carries_its_201_for_the_idempotency_key() -> None:
    limiter, producer, send = FakeLimiter(), FakeProducer(unacknowledged=True), a_text()

    async def prepare() -> list[PreparedSend]:
        return [send]

    with pytest.raises(UnconfirmedSend) as unconfirmed:
        await run(limiter, producer, prepare, "first")
    assert unconfirmed.value.response.body == created([send]).body
    with pytest.raises(PublishTimeout):  # a way in without Idempotency-Key gets the timeout itself
        await run(limiter, producer, prepare, "first", idempotent=False)
    assert limiter.given_back == []  # the counts stay until it is known whether they were written

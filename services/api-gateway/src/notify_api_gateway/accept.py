"""Accepting sends: the one use case behind every way in (v2 single sends, bulk rows, the legacy
alpha and beta APIs).

A way in authenticates its caller, then hands ``accept`` two things of its own: ``prepare`` (its
request parsed and checked, ``sending``'s rules applied, the notification-requested events built)
and ``answer`` (its 201, in its shape). ``accept`` does the rest, the same for all: the rate limit,
the daily limits, publishing with Kafka's acknowledgement (or holding a send for its
``scheduled_for``), the read-your-writes row, giving counts back when a send is not written, the
accepted metric, and the answer.

Where the rate-limit token is taken (``RateLimit``): ``"first"``, before the request is looked at;
``"at_admission"`` (the hot path of the v2 text and email routes), together with the daily counts
and the read-your-writes row in one Redis round trip once the request has been checked, a request
refused on the way taking its token on the way out, so a caller over its rate limit still gets the
429 first, exactly as if the token had been taken up front; ``"taken"``, already by the way in (bulk
takes it before it knows whether the rows become a job).

A send Kafka did not acknowledge in time may still be written: its daily count stays until that is
known. Ways in that take an ``Idempotency-Key`` get ``UnconfirmedSend`` carrying the 201 the send
would have had; the legacy ones, which take none, get the ``PublishTimeout`` itself.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Literal

from fastapi.responses import JSONResponse

from notify_api_gateway.auth import Authenticated
from notify_api_gateway.dependencies import AppState
from notify_api_gateway.errors import UnconfirmedSend, over_limit, rate_limited
from notify_api_gateway.sending import PreparedSend
from notify_common import metrics
from notify_common.events import Event
from notify_common.kafka import PublishTimeout
from notify_common.ratelimit import DailyLimit

log = logging.getLogger(__name__)
# A scheduled_for this close to now is sent straight away.
SCHEDULE_THRESHOLD = timedelta(seconds=5)
RateLimit = Literal["first", "at_admission", "taken"]
Prepare = Callable[[], Awaitable[list[PreparedSend]]]
Answer = Callable[[list[PreparedSend]], JSONResponse]


async def accept(
    state: AppState,
    caller: Authenticated,
    prepare: Prepare,
    answer: Answer,
    *,
    rate_limit: RateLimit = "first",
    bulk: bool = False,
    idempotent: bool = True,
) -> JSONResponse:
    """Accept the sends ``prepare`` makes for ``caller``: limits, then durable (published and
    acknowledged, or held), then ``answer``. Every refusal is raised (``ApiError``), in Notify's
    shape, for the way in to answer in its own."""
    if rate_limit == "first":
        await enforce_rate_limit(state, caller)
    if rate_limit == "at_admission":
        try:
            sends = await prepare()
        except Exception:
            await enforce_rate_limit(state, caller)
            raise
    else:
        sends = await prepare()
    scheduled_for = sends[0].row.get("scheduled_for") if sends else None
    try:
        await _accept_many(
            state,
            caller,
            sends,
            scheduled_for=scheduled_for,
            bulk=bulk,
            take_token=rate_limit == "at_admission",
        )
    except PublishTimeout as exc:
        if not idempotent:
            raise
        raise UnconfirmedSend(exc, answer(sends)) from None
    metrics.accepted([s.channel for s in sends], caller.api_key.key_type, bulk=bulk)
    return answer(sends)


async def enforce_rate_limit(state: AppState, caller: Authenticated) -> None:
    service, key_type = caller.service, caller.api_key.key_type
    decision = await state.limiter.take_token(service.id, key_type, service.rate_limit)
    if not decision.allowed:
        raise rate_limited(key_type, service.rate_limit, decision.retry_after_seconds)


def daily_counts(sends: list[PreparedSend]) -> list[tuple[DailyLimit, int]]:
    totals: dict[DailyLimit, int] = {}
    for send in sends:
        for limit in send.daily_limits:
            totals[limit] = totals.get(limit, 0) + 1
    return list(totals.items())


async def _accept_many(
    state: AppState,
    caller: Authenticated,
    sends: list[PreparedSend],
    *,
    scheduled_for: datetime | None,
    bulk: bool,
    take_token: bool,
) -> None:
    real = [s for s in sends if not s.simulated]
    if take_token:
        await _admit_and_publish(state, caller, real, scheduled_for=scheduled_for, bulk=bulk)
        return
    if not real:
        return
    service_id, key_type = caller.service.id, caller.api_key.key_type
    counts = daily_counts(real)
    decision = await state.limiter.count_daily(service_id, key_type, counts)
    if not decision.allowed:
        assert decision.exceeded is not None
        raise over_limit(decision.exceeded, decision.retry_after_seconds)
    try:
        if _held(scheduled_for):
            assert scheduled_for is not None
            await state.held.hold([(s.topic(bulk=bulk), s.event, s.row, scheduled_for) for s in real])
        else:
            # A job's notifications are found through the job (their ids are not returned), so
            # only single sends keep a read-your-writes row.
            await asyncio.gather(
                state.recent.remember([] if bulk else [s.row for s in real]),
                publish(state, [(s.topic(bulk=bulk), s.event) for s in real]),
            )
    except PublishTimeout as exc:
        _give_back_unless_written(state, exc, service_id, key_type, counts)
        raise
    except BaseException:
        await state.limiter.give_back_daily(service_id, key_type, counts)
        raise


async def publish(state: AppState, items: list[tuple[str, Event]]) -> None:
    """Publish and wait for Kafka's acknowledgement, at most ``kafka_ack_timeout_seconds``."""
    await state.producer.publish_many(items, ack_within=state.settings.kafka_ack_timeout_seconds)


# Follow-ups of sends answered 503 before Kafka acknowledged them (kept until they end).
_follow_ups: set[asyncio.Task[None]] = set()


def follow_up(awaitable: Awaitable[None]) -> None:
    task = asyncio.ensure_future(awaitable)
    _follow_ups.add(task)
    task.add_done_callback(_follow_ups.discard)


async def written(unacknowledged: PublishTimeout) -> bool:
    """Whether the events of a timed-out publish were written in the end."""
    try:
        await unacknowledged.outcome
    except Exception as exc:
        log.warning("unacknowledged send not written", extra={"error": type(exc).__name__})
        return False
    log.info("unacknowledged send written after its 503")
    return True


def _give_back_unless_written(
    state: AppState,
    exc: PublishTimeout,
    service_id: str,
    key_type: str,
    counts: list[tuple[DailyLimit, int]],
) -> None:
    """A send Kafka did not acknowledge in time may still be written: its daily count stays
    until that is known, and is given back only if it was not."""

    async def settle() -> None:
        if not await written(exc):
            await state.limiter.give_back_daily(service_id, key_type, counts)

    follow_up(settle())


def _held(scheduled_for: datetime | None) -> bool:
    return scheduled_for is not None and scheduled_for > datetime.now(UTC) + SCHEDULE_THRESHOLD


async def _admit_and_publish(
    state: AppState,
    caller: Authenticated,
    real: list[PreparedSend],
    *,
    scheduled_for: datetime | None,
    bulk: bool,
) -> None:
    service, key_type = caller.service, caller.api_key.key_type
    counts = daily_counts(real)
    held = _held(scheduled_for)
    rows = [] if held else [s.row for s in real]
    admission = await state.limiter.admit(
        service.id,
        key_type,
        service.rate_limit,
        counts,
        store=state.recent.entries(rows),
        store_seconds=state.recent.ttl_seconds,
    )
    if not admission.rate.allowed:
        raise rate_limited(key_type, service.rate_limit, admission.rate.retry_after_seconds)
    if not admission.daily.allowed:
        exceeded = admission.daily.exceeded
        assert exceeded is not None
        raise over_limit(exceeded, admission.daily.retry_after_seconds)
    if not real:
        return
    try:
        if held:
            assert scheduled_for is not None
            await state.held.hold([(s.topic(bulk=bulk), s.event, s.row, scheduled_for) for s in real])
        else:
            await publish(state, [(s.topic(bulk=bulk), s.event) for s in real])
    except PublishTimeout as exc:
        _give_back_unless_written(state, exc, service.id, key_type, counts)
        raise
    except BaseException:
        await state.limiter.give_back_daily(service.id, key_type, counts)
        raise

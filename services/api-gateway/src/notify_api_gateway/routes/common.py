"""What every send route shares: reading the body, the rate limit, Idempotency-Key handling, and
accepting a prepared send (daily limit, then published and acknowledged, or held for its time).

The hot path (``accept(..., take_token=True)``) takes the rate-limit token, counts the daily limits
and stores the read-your-writes row in one Redis round trip, after the request has been checked; a
request refused before that takes its token with ``enforce_rate_limit`` on the way out, so a caller
over its rate limit still gets the 429 first, exactly as if the token had been taken up front."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from fastapi import Request
from fastapi.responses import JSONResponse, Response
from redis.exceptions import RedisError

from notify_api_gateway.auth import Authenticated
from notify_api_gateway.dependencies import AppState
from notify_api_gateway.errors import (
    NUL_REFUSED,
    ApiError,
    UnconfirmedSend,
    bad_request,
    over_daily_limit,
    rate_limited,
    validation_error,
)
from notify_api_gateway.idempotency import IdempotencyKeys, check_key, fingerprint, scope
from notify_api_gateway.sending import PreparedSend, SendContext
from notify_common import metrics
from notify_common.events import Event
from notify_common.kafka import PublishTimeout
from notify_common.ratelimit import DailyLimit

log = logging.getLogger(__name__)
# A scheduled_for this close to now is sent straight away.
SCHEDULE_THRESHOLD = timedelta(seconds=5)


class OrjsonResponse(JSONResponse):
    """A JSONResponse rendered by orjson: the same bytes as ``JSONResponse`` for these bodies
    (compact separators, UTF-8 unescaped, keys in order), several times faster."""

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


def parse_json(raw: bytes) -> Any:
    try:
        parsed = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise bad_request("Invalid JSON supplied in POST data") from None
    # A NUL can only arrive escaped; PostgreSQL's text cannot hold one, so it is refused here rather
    # than accepted and then impossible to store.
    if b"\\u0000" in raw and _holds_nul(parsed):
        raise validation_error(NUL_REFUSED)
    return parsed


def _holds_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_holds_nul(k) or _holds_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_holds_nul(v) for v in value)
    return False


def url_root(state: AppState, request: Request) -> str:
    """Where links in responses and emails (``uri``, ``links``, file-download links) start: the
    configured public URL, never the request's Host header, which is the client's to choose."""
    return state.settings.links_root()


def context(
    state: AppState, request: Request, scheduled_for: datetime | None = None, **kw: Any
) -> SendContext:
    return SendContext(
        notification_id=str(uuid.uuid4()),
        created_at=datetime.now(UTC),
        url_root=url_root(state, request),
        email_domain=state.settings.email_domain,
        correlation_id=request.headers.get("x-request-id"),
        scheduled_for=scheduled_for,
        download_root=state.settings.document_download_url,
        **kw,
    )


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


async def accept(
    state: AppState, caller: Authenticated, send: PreparedSend, *, take_token: bool = False
) -> None:
    """Make one prepared send durable before the 201: published and acknowledged, or held."""
    await accept_many(
        state, caller, [send], scheduled_for=send.row.get("scheduled_for"), bulk=False, take_token=take_token
    )


async def accept_many(
    state: AppState,
    caller: Authenticated,
    sends: list[PreparedSend],
    *,
    scheduled_for: datetime | None,
    bulk: bool,
    take_token: bool = False,
) -> None:
    """Count the sends against the daily limits (429 when over), then make them durable. With
    ``take_token`` the rate-limit token is taken first, in the same Redis round trip."""
    await _accept_many(state, caller, sends, scheduled_for=scheduled_for, bulk=bulk, take_token=take_token)
    metrics.accepted([s.channel for s in sends], caller.api_key.key_type, bulk=bulk)


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
        raise over_daily_limit(decision.exceeded.name, decision.exceeded.limit, decision.retry_after_seconds)
    try:
        if _held(scheduled_for):
            assert scheduled_for is not None
            await state.scheduler.hold([(s.topic(bulk=bulk), s.event, s.row, scheduled_for) for s in real])
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
        raise over_daily_limit(exceeded.name, exceeded.limit, admission.daily.retry_after_seconds)
    if not real:
        return
    try:
        if held:
            assert scheduled_for is not None
            await state.scheduler.hold([(s.topic(bulk=bulk), s.event, s.row, scheduled_for) for s in real])
        else:
            await publish(state, [(s.topic(bulk=bulk), s.event) for s in real])
    except PublishTimeout as exc:
        _give_back_unless_written(state, exc, service.id, key_type, counts)
        raise
    except BaseException:
        await state.limiter.give_back_daily(service.id, key_type, counts)
        raise


async def idempotent(
    request: Request,
    state: AppState,
    caller: Authenticated,
    raw: bytes,
    run: Callable[[], Awaitable[JSONResponse]],
) -> Response:
    """Run ``run`` under the request's Idempotency-Key, if it has one."""
    header = request.headers.get("idempotency-key")
    if header is None:
        return await run()
    key = check_key(header)
    print_ = fingerprint(request.method, request.url.path, raw)
    keys, service_id = state.idempotency, scope(caller.service.id, caller.api_key.key_type)
    try:
        replay = await keys.begin(service_id, key, print_)
    except RedisError:
        metrics.dependency_unavailable("redis")
        raise ApiError(
            503, "ServiceUnavailableError", "Idempotency-Key cannot be checked right now"
        ) from None
    if replay is not None:
        return JSONResponse(
            replay.body, status_code=replay.status_code, headers={"Idempotent-Replayed": "true"}
        )
    try:
        response = await run()
    except UnconfirmedSend as exc:
        # The send may still be written: the key stays claimed until that is known, then answers
        # a retry with the send's 201 (written) or lets it send again (not written).
        follow_up(_settle_key(keys, service_id, key, print_, exc))
        raise
    except BaseException:
        try:
            await keys.release(service_id, key)
        except RedisError:
            log.warning("idempotency key not released")
        raise
    try:
        await keys.complete(service_id, key, print_, response.status_code, orjson.loads(response.body))
    except RedisError:
        log.warning("idempotency response not stored")
    return response


async def _settle_key(
    keys: IdempotencyKeys, service_id: str, key: str, print_: str, exc: UnconfirmedSend
) -> None:
    try:
        if await written(exc.timeout):
            body = orjson.loads(exc.response.body)
            await keys.complete(service_id, key, print_, exc.response.status_code, body)
        else:
            await keys.release(service_id, key)
    except RedisError:
        log.warning("idempotency key not settled after an unacknowledged send")

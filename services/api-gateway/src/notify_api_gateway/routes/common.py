"""What the v2 routes share: reading the body, the send context, where links start, and
Idempotency-Key handling. Accepting sends is ``accept``'s."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import orjson
from fastapi import Request
from fastapi.responses import JSONResponse, Response
from redis.exceptions import RedisError

from notify_api_gateway.accept import follow_up, written
from notify_api_gateway.auth import Authenticated
from notify_api_gateway.dependencies import AppState, header
from notify_api_gateway.errors import UnconfirmedSend
from notify_api_gateway.idempotency import IdempotencyKeys, check_key, fingerprint, scope
from notify_api_gateway.sending import SendContext
from notify_common import metrics
from notify_common.api_errors import NUL_REFUSED, ApiError, bad_request, validation_error
from notify_common.events import random_uuid

log = logging.getLogger(__name__)


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
        notification_id=random_uuid(),
        created_at=datetime.now(UTC),
        url_root=url_root(state, request),
        email_domain=state.settings.email_domain,
        correlation_id=header(request, b"x-request-id"),
        scheduled_for=scheduled_for,
        download_root=state.settings.document_download_url,
        **kw,
    )


async def idempotent(
    request: Request,
    state: AppState,
    caller: Authenticated,
    raw: bytes,
    run: Callable[[], Awaitable[JSONResponse]],
) -> Response:
    """Run ``run`` under the request's Idempotency-Key, if it has one."""
    given = header(request, b"idempotency-key")
    if given is None:
        return await run()
    key = check_key(given)
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

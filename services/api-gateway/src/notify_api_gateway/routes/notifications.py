"""POST /v2/notifications/{sms,email,letter}: the sends.

Each send is checked in Notify's order with Notify's messages (``sending``) and accepted by
``accept``: counted against the limits, and answered 201 only once Kafka has acknowledged its event
(or, with ``scheduled_for``, once it is held in PostgreSQL). The letter route also takes
precompiled PDF letters.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from notify_api_gateway.accept import RateLimit, accept
from notify_api_gateway.dependencies import Caller, State, authenticate, get_state
from notify_api_gateway.openapi_docs import SEND_RESPONSES, body_schema
from notify_api_gateway.presenters import precompiled_template_id
from notify_api_gateway.routes.common import OrjsonResponse, context, idempotent, parse_json
from notify_api_gateway.schemas import POST_EMAIL, POST_LETTER, POST_PRECOMPILED_LETTER, POST_SMS
from notify_api_gateway.sending import (
    PreparedSend,
    SendContext,
    check_can_send_letters,
    daily_limits,
    envelope,
    prepare_email,
    prepare_letter,
    prepare_sms,
    shown_row,
)
from notify_api_gateway.validation import parse_scheduled_for, validate
from notify_common.api_errors import bad_request
from notify_common.events import LetterRequested
from notify_common.letter_pdfs import pdf_key

router = APIRouter(tags=["Send"])
PDF_MAGIC = b"%PDF-"


async def _send(
    request: Request,
    state: State,
    caller: Caller,
    schema: dict[str, Any],
    channel: str,
    raw: bytes | None = None,
) -> Response:
    if raw is None:
        raw = await request.body()

    async def prepare() -> list[PreparedSend]:
        parsed = parse_json(raw)
        if channel == "letter" and isinstance(parsed, dict) and "content" in parsed:
            return [await _precompiled(request, state, caller, parsed)]
        return [await _prepare(request, state, caller, parsed, schema, channel)]

    # The hot path (texts and emails): the request is checked before the rate-limit token is taken,
    # with the daily counts and the read-your-writes row, in one Redis round trip.
    rate_limit: RateLimit = "first" if channel == "letter" else "at_admission"
    return await idempotent(
        request, state, caller, raw, lambda: accept(state, caller, prepare, _created, rate_limit=rate_limit)
    )


def _created(sends: list[PreparedSend]) -> JSONResponse:
    [send] = sends
    return OrjsonResponse(send.response, status_code=201)


async def _prepare(
    request: Request, state: State, caller: Caller, parsed: object, schema: dict[str, Any], channel: str
) -> PreparedSend:
    body = validate(parsed, schema)
    template = await state.repository.template(caller.service.id, body["template_id"])
    # Files by email are stored below, so the email route takes them.
    ctx = context(
        state, request, parse_scheduled_for(body.get("scheduled_for")), stores_documents=channel == "email"
    )
    prepare = {"sms": prepare_sms, "email": prepare_email, "letter": prepare_letter}[channel]
    send = prepare(caller, template, body, ctx)
    if send.documents:  # files sent by email: stored (encrypted) before the send is accepted
        await state.documents.put_all(send.documents)
    return send


@router.post(
    "/v2/notifications/sms", status_code=201, openapi_extra=body_schema(POST_SMS), responses=SEND_RESPONSES
)
async def post_sms(request: Request) -> Response:
    """Send a text message."""
    # State and caller are resolved here rather than as FastAPI dependencies: the same checks in the
    # same order, without the framework's per-dependency work on the busiest route.
    state = await get_state(request)
    return await _send(request, state, await authenticate(request, state), POST_SMS, "sms")


@router.post(
    "/v2/notifications/email",
    status_code=201,
    openapi_extra=body_schema(POST_EMAIL),
    responses=SEND_RESPONSES,
)
async def post_email(request: Request) -> Response:
    """Send an email."""
    state = await get_state(request)
    return await _send(request, state, await authenticate(request, state), POST_EMAIL, "email")


def _hot(schema: dict[str, Any], channel: str) -> Callable[[Request, bytes], Awaitable[Response]]:
    async def hot(request: Request, raw: bytes) -> Response:
        state = await get_state(request)
        return await _send(request, state, await authenticate(request, state), schema, channel, raw)

    return hot


def hot_routes() -> dict[str, Callable[[Request, bytes], Awaitable[Response]]]:
    """The routes ``fastpath.HotRoutes`` serves without the framework's routing: the same checks
    and handler code as ``post_sms`` and ``post_email``, given the body already read."""
    return {
        "/v2/notifications/sms": _hot(POST_SMS, "sms"),
        "/v2/notifications/email": _hot(POST_EMAIL, "email"),
    }


@router.post(
    "/v2/notifications/letter",
    status_code=201,
    openapi_extra=body_schema({"anyOf": [POST_LETTER, POST_PRECOMPILED_LETTER]}),
    responses=SEND_RESPONSES,
)
async def post_letter(request: Request, state: State, caller: Caller) -> Response:
    """Send a letter from a template, or a precompiled letter (a base64 PDF in ``content``)."""
    return await _send(request, state, caller, POST_LETTER, "letter")


async def _precompiled(request: Request, state: State, caller: Caller, parsed: object) -> PreparedSend:
    body = validate(parsed, POST_PRECOMPILED_LETTER)
    check_can_send_letters(caller)
    try:
        pdf = base64.b64decode(body["content"], validate=True)
    except (binascii.Error, ValueError):
        raise bad_request("Cannot decode letter content (invalid base64 encoding)") from None
    if not pdf:
        raise bad_request("Cannot decode letter content (invalid base64 encoding)")
    if not pdf.startswith(PDF_MAGIC):
        raise bad_request("Letter content is not a PDF")
    ctx = context(state, request)
    postage = body.get("postage") or "second"
    key = pdf_key(caller.service.id, ctx.notification_id)
    await state.letters.put(key, pdf)
    return _precompiled_send(caller, body, ctx, postage, key)


def _precompiled_send(
    caller: Caller, body: dict[str, Any], ctx: SendContext, postage: str, key: str
) -> PreparedSend:
    template_id = precompiled_template_id(caller.service.id)
    event = LetterRequested(
        **envelope(caller, template_id, 1, body, ctx),
        address_lines=(),
        postage=postage,
        subject="Pre-compiled PDF",
        body="",
        precompiled=True,
        pdf_key=key,
        contact_block="",
    )
    row = shown_row(
        caller,
        template_id,
        1,
        body,
        ctx,
        "letter",
        recipient=None,
        body="",
        subject="Pre-compiled PDF",
        postage=postage,
    )
    return PreparedSend(
        notification_id=ctx.notification_id,
        channel="letter",
        event=event,
        response={"id": ctx.notification_id, "reference": body["reference"], "postage": postage},
        row=row,
        daily_limits=daily_limits(caller, "letter"),
    )

"""The beta API (docs/legacy-beta.md): ``POST /notifications/{sms,email}``, ``GET /notifications``
and ``GET /notifications/{id}``, authenticated with request-signing tokens (``legacy.signing``).

A thin adapter: a send is the v2 send of the same template (``sending.prepare_sms`` /
``prepare_email``, accepted by ``accept``: the rate and daily limits, publishing); reads are v2's
reads of the same projection, in the beta's shape and status words. Left out of the OpenAPI
document.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from notify_api_gateway.accept import accept
from notify_api_gateway.auth import Authenticated
from notify_api_gateway.dependencies import AppState, State
from notify_api_gateway.legacy import beta
from notify_api_gateway.legacy.callers import Legacy, answered, beta_caller
from notify_api_gateway.legacy.store import LegacyStore
from notify_api_gateway.routes.common import context
from notify_api_gateway.routes.reads import find_notification, listing_retention
from notify_api_gateway.sending import PreparedSend, prepare_email, prepare_sms

router = APIRouter(include_in_schema=False)
MAX_PAGE = 100_000
Handler = Callable[[Authenticated, bytes], Awaitable[JSONResponse]]


async def _answer(request: Request, state: AppState, legacy: LegacyStore, handle: Handler) -> JSONResponse:
    async def answer() -> JSONResponse:
        raw = await request.body()
        return await handle(await beta_caller(request, state, legacy, raw), raw)

    return await answered(answer, beta.BetaError, beta.from_api_error)


def _sender(request: Request, state: AppState, channel: str) -> Handler:
    async def send(caller: Authenticated, raw: bytes) -> JSONResponse:
        async def prepare() -> list[PreparedSend]:
            try:
                parsed = orjson.loads(raw)
            except orjson.JSONDecodeError:
                raise beta.BetaError(400, {"body": ["Invalid JSON."]}) from None
            body = beta.to_v2_body(parsed, channel)
            template = await state.repository.template(caller.service.id, body["template_id"])
            prepare_send = prepare_sms if channel == "sms" else prepare_email
            return [prepare_send(caller, template, body, context(state, request))]

        return await accept(state, caller, prepare, _created, idempotent=False)

    return send


def _created(sends: list[PreparedSend]) -> JSONResponse:
    return JSONResponse({"data": {"notification": {"id": sends[0].notification_id}}}, status_code=201)


@router.post("/notifications/sms")
async def post_sms(request: Request, state: State, legacy: Legacy) -> JSONResponse:
    return await _answer(request, state, legacy, _sender(request, state, "sms"))


@router.post("/notifications/email")
async def post_email(request: Request, state: State, legacy: Legacy) -> JSONResponse:
    return await _answer(request, state, legacy, _sender(request, state, "email"))


@router.get("/notifications/{notification_id}")
async def get_notification(
    notification_id: str, request: Request, state: State, legacy: Legacy
) -> JSONResponse:
    async def read(caller: Authenticated, _: bytes) -> JSONResponse:
        try:
            wanted = str(uuid.UUID(notification_id))
        except ValueError:
            raise beta.not_found() from None
        row = await find_notification(state, caller, wanted)
        if row is None:
            raise beta.not_found()
        return JSONResponse({"data": beta.notification(row)})

    return await _answer(request, state, legacy, read)


@router.get("/notifications")
async def list_notifications(request: Request, state: State, legacy: Legacy) -> JSONResponse:
    async def read(caller: Authenticated, _: bytes) -> JSONResponse:
        given = request.query_params.get("page", "1")
        if not given.isdigit() or not 1 <= int(given) <= MAX_PAGE:
            raise beta.BetaError(400, {"page": ["Not a valid page number."]})
        rows = await state.reads.numbered_page(
            caller.service.id,
            caller.api_key.key_type,
            int(given),
            beta.PAGE_SIZE,
            listing_retention(state, caller),
        )
        return JSONResponse({"data": [beta.notification(r) for r in rows]})

    return await _answer(request, state, legacy, read)

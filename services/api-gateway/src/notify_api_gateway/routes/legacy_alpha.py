"""The alpha API (docs/legacy-alpha.md): ``POST /sms/notification`` and ``POST /email/notification``.

A thin adapter: the raw message becomes personalisation of the service's implicit template, and
the send is then exactly a v2 send (``sending.prepare_sms`` / ``prepare_email``, accepted by
``accept``: the rate and daily limits, publishing) carrying the alpha job's id. Left out of the
OpenAPI document, which describes the v2 API.
"""

from __future__ import annotations

import uuid
from datetime import datetime

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from notify_api_gateway.accept import accept
from notify_api_gateway.auth import Authenticated
from notify_api_gateway.dependencies import AppState, State
from notify_api_gateway.legacy import alpha
from notify_api_gateway.legacy.callers import Legacy, alpha_caller, answered
from notify_api_gateway.legacy.implicit import implicit_template
from notify_api_gateway.legacy.store import AlphaJob, LegacyStore
from notify_api_gateway.routes.common import context
from notify_api_gateway.sending import PreparedSend, prepare_email, prepare_sms

router = APIRouter(include_in_schema=False)


@router.post("/sms/notification")
async def post_sms(request: Request, state: State, legacy: Legacy) -> JSONResponse:
    return await _send(request, state, legacy, "sms")


@router.post("/email/notification")
async def post_email(request: Request, state: State, legacy: Legacy) -> JSONResponse:
    return await _send(request, state, legacy, "email")


async def _send(request: Request, state: AppState, legacy: LegacyStore, channel: str) -> JSONResponse:
    async def send() -> JSONResponse:
        return await _accept(request, state, legacy, await alpha_caller(request, state, legacy), channel)

    return await answered(send, alpha.AlphaError, alpha.from_api_error)


async def _accept(
    request: Request, state: AppState, legacy: LegacyStore, caller: Authenticated, channel: str
) -> JSONResponse:
    service_id = caller.service.id
    sent: list[tuple[alpha.AlphaSend, AlphaJob, datetime]] = []
    made_job: list[str] = []

    async def prepare() -> list[PreparedSend]:
        try:
            parsed = orjson.loads(await request.body())
        except orjson.JSONDecodeError:
            raise alpha.invalid(("body", "Not valid JSON.")) from None
        if channel == "sms":
            send = alpha.parse_sms(parsed)
        else:
            send = alpha.parse_email(parsed, caller.config.reply_tos if caller.config else {})
        job: AlphaJob | None = None
        if send.job_id is not None:
            job = await legacy.job(service_id, send.job_id)
            if job is None:
                raise alpha.invalid(("jobId", "Job not found."))
        job_uuid = job.job_id if job is not None else str(uuid.uuid4())
        ctx = context(state, request, job_id=job_uuid)
        prepare_send = prepare_sms if send.channel == "sms" else prepare_email
        prepared = prepare_send(caller, implicit_template(service_id, send.channel), send.v2_body, ctx)
        if job is None:
            # A send without a jobId is a job of its own: recorded only once the send passed every check.
            job = await legacy.create_job(service_id, job_uuid, send.description)
            made_job.append(job_uuid)
        sent.append((send, job, ctx.created_at))
        return [prepared]

    def answer(sends: list[PreparedSend]) -> JSONResponse:
        [(send, job, created_at)] = sent
        return JSONResponse(
            alpha.created(send, sends[0].notification_id, job.id, created_at), status_code=201
        )

    try:
        return await accept(state, caller, prepare, answer, idempotent=False)
    except Exception:
        if made_job:  # the send was not accepted: neither is the job made for it
            await legacy.forget_job(made_job[0])
        raise

"""The receipts service: turns providers' delivery receipts into lifecycle events on Kafka.

Endpoints answer 200 only after the event is acknowledged by Kafka, so a provider retries any
receipt we could not record. Receipts carry the notification id (our provider reference)."""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from notify_common import topics
from notify_common.events import (
    Event,
    FailureKind,
    NotificationDelivered,
    NotificationFailed,
    NotificationPending,
    now,
)
from notify_common.kafka import EventProducer
from notify_common.settings import CommonSettings
from notify_receipts.codes import DELIVERED, PENDING, firetext_outcome, mmg_outcome

log = logging.getLogger(__name__)


def receipt_event(notification_id: str, provider: str, outcome: str, detail: str | None) -> Event:
    """The lifecycle event for a receipt. A receipt names only the notification (our reference),
    so the envelope carries the nil UUID as service id; the projector keys on the notification."""
    unknown_service = "00000000-0000-0000-0000-000000000000"
    if outcome == DELIVERED:
        return NotificationDelivered(
            notification_id=notification_id,
            service_id=unknown_service,
            provider=provider,
            provider_reference=notification_id,
            delivered_at=now(),
            detail=detail,
        )
    if outcome == PENDING:
        return NotificationPending(
            notification_id=notification_id, service_id=unknown_service, provider=provider, detail=detail
        )
    return NotificationFailed(
        notification_id=notification_id,
        service_id=unknown_service,
        failure_kind=FailureKind(outcome),
        provider=provider,
        reason=detail,
        failed_at=now(),
    )


def _valid_id(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def create_app(settings: CommonSettings) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        producer = EventProducer(settings, client_id="receipts")
        await producer.start()
        app.state.producer = producer
        yield
        await producer.stop()

    app = FastAPI(title="Receipts", lifespan=lifespan, docs_url=None, redoc_url=None)

    async def record(request: Request, event: Event) -> JSONResponse:
        producer: EventProducer = request.app.state.producer
        await producer.publish(topics.NOTIFICATION_STATUS, event)
        return JSONResponse({"result": "success"})

    @app.post("/notifications/sms/mmg")
    async def mmg(request: Request) -> JSONResponse:
        try:
            body = await request.json()
            cid, status = str(body["CID"]), str(body["status"])
        except (ValueError, KeyError, TypeError):
            return JSONResponse({"result": "error", "message": "MMG callback failed: invalid body"}, 400)
        if not _valid_id(cid):
            return JSONResponse({"result": "error", "message": "MMG callback with invalid reference"}, 400)
        substatus = body.get("substatus")
        detail = f"mmg status {status}" + (f"/{substatus}" if substatus is not None else "")
        return await record(request, receipt_event(cid, "mmg", mmg_outcome(status), detail))

    @app.post("/notifications/sms/firetext")
    async def firetext(request: Request) -> JSONResponse:
        form = await request.form()
        reference, status = str(form.get("reference", "")), str(form.get("status", ""))
        if not status or not _valid_id(reference):
            return JSONResponse({"result": "error", "message": "Firetext callback failed: invalid body"}, 400)
        code = form.get("code")
        outcome = firetext_outcome(status, str(code) if code is not None else None)
        return await record(
            request, receipt_event(reference, "firetext", outcome, f"firetext status {status}")
        )

    @app.get("/healthz")
    async def healthz() -> JSONResponse:
        return JSONResponse({"status": "ok"})

    @app.get("/readyz")
    async def readyz() -> JSONResponse:
        return JSONResponse({"status": "ready"})

    return app

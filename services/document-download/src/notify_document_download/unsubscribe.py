"""The hosted unsubscribe link of emails whose template has "Add an unsubscribe link"
(docs/unsubscribe.md): the recipient-facing end of it, among the platform's other public pages.

* ``GET /unsubscribe/{notification_id}/{token}``: the page the link in the email opens, asking
  "Are you sure you want to unsubscribe?" with a button that POSTs to the same URL (a plain form:
  no JavaScript).
* ``POST /unsubscribe/{notification_id}/{token}``: the request itself, from that button or from a
  mail client's one-click unsubscribe (RFC 8058, the List-Unsubscribe header). It publishes
  ``UnsubscribeRequested`` and answers Notify's ``{"result": "success", ...}``, or sends a browser
  on to ``/unsubscribe/confirmed``. The projector records it once per email, however often it is
  posted.

A token that was not made for the notification is 404 before anything is read; so is an email the
platform no longer holds. While PostgreSQL or Kafka does not answer within its bound the answer is
a prompt 503 with Retry-After. Logs carry ids only, never the recipient.
"""

from __future__ import annotations

import html
import logging
import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from sqlalchemy import text

from notify_common.api_errors import ApiError
from notify_common.db.bounded import is_unavailable
from notify_common.events import UnsubscribeRequested, now
from notify_document_download.layout import SECURITY_HEADERS, page, unavailable
from notify_document_download.publisher import KafkaUnavailable
from notify_document_download.state import AppState, current

router = APIRouter(include_in_schema=False)
log = logging.getLogger(__name__)

NOT_VALID = "This is not a valid unsubscribe link."
EXPIRED = "This unsubscribe link is invalid or expired."
UNAVAILABLE = "Unsubscribe requests cannot be taken right now. Try again later"
CONFIRMED_PATH = "/unsubscribe/confirmed"
NOTIFICATION = text(
    "SELECT service_id, template_id, template_version FROM projection_notifications "
    "WHERE id = CAST(:id AS uuid) AND notification_type = 'email'"
)
ASK = (
    "<p>If you want to unsubscribe you will no longer receive these emails.</p>"
    '<form method="post" action="{action}"><button type="submit">Confirm</button></form>'
    "<p>This can take a few days.</p>"
)
DONE = "<p>It can take a few days to unsubscribe you from these emails.</p>"
FAILED = (
    "<p>We could not unsubscribe you from these emails.</p>"
    "<p>If you pasted the web address from an email, check you copied the entire address.</p>"
)


def _wants_html(request: Request) -> bool:
    return "text/html" in request.headers.get("accept", "")


def _valid(request: Request, notification_id: str, token: str) -> bool:
    return current(request).unsubscribe_links.is_valid(notification_id, token)


def _refused(request: Request, message: str) -> Response:
    if _wants_html(request):
        return page("There is a problem", FAILED, 404)
    return JSONResponse(ApiError(404, "InvalidRequest", message).body(), status_code=404)


def _unavailable(request: Request, dependency: str) -> Response:
    log.warning("unsubscribe request not taken: dependency unavailable", extra={"dependency": dependency})
    if _wants_html(request):
        return unavailable()
    error = ApiError(503, "ServiceUnavailableError", UNAVAILABLE, headers={"Retry-After": "5"})
    return JSONResponse(error.body(), status_code=503, headers=error.headers)


async def _email(state: AppState, notification_id: str) -> dict[str, Any] | None:
    async with state.engine.connect() as conn:
        row = (await conn.execute(NOTIFICATION, {"id": notification_id})).mappings().first()
    return dict(row) if row is not None else None


@router.get(CONFIRMED_PATH)
async def confirmed() -> HTMLResponse:
    return page("We have your request to unsubscribe", DONE)


@router.get("/unsubscribe/{notification_id}/{token}")
async def confirmation_page(request: Request, notification_id: str, token: str) -> Response:
    if not _valid(request, notification_id, token):
        return page("There is a problem", FAILED, 404)
    action = html.escape(f"/unsubscribe/{notification_id}/{token}")
    return page("Are you sure you want to unsubscribe?", ASK.format(action=action))


@router.post("/unsubscribe/{notification_id}/{token}")
async def unsubscribe(request: Request, notification_id: str, token: str) -> Response:
    state = current(request)
    if not _valid(request, notification_id, token):
        log.info("unsubscribe link refused", extra={"notification_id": notification_id[:36]})
        return _refused(request, NOT_VALID)
    try:
        email = await _email(state, notification_id)
    except Exception as exc:
        if not is_unavailable(exc):
            raise
        return _unavailable(request, "postgres")
    if email is None:
        log.info("unsubscribe link of an unknown email", extra={"notification_id": notification_id})
        return _refused(request, EXPIRED)
    event = UnsubscribeRequested(
        notification_id=str(uuid.UUID(notification_id)),
        service_id=str(email["service_id"]),
        template_id=str(email["template_id"]) if email["template_id"] else None,
        template_version=email["template_version"],
        requested_at=now(),
    )
    try:
        await state.unsubscribes.publish(event)
    except KafkaUnavailable:
        return _unavailable(request, "kafka")
    log.info(
        "unsubscribe request received",
        extra={"notification_id": event.notification_id, "service_id": event.service_id},
    )
    if _wants_html(request):
        return RedirectResponse(CONFIRMED_PATH, status_code=303, headers=SECURITY_HEADERS)
    return JSONResponse({"result": "success", "message": "Unsubscribe successful"})

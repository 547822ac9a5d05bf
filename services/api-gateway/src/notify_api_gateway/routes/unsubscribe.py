"""The hosted unsubscribe link of emails whose template has "Add an unsubscribe link"
(docs/unsubscribe.md): the recipient-facing end of it, on the public API's host as in GOV.UK Notify.

* ``GET /unsubscribe/{notification_id}/{token}``: the page the link in the email opens, asking
  "Are you sure you want to unsubscribe?" with a button that POSTs to the same URL (a plain form:
  no JavaScript).
* ``POST /unsubscribe/{notification_id}/{token}``: the request itself, from that button or from a
  mail client's one-click unsubscribe (RFC 8058, the List-Unsubscribe header). It publishes
  ``UnsubscribeRequested`` and answers Notify's ``{"result": "success", ...}``, or sends a browser
  on to ``/unsubscribe/confirmed``. The projector records it once per email, however often it is
  posted.

A token that was not made for the notification is 404 before anything is read; so is an email the
platform no longer holds. Logs carry ids only, never the recipient.
"""

from __future__ import annotations

import html
import logging
import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from sqlalchemy import text

from notify_api_gateway.dependencies import AppState, State
from notify_common import topics
from notify_common.api_errors import ApiError
from notify_common.events import UnsubscribeRequested, now
from notify_common.unsubscribe import UnsubscribeLinks

router = APIRouter(include_in_schema=False)
log = logging.getLogger(__name__)

NOT_VALID = "This is not a valid unsubscribe link."
EXPIRED = "This unsubscribe link is invalid or expired."
CONFIRMED_PATH = "/unsubscribe/confirmed"
NOTIFICATION = text(
    "SELECT service_id, template_id, template_version FROM projection_notifications "
    "WHERE id = CAST(:id AS uuid) AND notification_type = 'email'"
)
SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'",
    "X-Robots-Tag": "noindex, nofollow",
}
PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>{title}</title>
<style>body{{font-family:Arial,sans-serif;font-size:1.1rem;line-height:1.4;max-width:40rem;
margin:2rem auto;padding:0 1rem;color:#0b0c0c}}
button{{font-size:1.1rem;padding:.5rem 1.2rem;color:#fff;background:#00703c;border:0;
box-shadow:0 2px 0 #002d18;cursor:pointer}}
button:focus{{outline:3px solid #fd0;outline-offset:0}}</style></head>
<body><main><h1>{title}</h1>{content}</main></body></html>
"""
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


def _page(title: str, content: str, status_code: int = 200) -> HTMLResponse:
    return HTMLResponse(
        PAGE.format(title=html.escape(title), content=content),
        status_code=status_code,
        headers=SECURITY_HEADERS,
    )


def _wants_html(request: Request) -> bool:
    return "text/html" in request.headers.get("accept", "")


def _valid(state: AppState, notification_id: str, token: str) -> bool:
    return UnsubscribeLinks(state.settings.secret_key.get_secret_value()).is_valid(notification_id, token)


def _refused(request: Request, message: str) -> Response:
    if _wants_html(request):
        return _page("There is a problem", FAILED, 404)
    return JSONResponse(ApiError(404, "InvalidRequest", message).body(), status_code=404)


async def _email(state: AppState, notification_id: str) -> dict[str, Any] | None:
    async with state.repository.engine.connect() as conn:
        row = (await conn.execute(NOTIFICATION, {"id": notification_id})).mappings().first()
    return dict(row) if row is not None else None


@router.get(CONFIRMED_PATH)
async def confirmed() -> HTMLResponse:
    return _page("We have your request to unsubscribe", DONE)


@router.get("/unsubscribe/{notification_id}/{token}")
async def confirmation_page(request: Request, notification_id: str, token: str, state: State) -> Response:
    if not _valid(state, notification_id, token):
        return _page("There is a problem", FAILED, 404)
    action = html.escape(f"/unsubscribe/{notification_id}/{token}")
    return _page("Are you sure you want to unsubscribe?", ASK.format(action=action))


@router.post("/unsubscribe/{notification_id}/{token}")
async def unsubscribe(request: Request, notification_id: str, token: str, state: State) -> Response:
    if not _valid(state, notification_id, token):
        log.info("unsubscribe link refused", extra={"notification_id": notification_id[:36]})
        return _refused(request, NOT_VALID)
    email = await _email(state, notification_id)
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
    await state.producer.publish(topics.UNSUBSCRIBE_REQUESTS, event)
    log.info(
        "unsubscribe request received",
        extra={"notification_id": event.notification_id, "service_id": event.service_id},
    )
    if _wants_html(request):
        return RedirectResponse(CONFIRMED_PATH, status_code=303, headers=SECURITY_HEADERS)
    return JSONResponse({"result": "success", "message": "Unsubscribe successful"})

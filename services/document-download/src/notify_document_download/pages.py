"""GET/POST /d/{service_id}/{document_id}?key=...: where a file sent by email is downloaded.

The link in the email carries the document's key. Without confirmation the GET answers with the
file itself; with ``confirm_email_before_download`` (the default) it answers a small page asking for
the email address the file was sent to, and a POST of the right address answers with the file. A
wrong address gets the page again with an error, never the address; after 10 wrong ones in an hour
every attempt is refused with 429 until the hour is over (``document_attempts``). An unknown
document or a wrong key is 404, an expired one 410. The pages of a document that exists say how to
contact the service that sent it (its contact link, as it was when the file was sent: it is sealed
with the file, so a page that shows it needs the link's key). Pages and files are never cached, never
framed and send no Referer (the key is in the URL). Logs carry ids only.
"""

from __future__ import annotations

import hmac
import html
import logging
import uuid
from urllib.parse import parse_qs, quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from notify_common.documents import Document, DocumentExpired, key_from_token, recipient_digest
from notify_common.recipients import InvalidRecipientError, validate_email_address
from notify_document_download.layout import SECURITY_HEADERS, page
from notify_document_download.state import current

router = APIRouter(include_in_schema=False)
log = logging.getLogger(__name__)
MAX_FORM_BYTES = 4096
WRONG_ADDRESS = "This is not the email address the file was sent to. Check it and try again."


def _contact(document: Document | None) -> str:
    """ "If you have any questions, contact …" for the service's contact link; empty without one."""
    if document is None or not document.contact_link:
        return ""
    link = document.contact_link
    if link.lower().startswith(("http://", "https://")):
        href = link
    elif "@" in link:
        href = f"mailto:{link}"
    else:
        href = "tel:" + "".join(c for c in link if c.isdigit() or c == "+")
    return (
        f"<p>If you have any questions, contact {html.escape(document.service_name)}: "
        f'<a href="{html.escape(href)}" rel="noreferrer noopener">{html.escape(link)}</a></p>'
    )


def _not_found() -> HTMLResponse:
    return page(
        "File not found",
        "<p>Check the link in your email. If it still does not work, contact the service that sent it.</p>",
        404,
    )


def _expired(contact: str) -> HTMLResponse:
    return page(
        "This file is no longer available",
        "<p>Files can only be downloaded for a limited time. Contact the service that sent it.</p>" + contact,
        410,
    )


def _confirm_page(contact: str, error: str | None = None) -> HTMLResponse:
    message = f'<p class="error" role="alert">{html.escape(error)}</p>' if error else ""
    form = (
        "<p>Enter the email address this file was sent to, to download it.</p>"
        f"{message}"
        '<form method="post"><label for="email_address">Email address</label><br>'
        '<input id="email_address" name="email_address" type="email" autocomplete="email" '
        'spellcheck="false" required><br><button type="submit">Continue</button></form>'
        f"{contact}"
    )
    return page("Confirm your email address", form, 400 if error else 200)


def _too_many_attempts(contact: str, retry_after: int) -> HTMLResponse:
    minutes = max(1, -(-retry_after // 60))
    wait = "1 minute" if minutes == 1 else f"{minutes} minutes"
    content = (
        "<p>The wrong email address was entered too many times, so this file cannot be downloaded "
        f"for now.</p><p>Try again in {wait}, with the email address the file was sent to.</p>{contact}"
    )
    return page("Too many attempts", content, 429, {"Retry-After": str(retry_after)})


def _file(document: Document) -> Response:
    ascii_name = document.filename.encode("ascii", "replace").decode().replace("?", "_")
    disposition = f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(document.filename)}"
    return Response(
        document.content,
        media_type=document.mimetype,
        headers={**SECURITY_HEADERS, "Content-Disposition": disposition},
    )


async def _open(request: Request, service_id: str, document_id: str) -> tuple[Document, bytes] | Response:
    """The document and its key, or the page to answer instead."""
    key = key_from_token(request.query_params.get("key", ""))
    if key is None or not _is_uuid(service_id) or not _is_uuid(document_id):
        return _not_found()
    try:
        document = await current(request).documents.get(service_id, document_id, key)
    except DocumentExpired as expired:
        return _expired(_contact(expired.document))
    if document is None:
        log.info("document not opened", extra={"service_id": service_id, "document_id": document_id})
        return _not_found()
    return document, key


@router.get("/d/{service_id}/{document_id}")
async def download(service_id: str, document_id: str, request: Request) -> Response:
    opened = await _open(request, service_id, document_id)
    if isinstance(opened, Response):
        return opened
    document, _ = opened
    if document.confirm_email:
        return _confirm_page(_contact(document))
    log.info("document downloaded", extra={"service_id": service_id, "document_id": document_id})
    return _file(document)


@router.post("/d/{service_id}/{document_id}")
async def confirm_and_download(service_id: str, document_id: str, request: Request) -> Response:
    opened = await _open(request, service_id, document_id)
    if isinstance(opened, Response):
        return opened
    document, key = opened
    if document.confirm_email:
        ids = {"service_id": service_id, "document_id": document_id}
        attempts = current(request).attempts
        attempt = await attempts.take(service_id, document_id)
        if not attempt.allowed:
            log.info("document locked: too many wrong addresses", extra=ids)
            return _too_many_attempts(_contact(document), attempt.retry_after)
        given = _submitted_address(await request.body())
        expected = document.recipient_digest or b""
        if given is None or not hmac.compare_digest(recipient_digest(key, given), expected):
            log.info("document address refused", extra=ids)
            return _confirm_page(_contact(document), WRONG_ADDRESS)
        await attempts.give_back(service_id, document_id)
    log.info("document downloaded", extra={"service_id": service_id, "document_id": document_id})
    return _file(document)


def _submitted_address(body: bytes) -> str | None:
    """The address from the form, normalised as recipients are; None when there is none."""
    if len(body) > MAX_FORM_BYTES:
        return None
    values = parse_qs(body.decode("utf-8", "replace")).get("email_address", [])
    if not values:
        return None
    try:
        return validate_email_address(values[0])
    except InvalidRecipientError:
        return None


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True

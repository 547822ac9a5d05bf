"""GET/POST /d/{service_id}/{document_id}?key=...: where a file sent by email is downloaded.

The link in the email carries the document's key. Without confirmation the GET answers with the
file itself; with ``confirm_email_before_download`` (the default) it answers a small page asking for
the email address the file was sent to, and a POST of the right address answers with the file. A
wrong address gets the page again with an error, never the address. An unknown document or a wrong
key is 404, an expired one 410. Pages and files are never cached, never framed and send no
Referer (the key is in the URL). Logs carry ids only. Not part of Notify's API, so not in the
OpenAPI document.
"""

from __future__ import annotations

import hmac
import html
import logging
import uuid
from urllib.parse import parse_qs, quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from notify_api_gateway.document_uploads import key_from_token, recipient_digest
from notify_api_gateway.documents import DocumentExpired, StoredDocument, document_store
from notify_common.recipients import InvalidRecipientError, validate_email_address

router = APIRouter(include_in_schema=False)
log = logging.getLogger(__name__)
MAX_FORM_BYTES = 4096
SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'",
    "X-Robots-Tag": "noindex, nofollow",
}
WRONG_ADDRESS = "This is not the email address the file was sent to. Check it and try again."
PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>{title}</title>
<style>body{{font-family:Arial,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;color:#0b0c0c}}
.error{{color:#d4351c;font-weight:bold}} input{{font-size:1.1rem;padding:.3rem;width:100%;max-width:25rem}}
button{{font-size:1.1rem;margin-top:1rem;padding:.4rem 1rem}}</style></head>
<body><h1>{title}</h1>{content}</body></html>
"""


def _page(title: str, content: str, status_code: int) -> HTMLResponse:
    return HTMLResponse(
        PAGE.format(title=html.escape(title), content=content),
        status_code=status_code,
        headers=SECURITY_HEADERS,
    )


def _not_found() -> HTMLResponse:
    return _page(
        "File not found",
        "<p>Check the link in your email. If it still does not work, contact the service that sent it.</p>",
        404,
    )


def _expired() -> HTMLResponse:
    return _page(
        "This file is no longer available",
        "<p>Files can only be downloaded for a limited time. Contact the service that sent it.</p>",
        410,
    )


def _confirm_page(error: str | None = None) -> HTMLResponse:
    message = f'<p class="error" role="alert">{html.escape(error)}</p>' if error else ""
    form = (
        "<p>Enter the email address this file was sent to, to download it.</p>"
        f"{message}"
        '<form method="post"><label for="email_address">Email address</label><br>'
        '<input id="email_address" name="email_address" type="email" autocomplete="email" '
        'spellcheck="false" required><br><button type="submit">Continue</button></form>'
    )
    return _page("Confirm your email address", form, 400 if error else 200)


def _file(document: StoredDocument) -> Response:
    ascii_name = document.filename.encode("ascii", "replace").decode().replace("?", "_")
    disposition = f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(document.filename)}"
    return Response(
        document.content,
        media_type=document.mimetype,
        headers={**SECURITY_HEADERS, "Content-Disposition": disposition},
    )


async def _open(
    request: Request, service_id: str, document_id: str
) -> tuple[StoredDocument, bytes] | Response:
    """The document and its key, or the page to answer instead."""
    key = key_from_token(request.query_params.get("key", ""))
    if key is None or not _is_uuid(service_id) or not _is_uuid(document_id):
        return _not_found()
    try:
        document = await document_store(request).get(service_id, document_id, key)
    except DocumentExpired:
        return _expired()
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
        return _confirm_page()
    log.info("document downloaded", extra={"service_id": service_id, "document_id": document_id})
    return _file(document)


@router.post("/d/{service_id}/{document_id}")
async def confirm_and_download(service_id: str, document_id: str, request: Request) -> Response:
    opened = await _open(request, service_id, document_id)
    if isinstance(opened, Response):
        return opened
    document, key = opened
    if document.confirm_email:
        given = _submitted_address(await request.body())
        expected = document.recipient_digest or b""
        if given is None or not hmac.compare_digest(recipient_digest(key, given), expected):
            log.info("document address refused", extra={"service_id": service_id, "document_id": document_id})
            return _confirm_page(WRONG_ADDRESS)
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

"""POST /v2/notifications/bulk (beyond GOV.UK Notify, shaped as GC Notify's, reference §13).

``{"template_id", "name", "rows": [[header...], [row...], ...]}`` or ``"csv": "<text>"`` becomes a
job: every row is checked exactly as a single send would be (all or nothing; up to 20 row errors are
reported), counted against the daily limits as a whole, and published to the channel's **bulk**
lane with the job id and row number, so a big job never queues in front of one-off sends. With
``scheduled_for`` (up to 7 days ahead) the rows are held and published at that time.
"""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from notify_api_gateway.dependencies import Caller, State
from notify_api_gateway.errors import ApiError, bad_request, validation_error
from notify_api_gateway.openapi_docs import SEND_RESPONSES, body_schema
from notify_api_gateway.presenters import fmt
from notify_api_gateway.routes.common import accept_many, enforce_rate_limit, idempotent, parse_json, url_root
from notify_api_gateway.schemas import POST_BULK
from notify_api_gateway.sending import (
    PreparedSend,
    SendContext,
    check_can_send_letters,
    check_channel_permission,
    check_template,
    prepare_email,
    prepare_letter,
    prepare_sms,
)
from notify_api_gateway.validation import parse_scheduled_for, validate

router = APIRouter(tags=["Send"])
MAX_ROW_ERRORS = 20
RECIPIENT_COLUMN = {"sms": "phonenumber", "email": "emailaddress", "letter": "addressline1"}
RECIPIENT_FIELD = {"sms": "phone_number", "email": "email_address"}
SENDER_FIELD = {"sms": "sms_sender_id", "email": "email_reply_to_id"}


def _key(heading: str) -> str:
    return "".join(c for c in heading.lower() if c not in " _-")


def table_from(body: dict[str, Any]) -> list[list[str]]:
    if ("rows" in body) == ("csv" in body):
        raise bad_request("You should specify either rows or csv")
    if "rows" in body:
        return [["" if cell is None else str(cell) for cell in row] for row in body["rows"]]
    try:
        table = list(csv.reader(io.StringIO(body["csv"])))
    except csv.Error:
        raise bad_request("The CSV file could not be read") from None
    return [row for row in table if any(cell.strip() for cell in row)]


def row_bodies(
    channel: str, table: list[list[str]], template_id: str, sender_id: str | None
) -> list[dict[str, Any]]:
    """Each data row as the body of a single send; headings match as placeholders do."""
    headings = table[0]
    keys = [_key(h) for h in headings]
    if RECIPIENT_COLUMN[channel] not in keys:
        wanted = {"sms": "phone number", "email": "email address", "letter": "address line 1"}[channel]
        raise bad_request(f"Missing column headers: {wanted}")
    bodies = []
    for row in table[1:]:
        personalisation: dict[str, Any] = {}
        body: dict[str, Any] = {"template_id": template_id, "personalisation": personalisation}
        for heading, key, value in zip(headings, keys, row, strict=False):
            if key == RECIPIENT_COLUMN[channel] and channel in RECIPIENT_FIELD:
                body[RECIPIENT_FIELD[channel]] = value
            elif key == "reference":
                body["reference"] = value or None
            else:
                personalisation[heading] = value
        if channel in RECIPIENT_FIELD:
            body.setdefault(RECIPIENT_FIELD[channel], "")
        if sender_id and channel in SENDER_FIELD:
            body[SENDER_FIELD[channel]] = sender_id
        bodies.append(body)
    return bodies


@router.post(
    "/v2/notifications/bulk", status_code=201, openapi_extra=body_schema(POST_BULK), responses=SEND_RESPONSES
)
async def post_bulk(request: Request, state: State, caller: Caller) -> Response:
    """Send one template to many recipients: rows (first row the headings) or CSV text."""
    raw = await request.body()

    async def run() -> JSONResponse:
        await enforce_rate_limit(state, caller)
        body = validate(parse_json(raw), POST_BULK)
        table = table_from(body)
        if len(table) < 2:
            raise bad_request("The file has no rows of data")
        if len(table) - 1 > state.settings.bulk_max_rows:
            raise bad_request(
                f"Too many rows. Maximum number of rows allowed is {state.settings.bulk_max_rows}"
            )
        template = await state.repository.template(caller.service.id, body["template_id"])
        if template is None:
            raise bad_request("Template not found")
        channel = template.template_type
        check_channel_permission(caller, channel)
        if channel == "letter":
            check_can_send_letters(caller)
        check_template(template, channel)
        scheduled_for = parse_scheduled_for(body.get("scheduled_for"))
        job_id = str(uuid.uuid4())
        created_at = datetime.now(UTC)
        root = url_root(state, request)
        prepare: Callable[..., PreparedSend] = {
            "sms": prepare_sms,
            "email": prepare_email,
            "letter": prepare_letter,
        }[channel]
        sends: list[PreparedSend] = []
        errors: list[str] = []
        for number, row_body in enumerate(
            row_bodies(channel, table, template.id, body.get("reply_to_id")), 1
        ):
            ctx = SendContext(
                notification_id=str(uuid.uuid4()),
                created_at=created_at,
                url_root=root,
                email_domain=state.settings.email_domain,
                scheduled_for=scheduled_for,
                job_id=job_id,
                job_row_number=number - 1,
            )
            try:
                sends.append(prepare(caller, template, row_body, ctx))
            except ApiError as exc:
                if len(errors) < MAX_ROW_ERRORS:
                    errors.extend(f"Row {number} - {message}" for message in exc.messages)
        if errors:
            raise validation_error(errors[:MAX_ROW_ERRORS])
        await accept_many(state, caller, sends, scheduled_for=scheduled_for, bulk=True)
        data = {
            "id": job_id,
            "job_status": "scheduled" if scheduled_for else "finished",
            "notification_count": len(sends),
            "original_file_name": body["name"],
            "template": template.id,
            "template_version": template.version,
            "service": caller.service.id,
            "created_at": fmt(created_at),
            "scheduled_for": fmt(scheduled_for),
            "api_key": {
                "id": caller.api_key.id,
                "key_type": caller.api_key.key_type,
                "name": caller.api_key.name,
            },
            "sender_id": body.get("reply_to_id"),
        }
        return JSONResponse({"data": data}, status_code=201)

    return await idempotent(request, state, caller, raw, run)

"""POST /v2/notifications/bulk (beyond GOV.UK Notify, shaped as GC Notify's).

``{"template_id", "name", "rows": [[header...], [row...], ...]}`` or ``"csv": "<text>"`` becomes a
job, as in GC Notify: the rows are checked as a CSV upload is (all or nothing; the first 20 row
errors are reported), the daily limit is checked for the whole job, the file is stored in S3 and the
job handed to the job-splitter (``notify_common.jobs.submit_job``), which sends the rows through the
channel's **bulk** lane, resumably, so a big job never queues in front of one-off sends. The job is
then visible at ``GET /v2/jobs/{id}`` and, while scheduled, cancellable. The 201 comes once the file
is stored and the job's events acknowledged.

With ``reply_to_id`` (a sender other than the service's default), rows are instead checked one by
one exactly as single sends and published straight to the bulk lane with the job id and row number
(jobs carry no per-job sender yet).
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

from notify_api_gateway.accept import accept, enforce_rate_limit
from notify_api_gateway.auth import Authenticated
from notify_api_gateway.dependencies import AppState, Caller, State
from notify_api_gateway.openapi_docs import SEND_RESPONSES, body_schema
from notify_api_gateway.presenters import fmt
from notify_api_gateway.routes.common import idempotent, parse_json, url_root
from notify_api_gateway.schemas import POST_BULK
from notify_api_gateway.sending import (
    PreparedSend,
    SendContext,
    check_can_send_letters,
    check_channel_permission,
    check_template,
    daily_limits,
    prepare_email,
    prepare_letter,
    prepare_sms,
)
from notify_api_gateway.validation import parse_scheduled_for, validate
from notify_common.api_errors import ApiError, bad_request, validation_error
from notify_common.errors import RetryableError
from notify_common.jobs.model import CsvLimits
from notify_common.jobs.submit import JobRejected, submit_job
from notify_common.service_config import Template

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
                if key == "language":  # the template's language the row is sent in (blank: default)
                    body["language"] = value.strip() or None
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
        if not body.get("reply_to_id"):
            return await _submit_as_job(request, state, caller, body, table, template, scheduled_for)
        job_id = str(uuid.uuid4())
        created_at = datetime.now(UTC)
        root = url_root(state, request)
        prepare_row: Callable[..., PreparedSend] = {
            "sms": prepare_sms,
            "email": prepare_email,
            "letter": prepare_letter,
        }[channel]

        async def prepare() -> list[PreparedSend]:
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
                    sends.append(prepare_row(caller, template, row_body, ctx))
                except ApiError as exc:
                    if len(errors) < MAX_ROW_ERRORS:
                        errors.extend(f"Row {number} - {message}" for message in exc.messages)
            if errors:
                raise validation_error(errors[:MAX_ROW_ERRORS])
            return sends

        def answer(sends: list[PreparedSend]) -> JSONResponse:
            status = "scheduled" if scheduled_for else "finished"
            return _job_created(
                caller,
                job_id,
                status,
                len(sends),
                body["name"],
                template,
                created_at,
                scheduled_for,
                sender_id=body.get("reply_to_id"),
            )

        # The token was taken above, before the rows were known to become a job or sends.
        return await accept(state, caller, prepare, answer, rate_limit="taken", bulk=True)

    return await idempotent(request, state, caller, raw, run)


def _csv_bytes(table: list[list[str]]) -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(table)
    return out.getvalue().encode()


async def _submit_as_job(
    request: Request,
    state: AppState,
    caller: Authenticated,
    body: dict[str, Any],
    table: list[list[str]],
    template: Template,
    scheduled_for: datetime | None,
) -> JSONResponse:
    daily = daily_limits(caller, template.template_type)[0]
    used = await state.limiter.used_today(caller.service.id, caller.api_key.key_type, daily.name)
    try:
        job = await submit_job(
            engine=state.repository.engine,
            producer=state.producer,
            files=state.job_files,
            service_id=caller.service.id,
            template_id=template.id,
            csv=_csv_bytes(table),
            original_file_name=body["name"],
            key_type=caller.api_key.key_type,
            scheduled_for=scheduled_for,
            created_by=f"api key {caller.api_key.id}",
            limits=CsvLimits(max_rows=state.settings.bulk_max_rows, max_bytes=state.settings.jobs_max_bytes),
            remaining_daily_allowance=None if used is None else max(0, daily.limit - used),
            correlation_id=request.headers.get("x-request-id"),
            ack_within=state.settings.kafka_ack_timeout_seconds,
        )
    except JobRejected as exc:
        if exc.report is not None:
            raise validation_error(exc.messages[: MAX_ROW_ERRORS + 1]) from None
        raise ApiError(exc.status_code, "BadRequestError", exc.messages) from None
    except RetryableError as exc:  # S3 or Kafka unreachable: the client may try again
        raise ApiError(503, "ServiceUnavailable", "The rows could not be stored, try again") from exc
    return _job_created(
        caller,
        job.job_id,
        job.status,
        job.row_count,
        job.original_file_name,
        template,
        datetime.now(UTC),
        scheduled_for,
    )


def _job_created(
    caller: Authenticated,
    job_id: str,
    status: str,
    count: int,
    file_name: str,
    template: Template,
    created_at: datetime,
    scheduled_for: datetime | None,
    sender_id: str | None = None,
) -> JSONResponse:
    """The 201 of a bulk send, in GC Notify's shape, whether its rows became a job or sends."""
    data = {
        "id": job_id,
        "job_status": status,
        "notification_count": count,
        "original_file_name": file_name,
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
        "sender_id": sender_id,
    }
    return JSONResponse({"data": data}, status_code=201)

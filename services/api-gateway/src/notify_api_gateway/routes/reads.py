"""GET /v2/notifications/{id}, GET /v2/notifications (filters, paging) and a letter's PDF.

One notification is read from the projection; while the projector has not caught up it comes from
the read-your-writes cache in Redis, or from the scheduled notifications still held for their time.
"""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from notify_api_gateway.dependencies import AppState, Caller, State
from notify_api_gateway.notification_reads import ListFilter
from notify_api_gateway.openapi_docs import READ_RESPONSES, query_parameters
from notify_api_gateway.presenters import notification
from notify_api_gateway.recent import revive_row
from notify_api_gateway.routes.common import url_root
from notify_api_gateway.schemas import GET_NOTIFICATIONS
from notify_api_gateway.validation import query_dict, validate
from notify_common import statuses
from notify_common.api_errors import ApiError, bad_request, not_found
from notify_common.letter_pdfs import pdf_key

router = APIRouter(tags=["Notifications"])


def check_uuid(value: str, field: str) -> str:
    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise ApiError(400, "ValidationError", f"{field} is not a valid UUID") from None


async def the_notification(state: AppState, caller: Caller, notification_id: str) -> dict[str, Any]:
    """The caller's notification with the id given in the path; 404 if it has none such."""
    row = await find_notification(state, caller, check_uuid(notification_id, "notification_id"))
    if row is None:
        raise not_found()
    return row


def listing_retention(state: AppState, caller: Caller) -> int:
    """How many days back a listing goes: the service's longest retention, else the default."""
    config = caller.config
    return max(
        (config.retention_days.values() if config else []), default=state.settings.default_retention_days
    )


async def find_notification(state: AppState, caller: Caller, notification_id: str) -> dict[str, Any] | None:
    service_id, key_type = caller.service.id, caller.api_key.key_type
    row = await state.reads.notification(service_id, notification_id, key_type)
    if row is not None:
        return row
    row = await state.recent.recall(service_id, notification_id, key_type)
    if row is not None:
        return row
    held = await state.reads.scheduled(service_id, notification_id, key_type)
    return revive_row(held) if held is not None else None


@router.get("/v2/notifications/{notification_id}", responses=READ_RESPONSES)
async def get_notification(
    notification_id: str, request: Request, state: State, caller: Caller
) -> JSONResponse:
    """One notification, with its status and cost data."""
    row = await the_notification(state, caller, notification_id)
    return JSONResponse(notification(row, url_root(state, request), state.settings.billing_letter_prices))


@router.get("/v2/notifications", responses=READ_RESPONSES, openapi_extra=query_parameters(GET_NOTIFICATIONS))
async def list_notifications(request: Request, state: State, caller: Caller) -> JSONResponse:
    """Notifications of the caller's key type, newest first, 250 a page; ``older_than`` pages."""
    query = validate(
        query_dict(list(request.query_params.multi_items()), ("template_type", "status")), GET_NOTIFICATIONS
    )
    filters = ListFilter(
        template_types=query.get("template_type", []),
        statuses=query.get("status", []),
        reference=query.get("reference"),
        older_than=query.get("older_than"),
        include_jobs="include_jobs" in query,
    )
    rows = await state.reads.page(
        caller.service.id, caller.api_key.key_type, filters, listing_retention(state, caller)
    )
    root = url_root(state, request)
    params = [(k, v) for k, v in request.query_params.multi_items() if k != "older_than"]
    current = f"{root}/v2/notifications" + (
        f"?{urlencode(request.query_params.multi_items())}" if request.query_params else ""
    )
    links: dict[str, str] = {"current": current}
    if rows:
        links["next"] = f"{root}/v2/notifications?{urlencode([*params, ('older_than', str(rows[-1]['id']))])}"
    return JSONResponse(
        {
            "notifications": [notification(r, root, state.settings.billing_letter_prices) for r in rows],
            "links": links,
        }
    )


@router.get(
    "/v2/notifications/{notification_id}/pdf",
    responses={
        **READ_RESPONSES,
        200: {"content": {"application/pdf": {}}, "description": "The letter's PDF"},
    },
)
async def get_pdf(notification_id: str, state: State, caller: Caller) -> Response:
    """The PDF of a letter, as it is (or will be) printed."""
    row = await the_notification(state, caller, notification_id)
    if row["notification_type"] != "letter":
        raise bad_request("Notification is not a letter")
    status = row["status"]
    if status == statuses.VIRUS_SCAN_FAILED:
        raise bad_request("File did not pass the virus scan")
    if status == statuses.TECHNICAL_FAILURE:
        raise bad_request(f"PDF not available for letters in status {status}")
    not_ready = ApiError(400, "PDFNotReadyError", "PDF not available yet, try again later")
    if status == statuses.PENDING_VIRUS_CHECK:
        raise not_ready
    pdf = await state.letters.get(pdf_key(caller.service.id, str(row["id"])))
    if pdf is None:
        raise not_ready
    return Response(pdf, media_type="application/pdf")

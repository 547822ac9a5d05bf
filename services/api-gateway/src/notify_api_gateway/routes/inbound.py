"""GET /v2/received-text-messages: text messages people sent to the service's inbound number,
newest first, 250 a page, ``older_than`` pages."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from notify_api_gateway.dependencies import Caller, State
from notify_api_gateway.openapi_docs import READ_RESPONSES, query_parameters
from notify_api_gateway.presenters import received_text
from notify_api_gateway.routes.common import url_root
from notify_api_gateway.schemas import GET_RECEIVED_TEXTS
from notify_api_gateway.validation import query_dict, validate

router = APIRouter(tags=["Received text messages"])


@router.get(
    "/v2/received-text-messages", responses=READ_RESPONSES, openapi_extra=query_parameters(GET_RECEIVED_TEXTS)
)
async def received_text_messages(request: Request, state: State, caller: Caller) -> JSONResponse:
    query = validate(query_dict(list(request.query_params.multi_items()), ()), GET_RECEIVED_TEXTS)
    config = caller.config
    retention = (
        config.retention_days.get("sms") if config else None
    ) or state.settings.default_retention_days
    rows = await state.reads.received_texts(caller.service.id, query.get("older_than"), retention)
    root = url_root(state, request)
    links = {"current": f"{root}/v2/received-text-messages"}
    if rows:
        links["next"] = f"{root}/v2/received-text-messages?older_than={rows[-1]['id']}"
    return JSONResponse({"received_text_messages": [received_text(r) for r in rows], "links": links})

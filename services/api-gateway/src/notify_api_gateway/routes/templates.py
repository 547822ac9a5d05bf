"""GET /v2/template/{id}, GET /v2/template/{id}/version/{version}, GET /v2/templates and
POST /v2/template/{id}/preview."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from notify_api_gateway.dependencies import Caller, State
from notify_api_gateway.openapi_docs import READ_RESPONSES, body_schema, query_parameters
from notify_api_gateway.presenters import template as present_template
from notify_api_gateway.routes.common import parse_json
from notify_api_gateway.routes.reads import check_uuid
from notify_api_gateway.schemas import GET_TEMPLATES, POST_TEMPLATE_PREVIEW
from notify_api_gateway.sending import check_qr_codes, choose_language
from notify_api_gateway.validation import query_dict, validate
from notify_common.api_errors import ApiError, bad_request, not_found
from notify_common.templates import (
    email_markdown_to_html,
    fill_placeholders,
    join_with_and,
    missing_personalisation,
)
from notify_common.templates.placeholders import as_markdown_list

router = APIRouter(tags=["Templates"])


@router.get("/v2/template/{template_id}", responses=READ_RESPONSES)
async def get_template(template_id: str, state: State, caller: Caller) -> JSONResponse:
    """The latest version of a template."""
    template = await state.repository.template(caller.service.id, check_uuid(template_id, "id"))
    if template is None:
        raise not_found()
    return JSONResponse(present_template(template))


@router.get("/v2/template/{template_id}/version/{version}", responses=READ_RESPONSES)
async def get_template_version(template_id: str, version: str, state: State, caller: Caller) -> JSONResponse:
    """One version of a template (versions start at 1)."""
    template_id = check_uuid(template_id, "id")
    if not version.isascii() or not version.isdigit() or int(version) < 1:
        raise ApiError(
            400, "ValidationError", f"version {version} is not a valid version (an integer of 1 or more)"
        )
    template = await state.repository.template(caller.service.id, template_id, int(version))
    if template is None:
        raise not_found()
    return JSONResponse(present_template(template))


@router.get("/v2/templates", responses=READ_RESPONSES, openapi_extra=query_parameters(GET_TEMPLATES))
async def get_templates(request: Request, state: State, caller: Caller) -> JSONResponse:
    """Every template of the service (latest versions), optionally of one type."""
    query = validate(query_dict(list(request.query_params.multi_items()), ()), GET_TEMPLATES)
    templates = await state.repository.templates(caller.service.id, query.get("type"))
    return JSONResponse({"templates": [present_template(t) for t in templates]})


@router.post(
    "/v2/template/{template_id}/preview",
    openapi_extra=body_schema(POST_TEMPLATE_PREVIEW),
    responses=READ_RESPONSES,
)
async def preview_template(template_id: str, request: Request, state: State, caller: Caller) -> JSONResponse:
    """A template rendered with personalisation; extra keys are ignored, missing ones are a 400."""
    template_id = check_uuid(template_id, "id")
    body = validate(parse_json(await request.body()), POST_TEMPLATE_PREVIEW)
    template = await state.repository.template(caller.service.id, template_id)
    if template is None:
        raise not_found()
    personalisation = body.get("personalisation") or {}
    chosen = choose_language(template, body)  # beyond Notify: a template's other languages
    content, subject_template = chosen.content, chosen.subject
    texts = [content] if template.template_type == "sms" else [subject_template or "", content]
    missing = missing_personalisation(texts, personalisation)
    if missing:
        raise bad_request(f"Missing personalisation: {', '.join(missing)}")
    format_list = join_with_and if template.template_type == "sms" else as_markdown_list
    filled = fill_placeholders(content, personalisation, format_list=format_list)
    if template.template_type == "letter":
        check_qr_codes(filled)
    subject = None
    if template.template_type != "sms":
        subject = " ".join(
            fill_placeholders(subject_template or "", personalisation, format_list=join_with_and).split()
        )
    return JSONResponse(
        {
            "id": template.id,
            "type": template.template_type,
            "version": template.version,
            "body": filled,
            "html": email_markdown_to_html(filled) if template.template_type == "email" else None,
            "subject": subject,
            "postage": template.postage if template.template_type == "letter" else None,
        }
    )

"""POST /v2/notifications/{sms,email} and GET /v2/notifications/{id}.

A POST is answered 201 only once Kafka has acknowledged the notification-requested event: an
accepted notification is durable. Everything that can be refused is checked first, in Notify's
order, with Notify's messages.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from notify_api_gateway.dependencies import Caller, State
from notify_api_gateway.errors import ApiError, bad_request, not_found
from notify_api_gateway.presenters import fmt, notification, template_uri
from notify_api_gateway.repository import Template, recipient_allowed
from notify_api_gateway.validation import POST_EMAIL, POST_SMS, validate
from notify_common import topics
from notify_common.events import EmailRequested, SmsRequested, new_event_id, now
from notify_common.recipients import InvalidRecipientError, validate_email_address, validate_phone_number
from notify_common.templates import (
    MessageEmptyError,
    MessageTooLongError,
    missing_personalisation,
    render_email,
    render_sms,
)

router = APIRouter()

CHANNEL_WORDS = {"sms": "text messages", "email": "emails", "letter": "letters"}
TRIAL_MODE_MESSAGE = (
    "Can’t send to this recipient when service is in trial mode – see "
    "https://www.notifications.service.gov.uk/trial-mode"
)


async def json_body(request: Request) -> Any:
    raw = await request.body()
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise bad_request("Invalid JSON supplied in POST data") from None


def url_root(state: State, request: Request) -> str:
    return (state.settings.public_url_root or str(request.base_url)).rstrip("/")


async def usable_template(state: State, caller: Caller, template_id: str, channel: str) -> Template:
    template = await state.repository.template(caller.service.id, template_id)
    if template is None:
        raise bad_request("Template not found")
    if template.archived:
        raise bad_request("Template has been deleted")
    if template.template_type != channel:
        raise bad_request(f"{template.template_type} template is not suitable for {channel} notification")
    return template


def check_personalisation(texts: list[str], personalisation: Mapping[str, object]) -> None:
    missing = missing_personalisation(texts, personalisation)
    if missing:
        raise bad_request(f"Missing personalisation: {', '.join(missing)}")


async def check_recipient_allowed(state: State, caller: Caller, recipient_type: str, normalised: str) -> None:
    key_type = caller.api_key.key_type
    if key_type == "test" or (key_type == "normal" and not caller.service.restricted):
        return
    if await recipient_allowed(state.repository.engine, caller.service.id, recipient_type, normalised):
        return
    if key_type == "team":
        raise bad_request("Can’t send to this recipient using a team-only API key")
    raise bad_request(TRIAL_MODE_MESSAGE)


def check_channel_permission(caller: Caller, channel: str) -> None:
    if channel not in caller.service.permissions:
        raise bad_request(f"Service is not allowed to send {CHANNEL_WORDS[channel]}")


@router.post("/v2/notifications/sms", status_code=201)
async def post_sms(request: Request, state: State, caller: Caller) -> JSONResponse:
    body = validate(await json_body(request), POST_SMS)
    check_channel_permission(caller, "sms")
    template = await usable_template(state, caller, body["template_id"], "sms")
    personalisation: dict[str, object] = body.get("personalisation") or {}
    check_personalisation([template.content], personalisation)
    try:
        phone = validate_phone_number(
            body["phone_number"], allow_international="international_sms" in caller.service.permissions
        )
    except InvalidRecipientError as exc:
        raise bad_request(exc.message) from None
    await check_recipient_allowed(state, caller, "mobile", phone.normalised)
    service = caller.service
    try:
        rendered = render_sms(
            template.content, personalisation, prefix=service.name if service.prefix_sms else None
        )
    except (MessageTooLongError, MessageEmptyError) as exc:
        raise bad_request(str(exc)) from None

    notification_id = str(uuid.uuid4())
    created = now()
    event = SmsRequested(
        event_id=new_event_id(),
        notification_id=notification_id,
        service_id=service.id,
        occurred_at=created,
        correlation_id=request.headers.get("x-request-id"),
        template_id=template.id,
        template_version=template.version,
        key_type=caller.api_key.key_type,
        api_key_id=caller.api_key.id,
        job_id=None,
        job_row_number=None,
        client_reference=body.get("reference"),
        phone_number=phone.normalised,
        international=phone.international,
        sender=service.sms_sender,
        body=rendered.body,
        fragment_count=rendered.fragment_count,
        rate_multiplier=phone.rate_multiplier,
        created_at=created,
    )
    await state.producer.publish(topics.requested_topic("sms"), event)
    root = url_root(state, request)
    return JSONResponse(
        status_code=201,
        content={
            "id": notification_id,
            "reference": body.get("reference"),
            "uri": f"{root}/v2/notifications/{notification_id}",
            "template": {
                "id": template.id,
                "version": template.version,
                "uri": template_uri(root, template.id),
            },
            "scheduled_for": None,
            "content": {"body": rendered.body, "from_number": service.sms_sender},
        },
    )


@router.post("/v2/notifications/email", status_code=201)
async def post_email(request: Request, state: State, caller: Caller) -> JSONResponse:
    body = validate(await json_body(request), POST_EMAIL)
    check_channel_permission(caller, "email")
    template = await usable_template(state, caller, body["template_id"], "email")
    personalisation: dict[str, object] = body.get("personalisation") or {}
    check_personalisation([template.subject or "", template.content], personalisation)
    address = validate_email_address(body["email_address"])
    await check_recipient_allowed(state, caller, "email", address)
    try:
        rendered = render_email(template.subject or "", template.content, personalisation)
    except (MessageTooLongError, MessageEmptyError) as exc:
        raise bad_request(str(exc)) from None
    service = caller.service
    notification_id = str(uuid.uuid4())
    created = now()
    event = EmailRequested(
        event_id=new_event_id(),
        notification_id=notification_id,
        service_id=service.id,
        occurred_at=created,
        correlation_id=request.headers.get("x-request-id"),
        template_id=template.id,
        template_version=template.version,
        key_type=caller.api_key.key_type,
        api_key_id=caller.api_key.id,
        job_id=None,
        job_row_number=None,
        client_reference=body.get("reference"),
        email_address=address,
        subject=rendered.subject,
        body=rendered.body,
        from_name=service.name,
        reply_to=None,
        one_click_unsubscribe_url=body.get("one_click_unsubscribe_url"),
        created_at=created,
    )
    await state.producer.publish(topics.requested_topic("email"), event)
    root = url_root(state, request)
    return JSONResponse(
        status_code=201,
        content={
            "id": notification_id,
            "reference": body.get("reference"),
            "uri": f"{root}/v2/notifications/{notification_id}",
            "template": {
                "id": template.id,
                "version": template.version,
                "uri": template_uri(root, template.id),
            },
            "scheduled_for": None,
            "content": {
                "from_email": f"{service.email_from}@{state.settings.email_domain}",
                "body": rendered.body,
                "subject": rendered.subject,
                "one_click_unsubscribe_url": body.get("one_click_unsubscribe_url"),
            },
        },
    )


@router.get("/v2/notifications/{notification_id}")
async def get_notification(
    notification_id: str, request: Request, state: State, caller: Caller
) -> JSONResponse:
    try:
        uuid.UUID(notification_id)
    except ValueError:
        raise ApiError(400, "ValidationError", "notification_id is not a valid UUID") from None
    row = await state.repository.notification(caller.service.id, notification_id, caller.api_key.key_type)
    if row is None:
        raise not_found()
    return JSONResponse(notification(row, url_root(state, request)))


__all__ = ["fmt", "router"]

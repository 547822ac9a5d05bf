"""Deciding a send: from a validated request, the caller and the template, either a refusal (an
``ApiError`` with Notify's message, in Notify's order of checks) or a ``PreparedSend`` holding the
event to publish, the 201 body, the row GET shows until the projection has it, and the daily
limits to count. Pure: no I/O, so every rule is unit-tested without a database or a broker.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from notify_api_gateway.auth import Authenticated
from notify_api_gateway.errors import qr_code_too_long
from notify_api_gateway.presenters import fmt, template_uri
from notify_api_gateway.sanitise import sanitise_personalisation
from notify_common import topics
from notify_common.annual_limits import financial_year
from notify_common.api_errors import ApiError, bad_request, forbidden, validation_error
from notify_common.branding import DEFAULT_SEND_BRANDING, SendBranding
from notify_common.documents import DocumentLink, DocumentToStore, new_link
from notify_common.events import EmailRequested, LetterRequested, NotificationRequested, SmsRequested
from notify_common.file_uploads import FileUpload, file_uploads, is_file, pending_documents
from notify_common.ratelimit import DailyLimit
from notify_common.recipients import (
    SIMULATED_EMAIL_ADDRESSES,
    SIMULATED_SMS_NUMBERS,
    InvalidRecipientError,
    validate_email_address,
    validate_postal_address,
)
from notify_common.recipients.phone_fast import checked_phone_number
from notify_common.service_config import Template
from notify_common.templates import (
    MessageEmptyError,
    MessageTooLongError,
    first_qr_code_too_long,
    missing_personalisation,
    render_email,
    render_letter,
    render_sms,
)
from notify_common.templates.languages import InvalidLanguageTag, LanguageVariant, UnknownLanguage

T = TypeVar("T")
CHANNEL_WORDS = {"sms": "text messages", "email": "emails", "letter": "letters"}
TRIAL_MODE_MESSAGE = (
    "Can’t send to this recipient when service is in trial mode – see "
    "https://www.notifications.service.gov.uk/trial-mode"
)
TEAM_KEY_MESSAGE = "Can’t send to this recipient using a team-only API key"
# Notify's words, without its "at <URL>" ending: here the contact link is set through the
# management plane (docs/api.md).
SEND_FILES_NOT_SET_UP = "Send files by email has not been set up - add contact details for your service"
# What a test key may send per day while its service is in trial mode: the live defaults.
SIMULATED_PHONES = frozenset(n.lstrip("+") for n in SIMULATED_SMS_NUMBERS)
SIMULATED_EMAILS = frozenset(SIMULATED_EMAIL_ADDRESSES)
LIVE_DEFAULT_LIMITS = {"sms": 250_000, "email": 250_000, "letter": 20_000, "international_sms": 100}


@dataclass(frozen=True)
class SendContext:
    """Everything about the request that is not its body."""

    notification_id: str
    created_at: datetime
    url_root: str
    email_domain: str
    correlation_id: str | None = None
    scheduled_for: datetime | None = None
    job_id: str | None = None
    job_row_number: int | None = None
    # Set by a route that stores ``PreparedSend.documents`` before accepting the send; only such a
    # route may take files by email. Their links start with ``download_root`` (document-download).
    stores_documents: bool = False
    download_root: str = ""


@dataclass(frozen=True)
class PreparedSend:
    notification_id: str
    channel: str
    event: NotificationRequested
    response: dict[str, Any]
    row: dict[str, Any]
    daily_limits: list[DailyLimit] = field(default_factory=list)
    simulated: bool = False
    documents: tuple[DocumentToStore, ...] = ()  # files sent by email, to store before accepting

    def topic(self, *, bulk: bool = False) -> str:
        return topics.requested_topic(self.channel, bulk=bulk)


def check_channel_permission(caller: Authenticated, channel: str) -> None:
    if channel not in caller.service.permissions:
        raise bad_request(f"Service is not allowed to send {CHANNEL_WORDS[channel]}")


def check_template(template: Template | None, channel: str) -> Template:
    if template is None:
        raise bad_request("Template not found")
    if template.archived:
        raise bad_request("Template has been deleted")
    if template.template_type != channel:
        raise bad_request(f"{template.template_type} template is not suitable for {channel} notification")
    return template


def choose_language(template: Template, body: Mapping[str, Any]) -> LanguageVariant:
    """The template's texts in the language the send asks for, else in its default language."""
    try:
        return template.languages.choose(body.get("language"), template.content, template.subject)
    except UnknownLanguage as exc:
        raise bad_request(exc.message) from None
    except InvalidLanguageTag as exc:
        raise validation_error(f"language {exc.message}") from None


def check_personalisation(texts: list[str], personalisation: Mapping[str, object], channel: str) -> None:
    if any(isinstance(v, dict) and "file" in v for v in personalisation.values()):
        raise bad_request("Can only send a file by email")
    missing = missing_personalisation(texts, personalisation)
    if missing:
        raise bad_request(f"Missing personalisation: {', '.join(missing)}")


def check_recipient_allowed(caller: Authenticated, recipient_type: str, normalised: str) -> None:
    key_type = caller.api_key.key_type
    if key_type == "test" or (key_type == "normal" and not caller.service.restricted):
        return
    config = caller.config
    allowed = (
        (config.allowed_emails if recipient_type == "email" else config.allowed_mobiles)
        if config
        else frozenset()
    )
    if normalised in allowed:
        return
    if key_type == "team":
        raise bad_request(TEAM_KEY_MESSAGE)
    raise bad_request(TRIAL_MODE_MESSAGE)


def daily_limits(caller: Authenticated, channel: str, *, international: bool = False) -> list[DailyLimit]:
    service, key_type = caller.service, caller.api_key.key_type
    live_defaults = key_type == "test" and service.restricted
    names = (channel, "international_sms") if international else (channel,)
    counted = tuple(
        (name, LIVE_DEFAULT_LIMITS[name] if live_defaults else getattr(service, f"{name}_message_limit"))
        for name in names
    )
    # Test keys send nothing, so count on no annual limit.
    annual = None if key_type == "test" else (channel, service.annual_limits.of(channel), financial_year())
    return list(_limits(counted, annual))


@functools.lru_cache(maxsize=4096)
def _limits(
    counted: tuple[tuple[str, int], ...], annual: tuple[str, int, int] | None
) -> tuple[DailyLimit, ...]:
    # Every send asks; the same few limits (frozen) serve every send of a service.
    limits = [DailyLimit(name, limit) for name, limit in counted]
    if annual is not None:
        limits.append(DailyLimit(*annual))
    return tuple(limits)


def envelope(
    caller: Authenticated, template_id: str, version: int, body: Mapping[str, Any], ctx: SendContext
) -> dict[str, Any]:
    """The fields every requested event of the send has."""
    return {
        "notification_id": ctx.notification_id,
        "service_id": caller.service.id,
        "occurred_at": ctx.created_at,
        "correlation_id": ctx.correlation_id,
        "template_id": template_id,
        "template_version": version,
        "key_type": caller.api_key.key_type,
        "api_key_id": caller.api_key.id,
        "job_id": ctx.job_id,
        "job_row_number": ctx.job_row_number,
        "client_reference": body.get("reference"),
        "created_at": ctx.created_at,
    }


@dataclass(frozen=True)
class Sent:
    """A send decided: who sent it, from which template and in which language, and its event."""

    caller: Authenticated
    template: Template
    body: Mapping[str, Any]
    ctx: SendContext
    language: LanguageVariant
    event: NotificationRequested


def _prepared(
    channel: str, sent: Sent, content: dict[str, Any], row: dict[str, Any], **more: Any
) -> PreparedSend:
    """The prepared send: the 201 body with ``content``, and the row GET shows (with ``row``)."""
    template, ctx = sent.template, sent.ctx
    response = {
        "id": ctx.notification_id,
        "reference": sent.body.get("reference"),
        "uri": f"{ctx.url_root}/v2/notifications/{ctx.notification_id}",
        "template": {
            "id": template.id,
            "version": template.version,
            "uri": template_uri(ctx.url_root, template.id),
        },
        "scheduled_for": fmt(ctx.scheduled_for),
        "content": content,
    }
    shown = shown_row(
        sent.caller,
        template.id,
        template.version,
        sent.body,
        ctx,
        channel,
        language=sent.language.language,
        **row,
    )
    return PreparedSend(ctx.notification_id, channel, sent.event, response, shown, **more)


def shown_row(
    caller: Authenticated,
    template_id: str,
    version: int,
    request: Mapping[str, Any],
    ctx: SendContext,
    channel: str,
    **row: Any,
) -> dict[str, Any]:
    """The row GET shows for the send until the projection has it (``row``: what is the channel's)."""
    return {
        "id": ctx.notification_id,
        "service_id": caller.service.id,
        "template_id": template_id,
        "template_version": version,
        "key_type": caller.api_key.key_type,
        "job_id": ctx.job_id,
        "client_reference": request.get("reference"),
        "status": "created",
        "created_at": ctx.created_at,
        "scheduled_for": ctx.scheduled_for,
        "notification_type": channel,
        "address": None,
        "subject": None,
        "postage": None,
        "billable_units": 0,
        "rate_multiplier": 1,
        **row,
    }


def _chosen(
    caller: Authenticated, body: Mapping[str, Any], field: str, known: Mapping[str, str], default: T
) -> str | T:
    """The sender identity the request names by id in ``field`` (one of the service's ``known``
    ones), or ``default`` when it names none."""
    chosen = body.get(field)
    if chosen is None:
        return default
    if chosen not in known:
        raise bad_request(f"{field} {chosen} does not exist in database for service id {caller.service.id}")
    return known[chosen]


def _render_failure(exc: MessageTooLongError | MessageEmptyError) -> ApiError:
    return bad_request(exc.message)


def prepare_sms(
    caller: Authenticated, template: Template | None, body: Mapping[str, Any], ctx: SendContext
) -> PreparedSend:
    check_channel_permission(caller, "sms")
    template = check_template(template, "sms")
    language = choose_language(template, body)
    personalisation: dict[str, Any] = body.get("personalisation") or {}
    check_personalisation([language.content], personalisation, "sms")
    service = caller.service
    try:
        rendered = render_sms(
            language.content, personalisation, prefix=service.name if service.prefix_sms else None
        )
    except (MessageTooLongError, MessageEmptyError) as exc:
        raise _render_failure(exc) from None
    default = caller.config.default_sms_sender if caller.config else service.sms_sender
    senders = caller.config.sms_senders if caller.config else {}
    sender = _chosen(caller, body, "sms_sender_id", senders, default)
    try:
        phone = checked_phone_number(
            body["phone_number"],
            allow_international="international_sms" in service.permissions,
            allow_landline="sms_to_uk_landlines" in service.permissions,
        )
    except InvalidRecipientError as exc:
        raise bad_request(exc.message) from None
    simulated = phone.normalised in SIMULATED_PHONES
    if not simulated:
        check_recipient_allowed(caller, "mobile", phone.normalised)
    event = SmsRequested(
        **envelope(caller, template.id, template.version, body, ctx),
        phone_number=phone.normalised,
        international=phone.international,
        sender=sender,
        body=rendered.body,
        fragment_count=rendered.fragment_count,
        rate_multiplier=phone.rate_multiplier,
        phone_number_as_sent=body["phone_number"],
        scheduled_for=ctx.scheduled_for,
        language=language.language,
    )
    row = {"recipient": phone.normalised, "recipient_as_sent": body["phone_number"], "body": rendered.body}
    row |= {"billable_units": rendered.fragment_count, "rate_multiplier": phone.rate_multiplier}
    return _prepared(
        "sms",
        Sent(caller, template, body, ctx, language, event),
        {"body": rendered.body, "from_number": sender},
        row,
        daily_limits=daily_limits(caller, "sms", international=phone.international),
        simulated=simulated,
    )


def prepare_email(
    caller: Authenticated, template: Template | None, body: Mapping[str, Any], ctx: SendContext
) -> PreparedSend:
    check_channel_permission(caller, "email")
    template = check_template(template, "email")
    language = choose_language(template, body)
    given: dict[str, Any] = body.get("personalisation") or {}
    uploads: dict[str, FileUpload] = {}
    if any(is_file(v) for v in given.values()):
        if "upload_document" not in caller.service.permissions:
            raise bad_request("Service is not allowed to send documents")
        if not caller.service.contact_link:
            raise bad_request(SEND_FILES_NOT_SET_UP)
        if not ctx.stores_documents:
            raise bad_request("Files can only be sent by email with POST /v2/notifications/email")
        uploads = file_uploads(given)
    personalisation, sanitised = sanitise_personalisation(given, body.get("sanitise_content_for"))
    links: dict[str, DocumentLink] = {}
    for name in uploads:
        links[name] = new_link(ctx.download_root, caller.service.id)
        personalisation[name] = links[name].url
    check_personalisation([language.subject or "", language.content], personalisation, "email")
    try:
        rendered = render_email(language.subject or "", language.content, personalisation)
    except (MessageTooLongError, MessageEmptyError) as exc:
        raise _render_failure(exc) from None
    service = caller.service
    default_reply_to = caller.config.default_reply_to if caller.config else None
    reply_tos = caller.config.reply_tos if caller.config else {}
    reply_to = _chosen(caller, body, "email_reply_to_id", reply_tos, default_reply_to)
    try:
        address = validate_email_address(body["email_address"])
    except InvalidRecipientError as exc:
        raise validation_error(f"email_address {exc.message}") from None
    simulated = address in SIMULATED_EMAILS
    if not simulated:
        check_recipient_allowed(caller, "email", address)
    # A smoke-test recipient's send is not accepted, so neither are its files.
    documents = (
        () if simulated else pending_documents(caller.service, uploads, links, address, ctx.created_at)
    )
    unsubscribe = body.get("one_click_unsubscribe_url")
    event = EmailRequested(
        **envelope(caller, template.id, template.version, body, ctx),
        email_address=address,
        subject=rendered.subject,
        body=rendered.body,
        from_name=service.name,
        reply_to=reply_to,
        one_click_unsubscribe_url=unsubscribe,
        email_address_as_sent=body["email_address"],
        scheduled_for=ctx.scheduled_for,
        email_from=service.email_from,
        has_unsubscribe_link=template.has_unsubscribe_link,
        **_branding(caller).email_fields(),
        language=language.language,
    )
    shown = {"body": rendered.body, "subject": rendered.subject, "one_click_unsubscribe_url": unsubscribe}
    prepared = _prepared(
        "email",
        Sent(caller, template, body, ctx, language, event),
        {"from_email": f"{service.email_from}@{ctx.email_domain}", **shown},
        {"recipient": address, "recipient_as_sent": body["email_address"], **shown},
        daily_limits=daily_limits(caller, "email"),
        simulated=simulated,
        documents=documents,
    )
    prepared.response["sanitised_content"] = sanitised
    return prepared


def _branding(caller: Authenticated) -> SendBranding:
    return caller.config.branding if caller.config else DEFAULT_SEND_BRANDING


def check_qr_codes(letter_body: str) -> None:
    """Refuse a personalised letter with a QR code holding more than can be scanned once printed."""
    too_long = first_qr_code_too_long(letter_body)
    if too_long is not None:
        raise qr_code_too_long(too_long.data, too_long.num_bytes, too_long.max_bytes)


def check_can_send_letters(caller: Authenticated) -> None:
    check_channel_permission(caller, "letter")
    if caller.api_key.key_type == "team":
        raise forbidden("Cannot send letters with a team api key")
    if caller.service.restricted and caller.api_key.key_type != "test":
        raise forbidden("Cannot send letters when service is in trial mode")


def welsh_part(template: Template) -> tuple[str, str] | None:
    """A bilingual letter's Welsh subject and content, printed before the English; else None."""
    if template.letter_languages != "welsh_then_english":
        return None
    return template.letter_welsh_subject or "", template.letter_welsh_content or ""


def prepare_letter(
    caller: Authenticated, template: Template | None, body: Mapping[str, Any], ctx: SendContext
) -> PreparedSend:
    check_can_send_letters(caller)
    template = check_template(template, "letter")
    language = choose_language(template, body)
    personalisation: dict[str, Any] = body["personalisation"]
    welsh = welsh_part(template)
    texts = [language.subject or "", language.content, *(welsh or ("", ""))]
    check_personalisation(texts, personalisation, "letter")
    rendered = render_letter(language.subject or "", language.content, personalisation)
    check_qr_codes(rendered.body)
    rendered_welsh = render_letter(welsh[0], welsh[1], personalisation) if welsh else None
    if rendered_welsh is not None:
        check_qr_codes(rendered_welsh.body)
    try:
        address = validate_postal_address(
            list(rendered.address), allow_international="international_letters" in caller.service.permissions
        )
    except InvalidRecipientError as exc:
        raise validation_error(exc.message) from None
    postage = address.postage_zone if address.international else (template.postage or "second")
    event = LetterRequested(
        **envelope(caller, template.id, template.version, body, ctx),
        address_lines=address.lines,
        postage=postage,
        subject=rendered.subject,
        body=rendered.body,
        scheduled_for=ctx.scheduled_for,
        contact_block=template.letter_contact_block or "",
        **_branding(caller).letter_fields(),
        language=language.language,
        welsh_subject=rendered_welsh.subject if rendered_welsh else None,
        welsh_body=rendered_welsh.body if rendered_welsh else None,
    )
    shown = {"body": rendered.body, "subject": rendered.subject}
    return _prepared(
        "letter",
        Sent(caller, template, body, ctx, language, event),
        shown,
        {"recipient": None, "address": list(address.lines), "postage": postage, **shown},
        daily_limits=daily_limits(caller, "letter"),
    )

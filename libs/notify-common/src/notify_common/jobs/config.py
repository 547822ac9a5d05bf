"""What a job is checked and rendered with, from the configuration as ``notify_common.service_config``
reads it for every send."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection

from notify_common import service_config
from notify_common.events import Channel
from notify_common.jobs.model import JobTemplate, SendingService


async def load_service(conn: AsyncConnection, service_id: str) -> SendingService | None:
    config = await service_config.load_service_config(conn, service_id)
    if config is None:
        return None
    service = config.service
    allowed = config.allowed_emails | config.allowed_mobiles if service.restricted else frozenset()
    return SendingService(
        id=service.id,
        name=service.name,
        active=service.active,
        restricted=service.restricted,
        prefix_sms=service.prefix_sms,
        sms_sender=config.default_sms_sender,
        email_from=service.email_from,
        reply_to=config.default_reply_to,
        permissions=frozenset(service.permissions),
        allowed_recipients=allowed,
        daily_limits={
            "sms": service.sms_message_limit,
            "email": service.email_message_limit,
            "letter": service.letter_message_limit,
            "international_sms": service.international_sms_message_limit,
        },
        annual_limits={c: service.annual_limits.of(c) for c in ("sms", "email", "letter")},
        branding=config.branding,
    )


async def load_current_template(
    conn: AsyncConnection, service_id: str, template_id: str
) -> JobTemplate | None:
    """The template as it is now: the version a new job pins."""
    return _job_template(await service_config.load_template(conn, service_id, template_id))


async def load_template_version(
    conn: AsyncConnection, service_id: str, template_id: str, version: int
) -> JobTemplate | None:
    """One version of a template, as it was when a job pinned it."""
    return _job_template(await service_config.load_template_version(conn, service_id, template_id, version))


def _job_template(template: service_config.Template | None) -> JobTemplate | None:
    if template is None:
        return None
    return JobTemplate(
        id=template.id,
        version=template.version,
        channel=Channel(template.template_type),
        content=template.content,
        subject=template.subject,
        postage=template.postage,
        archived=template.archived,
        letter_contact_block=template.letter_contact_block,
        has_unsubscribe_link=template.has_unsubscribe_link,
        languages=template.languages,
        welsh=(
            (template.letter_welsh_subject or "", template.letter_welsh_content or "")
            if template.letter_languages == "welsh_then_english"
            else None
        ),
    )

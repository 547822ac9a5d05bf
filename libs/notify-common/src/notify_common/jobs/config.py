"""Loads what a job is checked and rendered with from the configuration tables in PostgreSQL."""

from __future__ import annotations

from sqlalchemy import RowMapping, and_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from notify_common.db.tables import guest_list, services, team_members, template_versions, templates
from notify_common.db.tables_api import service_email_reply_to, service_sms_senders
from notify_common.events import Channel
from notify_common.jobs.model import JobTemplate, SendingService
from notify_common.recipients import InvalidRecipientError, normalise_phone_number
from notify_common.templates.languages import template_languages


async def load_service(conn: AsyncConnection, service_id: str) -> SendingService | None:
    row = (await conn.execute(select(services).where(services.c.id == service_id))).mappings().first()
    if row is None:
        return None
    sender = (
        await conn.execute(
            select(service_sms_senders.c.sms_sender).where(
                and_(
                    service_sms_senders.c.service_id == service_id,
                    service_sms_senders.c.is_default,
                    ~service_sms_senders.c.archived,
                )
            )
        )
    ).scalar()
    reply_to = (
        await conn.execute(
            select(service_email_reply_to.c.email_address).where(
                and_(
                    service_email_reply_to.c.service_id == service_id,
                    service_email_reply_to.c.is_default,
                    ~service_email_reply_to.c.archived,
                )
            )
        )
    ).scalar()
    allowed: set[str] = set()
    if row["restricted"]:
        members = (
            await conn.execute(select(team_members).where(team_members.c.service_id == service_id))
        ).all()
        guests = (await conn.execute(select(guest_list).where(guest_list.c.service_id == service_id))).all()
        allowed |= {m.email_address.strip().lower() for m in members}
        allowed |= {_phone(m.mobile_number) for m in members if m.mobile_number}
        allowed |= {g.recipient.strip().lower() for g in guests if g.recipient_type == "email"}
        allowed |= {_phone(g.recipient) for g in guests if g.recipient_type == "mobile"}
    return SendingService(
        id=str(row["id"]),
        name=row["name"],
        active=row["active"],
        restricted=row["restricted"],
        prefix_sms=row["prefix_sms"],
        sms_sender=sender or row["sms_sender"],
        email_from=row["email_from"],
        reply_to=reply_to,
        permissions=frozenset(row["permissions"]),
        allowed_recipients=frozenset(a for a in allowed if a),
        daily_limits={
            "sms": row["sms_message_limit"],
            "email": row["email_message_limit"],
            "letter": row["letter_message_limit"],
            "international_sms": row["international_sms_message_limit"],
        },
    )


async def load_current_template(
    conn: AsyncConnection, service_id: str, template_id: str
) -> JobTemplate | None:
    """The template as it is now: the version a new job pins."""
    query = select(templates).where(and_(templates.c.id == template_id, templates.c.service_id == service_id))
    row = (await conn.execute(query)).mappings().first()
    return _template(row, archived=bool(row["archived"])) if row is not None else None


async def load_template_version(
    conn: AsyncConnection, service_id: str, template_id: str, version: int
) -> JobTemplate | None:
    """One version of a template, as it was when a job pinned it."""
    query = select(template_versions).where(
        and_(
            template_versions.c.id == template_id,
            template_versions.c.version == version,
            template_versions.c.service_id == service_id,
        )
    )
    row = (await conn.execute(query)).mappings().first()
    return _template(row, archived=False) if row is not None else None


def _template(row: RowMapping, *, archived: bool) -> JobTemplate:
    return JobTemplate(
        id=str(row["id"]),
        version=int(row["version"]),
        channel=Channel(row["template_type"]),
        content=row["content"],
        subject=row["subject"],
        postage=row["postage"],
        archived=archived,
        letter_contact_block=row["letter_contact_block"],
        languages=template_languages(row["language"], row["language_variants"]),
        welsh=(
            (row["letter_welsh_subject"] or "", row["letter_welsh_content"] or "")
            if row["letter_languages"] == "welsh_then_english"
            else None
        ),
    )


def _phone(number: str) -> str:
    try:
        return normalise_phone_number(number)
    except InvalidRecipientError:
        return ""

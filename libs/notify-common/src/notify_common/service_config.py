"""The configuration a send is checked and rendered with, read from the tables the admin-api owns:
a service with its keys, sender identities, team and guest list, limits and retention (one
``ServiceConfig``), and templates. The data plane reads it (the api-gateway per request, behind its
cache; jobs when they are submitted and split), so it is read in one way, here.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Row, Table, and_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from notify_common.branding import DEFAULT_SEND_BRANDING, SendBranding, load_send_branding
from notify_common.db.tables import (
    api_keys,
    guest_list,
    services,
    team_members,
    template_versions,
    templates,
)
from notify_common.db.tables_api import (
    service_data_retention,
    service_email_reply_to,
    service_letter_contacts,
    service_sms_senders,
)
from notify_common.recipients import InvalidRecipientError, normalise_phone_number
from notify_common.secrets import SecretBox
from notify_common.templates.languages import TemplateLanguages, template_languages

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Service:
    id: str
    name: str
    active: bool
    restricted: bool
    email_from: str
    prefix_sms: bool
    sms_sender: str
    permissions: tuple[str, ...]
    rate_limit: int
    sms_message_limit: int = 250_000
    email_message_limit: int = 250_000
    letter_message_limit: int = 20_000
    international_sms_message_limit: int = 100
    # How the people it sends files to can contact it (a URL, email address or phone number).
    contact_link: str | None = None


@dataclass(frozen=True)
class ApiKey:
    id: str
    service_id: str
    name: str
    key_type: str
    revoked: bool


@dataclass(frozen=True)
class ServiceConfig:
    """Everything about a service a send needs, loaded together and cached together."""

    service: Service
    keys: list[tuple[ApiKey, str]]
    sms_senders: dict[str, str] = field(default_factory=dict)  # id -> sender
    default_sms_sender: str = "GOVUK"
    reply_tos: dict[str, str] = field(default_factory=dict)  # id -> email address
    default_reply_to: str | None = None
    letter_contact_block: str | None = None
    allowed_emails: frozenset[str] = frozenset()
    allowed_mobiles: frozenset[str] = frozenset()
    retention_days: dict[str, int] = field(default_factory=dict)
    branding: SendBranding = DEFAULT_SEND_BRANDING


@dataclass(frozen=True)
class Template:
    id: str
    service_id: str
    version: int
    name: str
    template_type: str
    subject: str | None
    content: str
    postage: str | None
    archived: bool
    created_at: datetime
    updated_at: datetime | None
    created_by: str | None
    letter_contact_block: str | None
    # "Add an unsubscribe link" (email templates only).
    has_unsubscribe_link: bool = False
    # The language of ``subject`` and ``content``, and the template's texts in other languages.
    languages: TemplateLanguages = field(default_factory=TemplateLanguages)
    letter_languages: str | None = None  # "english" or "welsh_then_english" for letters
    letter_welsh_subject: str | None = None
    letter_welsh_content: str | None = None


async def _not_archived(
    conn: AsyncConnection, table: Table, service_id: str, *where: ColumnElement[bool]
) -> Sequence[Row[Any]]:
    """The service's rows of ``table`` (one of its sender identities) that are not archived."""
    query = select(table).where(table.c.service_id == service_id, ~table.c.archived, *where)
    return (await conn.execute(query)).all()


async def load_service_config(
    conn: AsyncConnection, service_id: str, box: SecretBox | None = None
) -> ServiceConfig | None:
    """A service with everything a send needs; its API keys with their secrets when ``box`` is given
    (keys sealed under another secret are left out)."""
    row = (await conn.execute(select(services).where(services.c.id == service_id))).mappings().first()
    if row is None:
        return None
    key_rows = (await conn.execute(select(api_keys).where(api_keys.c.service_id == service_id))).all()
    senders = await _not_archived(conn, service_sms_senders, service_id)
    reply_tos = await _not_archived(conn, service_email_reply_to, service_id)
    contacts = await _not_archived(
        conn, service_letter_contacts, service_id, service_letter_contacts.c.is_default
    )
    members = (await conn.execute(select(team_members).where(team_members.c.service_id == service_id))).all()
    guests = (await conn.execute(select(guest_list).where(guest_list.c.service_id == service_id))).all()
    retention = (
        await conn.execute(
            select(service_data_retention).where(service_data_retention.c.service_id == service_id)
        )
    ).all()
    branding = await load_send_branding(conn, service_id)
    service = _service(row)
    default_sender = next((s.sms_sender for s in senders if s.is_default), service.sms_sender)
    emails = {m.email_address.strip().lower() for m in members}
    emails |= {g.recipient.strip().lower() for g in guests if g.recipient_type == "email"}
    mobiles = {_phone(m.mobile_number) for m in members if m.mobile_number}
    mobiles |= {_phone(g.recipient) for g in guests if g.recipient_type == "mobile"}
    return ServiceConfig(
        service=service,
        keys=_openable_keys(box, service_id, key_rows) if box is not None else [],
        sms_senders={str(s.id): s.sms_sender for s in senders},
        default_sms_sender=default_sender,
        reply_tos={str(r.id): r.email_address for r in reply_tos},
        default_reply_to=next((r.email_address for r in reply_tos if r.is_default), None),
        letter_contact_block=contacts[0].contact_block if contacts else None,
        allowed_emails=frozenset(emails),
        allowed_mobiles=frozenset(m for m in mobiles if m),
        retention_days={r.notification_type: r.days_of_retention for r in retention},
        branding=branding,
    )


def _openable_keys(box: SecretBox, service_id: str, key_rows: Sequence[Any]) -> list[tuple[ApiKey, str]]:
    """The service's keys with their secrets; a key sealed under another NOTIFY_SECRET_KEY (an
    installation whose secret changed) cannot be used and is left out, not fatal to the rest."""
    keys: list[tuple[ApiKey, str]] = []
    for k in key_rows:
        try:
            secret = box.open(k.secret)
        except ValueError:
            log.warning(
                "API key cannot be decrypted with this NOTIFY_SECRET_KEY", extra={"key_id": str(k.id)}
            )
            continue
        key = ApiKey(
            id=str(k.id),
            service_id=service_id,
            name=k.name,
            key_type=k.key_type,
            revoked=k.expiry_date is not None,
        )
        keys.append((key, secret))
    return keys


async def load_template(conn: AsyncConnection, service_id: str, template_id: str) -> Template | None:
    """The template as it is now (archived or not)."""
    query = select(templates).where(and_(templates.c.id == template_id, templates.c.service_id == service_id))
    row = (await conn.execute(query)).mappings().first()
    return _template(row, archived=bool(row["archived"])) if row else None


async def load_template_version(
    conn: AsyncConnection, service_id: str, template_id: str, version: int
) -> Template | None:
    """One version of a template, as it was written (versions never change)."""
    query = select(template_versions).where(
        and_(
            template_versions.c.id == template_id,
            template_versions.c.version == version,
            template_versions.c.service_id == service_id,
        )
    )
    row = (await conn.execute(query)).mappings().first()
    return _template(row, archived=False) if row else None


async def load_templates(conn: AsyncConnection, service_id: str, template_type: str | None) -> list[Template]:
    """The latest version of every template of the service that is not archived, by name."""
    query = select(templates).where(and_(templates.c.service_id == service_id, ~templates.c.archived))
    if template_type:
        query = query.where(templates.c.template_type == template_type)
    rows = (await conn.execute(query.order_by(templates.c.name))).mappings().all()
    return [_template(r, archived=False) for r in rows]


def _phone(number: str) -> str:
    try:
        return normalise_phone_number(number)
    except InvalidRecipientError:
        return ""


def _service(row: Any) -> Service:
    return Service(
        id=str(row["id"]),
        name=row["name"],
        active=row["active"],
        restricted=row["restricted"],
        email_from=row["email_from"],
        prefix_sms=row["prefix_sms"],
        sms_sender=row["sms_sender"],
        permissions=tuple(row["permissions"]),
        rate_limit=row["rate_limit"],
        sms_message_limit=row["sms_message_limit"],
        email_message_limit=row["email_message_limit"],
        letter_message_limit=row["letter_message_limit"],
        international_sms_message_limit=row["international_sms_message_limit"],
        contact_link=row["contact_link"],
    )


def _template(row: Any, *, archived: bool) -> Template:
    return Template(
        id=str(row["id"]),
        service_id=str(row["service_id"]),
        version=row["version"],
        name=row["name"],
        template_type=row["template_type"],
        subject=row["subject"],
        content=row["content"],
        postage=row["postage"],
        archived=archived,
        created_at=row["created_at"],
        updated_at=row.get("updated_at"),
        created_by=row["created_by"],
        letter_contact_block=row["letter_contact_block"],
        has_unsubscribe_link=bool(row.get("has_unsubscribe_link", False)),
        languages=template_languages(row["language"], row["language_variants"]),
        letter_languages=row["letter_languages"],
        letter_welsh_subject=row["letter_welsh_subject"],
        letter_welsh_content=row["letter_welsh_content"],
    )

"""The configuration a send is checked and rendered with, read through the admin-api's read
contracts (``notify_common.db.contracts``, views of the tables it owns): a service with its keys,
sender identities, team and guest list, limits, retention and branding (one ``ServiceConfig``), and
templates. The data plane reads it (the api-gateway per request, behind its cache; jobs when they
are submitted and split), so it is read in one way, here.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Row, Table, and_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from notify_common.annual_limits import AnnualLimits
from notify_common.brand_types import NONE
from notify_common.branding import DEFAULT_SEND_BRANDING, SendBranding
from notify_common.db.contracts import (
    config_api_keys,
    config_guest_list,
    config_send_branding,
    config_service_annual_limits,
    config_service_data_retention,
    config_service_email_reply_to,
    config_service_letter_contacts,
    config_service_sms_senders,
    config_services,
    config_team_members,
    config_template_versions,
    config_templates,
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
    # Its limits per financial year (docs/limits.md): the platform's defaults unless changed.
    annual_limits: AnnualLimits = field(default_factory=AnnualLimits)


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
    row = (
        (await conn.execute(select(config_services).where(config_services.c.id == service_id)))
        .mappings()
        .first()
    )
    if row is None:
        return None
    key_rows = (
        await conn.execute(select(config_api_keys).where(config_api_keys.c.service_id == service_id))
    ).all()
    senders = await _not_archived(conn, config_service_sms_senders, service_id)
    reply_tos = await _not_archived(conn, config_service_email_reply_to, service_id)
    contacts = await _not_archived(
        conn, config_service_letter_contacts, service_id, config_service_letter_contacts.c.is_default
    )
    members = (
        await conn.execute(select(config_team_members).where(config_team_members.c.service_id == service_id))
    ).all()
    guests = (
        await conn.execute(select(config_guest_list).where(config_guest_list.c.service_id == service_id))
    ).all()
    retention = (
        await conn.execute(
            select(config_service_data_retention).where(
                config_service_data_retention.c.service_id == service_id
            )
        )
    ).all()
    branding = await load_send_branding(conn, service_id)
    annual = (
        await conn.execute(
            select(config_service_annual_limits).where(
                config_service_annual_limits.c.service_id == service_id
            )
        )
    ).first()
    service = _service(row)
    if annual is not None:
        service = replace(
            service,
            annual_limits=AnnualLimits(
                sms=annual.sms_annual_limit,
                email=annual.email_annual_limit,
                letter=annual.letter_annual_limit,
            ),
        )
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


async def load_send_branding(conn: AsyncConnection, service_id: str) -> SendBranding:
    """The service's branding now, in one query."""
    row = (
        await conn.execute(
            select(config_send_branding).where(config_send_branding.c.service_id == service_id)
        )
    ).first()
    if row is None:
        return DEFAULT_SEND_BRANDING
    if row.no_email_branding:
        email: dict[str, Any] = {"email_type": NONE}
    elif row.brand_type is None:
        email = {}
    else:
        email = {
            "email_type": row.brand_type,
            "email_name": row.name,
            "email_colour": row.colour,
            "email_text": row.text,
            "email_logo": row.logo,
        }
    return SendBranding(**email, letter_logo=row.letter_logo)


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
    query = select(config_templates).where(
        and_(config_templates.c.id == template_id, config_templates.c.service_id == service_id)
    )
    row = (await conn.execute(query)).mappings().first()
    return _template(row, archived=bool(row["archived"])) if row else None


async def load_template_version(
    conn: AsyncConnection, service_id: str, template_id: str, version: int
) -> Template | None:
    """One version of a template, as it was written (versions never change)."""
    query = select(config_template_versions).where(
        and_(
            config_template_versions.c.id == template_id,
            config_template_versions.c.version == version,
            config_template_versions.c.service_id == service_id,
        )
    )
    row = (await conn.execute(query)).mappings().first()
    return _template(row, archived=False) if row else None


async def load_templates(conn: AsyncConnection, service_id: str, template_type: str | None) -> list[Template]:
    """The latest version of every template of the service that is not archived, by name."""
    query = select(config_templates).where(
        and_(config_templates.c.service_id == service_id, ~config_templates.c.archived)
    )
    if template_type:
        query = query.where(config_templates.c.template_type == template_type)
    rows = (await conn.execute(query.order_by(config_templates.c.name))).mappings().all()
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

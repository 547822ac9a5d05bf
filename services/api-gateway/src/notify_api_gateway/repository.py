"""Reads the configuration data the API needs (services, API keys, templates) and the notification
projection, from PostgreSQL. Services with their keys are cached for a few seconds, so the hot
path costs no query while a revoked key still stops working within the cache lifetime."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, select
from sqlalchemy.ext.asyncio import AsyncEngine

from notify_common.db.tables import api_keys, notifications, services, template_versions, templates
from notify_common.secrets import SecretBox

CACHE_SECONDS = 5.0


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


@dataclass(frozen=True)
class ApiKey:
    id: str
    service_id: str
    name: str
    key_type: str
    revoked: bool


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


class Repository:
    def __init__(self, engine: AsyncEngine, box: SecretBox) -> None:
        self.engine = engine
        self._box = box
        self._cache: dict[str, tuple[float, Service | None, list[tuple[ApiKey, str]]]] = {}

    async def service_with_keys(self, service_id: str) -> tuple[Service | None, list[tuple[ApiKey, str]]]:
        hit = self._cache.get(service_id)
        if hit is not None and hit[0] > time.monotonic():
            return hit[1], hit[2]
        async with self.engine.connect() as conn:
            row = (await conn.execute(select(services).where(services.c.id == service_id))).mappings().first()
            key_rows = (
                (await conn.execute(select(api_keys).where(api_keys.c.service_id == service_id)))
                .mappings()
                .all()
                if row
                else []
            )
        service = _service(row) if row else None
        keys = [
            (
                ApiKey(
                    id=str(k["id"]),
                    service_id=service_id,
                    name=k["name"],
                    key_type=k["key_type"],
                    revoked=k["expiry_date"] is not None,
                ),
                self._box.open(k["secret"]),
            )
            for k in key_rows
        ]
        self._cache[service_id] = (time.monotonic() + CACHE_SECONDS, service, keys)
        return service, keys

    async def template(
        self, service_id: str, template_id: str, version: int | None = None
    ) -> Template | None:
        async with self.engine.connect() as conn:
            if version is None:
                query = select(templates).where(
                    and_(templates.c.id == template_id, templates.c.service_id == service_id)
                )
                row = (await conn.execute(query)).mappings().first()
                return _template(row, archived=bool(row["archived"])) if row else None
            query = select(template_versions).where(
                and_(
                    template_versions.c.id == template_id,
                    template_versions.c.version == version,
                    template_versions.c.service_id == service_id,
                )
            )
            row = (await conn.execute(query)).mappings().first()
            return _template(row, archived=False) if row else None

    async def notification(
        self, service_id: str, notification_id: str, key_type: str
    ) -> dict[str, Any] | None:
        """One projected notification, visible only to the key type that sent it (test vs others)."""
        same_visibility = (
            (notifications.c.key_type == "test")
            if key_type == "test"
            else (notifications.c.key_type != "test")
        )
        query = select(notifications).where(
            and_(
                notifications.c.id == notification_id,
                notifications.c.service_id == service_id,
                notifications.c.created_at.is_not(None),
                same_visibility,
            )
        )
        async with self.engine.connect() as conn:
            row = (await conn.execute(query)).mappings().first()
        return dict(row) if row else None


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
    )


async def recipient_allowed(
    engine: AsyncEngine, service_id: str, recipient_type: str, normalised: str
) -> bool:
    """Whether ``normalised`` is a team member's or on the guest list (for team keys and trial mode)."""
    from notify_common.db.tables import guest_list, team_members

    column = team_members.c.email_address if recipient_type == "email" else team_members.c.mobile_number
    async with engine.connect() as conn:
        member = await conn.execute(
            select(column).where(and_(team_members.c.service_id == service_id, column.is_not(None)))
        )
        guests = await conn.execute(
            select(guest_list.c.recipient).where(
                and_(guest_list.c.service_id == service_id, guest_list.c.recipient_type == recipient_type)
            )
        )
        known = [r[0] for r in member] + [r[0] for r in guests]
    return any(_same_recipient(recipient_type, k, normalised) for k in known)


def _same_recipient(recipient_type: str, known: str, normalised: str) -> bool:
    if recipient_type == "email":
        return known.strip().lower() == normalised.lower()
    from notify_common.recipients import InvalidRecipientError, validate_phone_number

    try:
        return validate_phone_number(known, allow_international=True).normalised == normalised
    except InvalidRecipientError:
        return False

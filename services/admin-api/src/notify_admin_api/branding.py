"""The branding pools and each service's choice (``tables.brandings``): platform
admins add and change email and letter brandings, and choose one of each per service. Every
refusal is an ``AdminError``; logos are checked and stored by ``branding_logos``.

A branding's rules, as GOV.UK Notify's: ``org`` and ``both`` show the organisation's logo, so they
need one; ``org_banner`` shows a logo, text or both on the banner; ``govuk`` needs neither.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from notify_admin_api.store import AdminError
from notify_admin_api.tables.brandings import email_branding, letter_branding, service_branding
from notify_admin_api.tables.configuration import services
from notify_common.brand_types import EMAIL_BRAND_TYPES, GOVUK, NONE

COLOUR = re.compile(r"^#[0-9a-f]{6}$")
POOL = "pool"


def _email(row: Any) -> dict[str, Any]:
    return {
        "id": str(row.id),
        "name": row.name,
        "brand_type": row.brand_type,
        "colour": row.colour,
        "text": row.text,
        "logo": row.logo,
        "created_at": row.created_at.isoformat(),
        "updated_at": row.updated_at.isoformat() if row.updated_at else None,
    }


def _letter(row: Any) -> dict[str, Any]:
    return {
        "id": str(row.id),
        "name": row.name,
        "logo": row.logo,
        "created_at": row.created_at.isoformat(),
        "updated_at": row.updated_at.isoformat() if row.updated_at else None,
    }


def check_email_branding(values: dict[str, Any]) -> None:
    """Refuses an email branding its type cannot show."""
    brand_type = values["brand_type"]
    if brand_type not in EMAIL_BRAND_TYPES:
        raise AdminError(f"brand_type must be one of {', '.join(EMAIL_BRAND_TYPES)}")
    colour = values.get("colour")
    if colour is not None and not COLOUR.match(colour):
        raise AdminError("colour must be a hex colour code, like #1d70b8")
    if brand_type in ("org", "both") and not values.get("logo"):
        raise AdminError(f"A branding of type {brand_type} needs a logo")
    if brand_type == "org_banner" and not (values.get("logo") or values.get("text")):
        raise AdminError("A branding of type org_banner needs a logo, text or both")


def _logo_of(kind: str, key: str | None) -> None:
    if key is not None and not re.fullmatch(rf"{kind}/[0-9a-f-]{{36}}\.(png|jpg|svg)", key):
        raise AdminError(f"logo must be the key of an uploaded {kind} logo")


def _named(exc: IntegrityError, name: str) -> AdminError:
    if "unique" in str(exc.orig).lower():
        return AdminError(f"A branding called ‘{name}’ already exists", 409)
    return AdminError("Invalid identifier or value")


class BrandingStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    # ---- email brandings -----------------------------------------------------------------

    async def email_brandings(self) -> list[dict[str, Any]]:
        async with self.engine.connect() as conn:
            rows = (await conn.execute(select(email_branding).order_by(email_branding.c.name))).all()
        return [_email(r) for r in rows]

    async def email_branding(self, branding_id: str) -> dict[str, Any]:
        async with self.engine.connect() as conn:
            row = await _one(conn, email_branding, branding_id)
        return _email(row)

    async def create_email_branding(self, values: dict[str, Any]) -> dict[str, Any]:
        values = {"colour": None, "text": None, "logo": None, **values}
        if values["colour"]:
            values["colour"] = values["colour"].lower()
        _logo_of("email", values["logo"])
        check_email_branding(values)
        branding_id = str(uuid.uuid4())
        try:
            async with self.engine.begin() as conn:
                await conn.execute(insert(email_branding).values(id=branding_id, **values))
        except IntegrityError as exc:
            raise _named(exc, values["name"]) from None
        return await self.email_branding(branding_id)

    async def update_email_branding(self, branding_id: str, changes: dict[str, Any]) -> dict[str, Any]:
        if changes.get("colour"):
            changes["colour"] = changes["colour"].lower()
        if "logo" in changes:
            _logo_of("email", changes["logo"])
        try:
            async with self.engine.begin() as conn:
                await _one(conn, email_branding, branding_id)
                # Locked while the changed branding is checked, so two changes cannot together
                # make one its type cannot show.
                locked = select(email_branding).where(email_branding.c.id == branding_id).with_for_update()
                row = (await conn.execute(locked)).one()
                check_email_branding({**_email(row), **changes})
                await conn.execute(
                    update(email_branding)
                    .where(email_branding.c.id == branding_id)
                    .values(**changes, updated_at=datetime.now(UTC))
                )
        except IntegrityError as exc:
            raise _named(exc, str(changes.get("name"))) from None
        return await self.email_branding(branding_id)

    # ---- letter brandings ----------------------------------------------------------------

    async def letter_brandings(self) -> list[dict[str, Any]]:
        async with self.engine.connect() as conn:
            rows = (await conn.execute(select(letter_branding).order_by(letter_branding.c.name))).all()
        return [_letter(r) for r in rows]

    async def letter_branding(self, branding_id: str) -> dict[str, Any]:
        async with self.engine.connect() as conn:
            row = await _one(conn, letter_branding, branding_id)
        return _letter(row)

    async def create_letter_branding(self, name: str, logo: str) -> dict[str, Any]:
        _logo_of("letter", logo)
        branding_id = str(uuid.uuid4())
        try:
            async with self.engine.begin() as conn:
                await conn.execute(insert(letter_branding).values(id=branding_id, name=name, logo=logo))
        except IntegrityError as exc:
            raise _named(exc, name) from None
        return await self.letter_branding(branding_id)

    async def update_letter_branding(self, branding_id: str, changes: dict[str, Any]) -> dict[str, Any]:
        if "logo" in changes:
            _logo_of("letter", changes["logo"])
        try:
            async with self.engine.begin() as conn:
                await _one(conn, letter_branding, branding_id)
                await conn.execute(
                    update(letter_branding)
                    .where(letter_branding.c.id == branding_id)
                    .values(**changes, updated_at=datetime.now(UTC))
                )
        except IntegrityError as exc:
            raise _named(exc, str(changes.get("name"))) from None
        return await self.letter_branding(branding_id)

    # ---- a service's choice --------------------------------------------------------------

    async def service_branding(self, service_id: str) -> dict[str, Any]:
        """``email_branding``: ``govuk`` (the default), ``none``, or the pool's branding chosen;
        ``letter_branding``: the chosen one or null."""
        async with self.engine.connect() as conn:
            await _service(conn, service_id)
            row = (
                await conn.execute(
                    select(service_branding).where(service_branding.c.service_id == service_id)
                )
            ).first()
            email = letter = None
            if row is not None and row.email_branding_id is not None:
                email = _email(await _one(conn, email_branding, str(row.email_branding_id)))
            if row is not None and row.letter_branding_id is not None:
                letter = _letter(await _one(conn, letter_branding, str(row.letter_branding_id)))
        choice = POOL if email else (NONE if row is not None and row.no_email_branding else GOVUK)
        return {"email_branding": choice, "email": email, "letter_branding": letter}

    async def choose(self, service_id: str, changes: dict[str, Any]) -> dict[str, Any]:
        """``changes``: ``email_branding`` (``govuk``, ``none`` or a pool id) and/or
        ``letter_branding`` (a pool id or None), each left as it is when absent."""
        values: dict[str, Any] = {}
        async with self.engine.begin() as conn:
            await _service(conn, service_id)
            if "email_branding" in changes:
                chosen = changes["email_branding"]
                values["no_email_branding"] = chosen == NONE
                values["email_branding_id"] = None
                if chosen not in (GOVUK, NONE):
                    values["email_branding_id"] = str((await _one(conn, email_branding, chosen)).id)
            if "letter_branding" in changes:
                chosen = changes["letter_branding"]
                found = None if chosen is None else await _one(conn, letter_branding, chosen)
                values["letter_branding_id"] = None if found is None else str(found.id)
            values["updated_at"] = datetime.now(UTC)
            statement = pg_insert(service_branding).values(service_id=service_id, **values)
            await conn.execute(
                statement.on_conflict_do_update(index_elements=[service_branding.c.service_id], set_=values)
            )
        return await self.service_branding(service_id)


async def _one(conn: AsyncConnection, table: Any, branding_id: str) -> Any:
    try:
        uuid.UUID(branding_id)
    except ValueError:
        raise AdminError("Branding not found", 404) from None
    row = (await conn.execute(select(table).where(table.c.id == branding_id))).first()
    if row is None:
        raise AdminError("Branding not found", 404)
    return row


async def _service(conn: AsyncConnection, service_id: str) -> None:
    try:
        uuid.UUID(service_id)
    except ValueError:
        raise AdminError("Service not found", 404) from None
    if (await conn.execute(select(services.c.id).where(services.c.id == service_id))).first() is None:
        raise AdminError("Service not found", 404)

"""Organisations, written by the admin API (docs/organisations.md): create, list, read and change
them, their email domains, which services belong to them, their team members, and the data
processing and financial agreement a member accepts for the whole organisation. Refusals raise
``AdminError``; the rules themselves (types, allowances, domain matching) are
``organisation_rules``."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, delete, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from notify_admin_api.organisation_rules import (
    TYPE_LABELS,
    RuleError,
    checked_type,
    free_sms_allowance,
    matching_domain,
    normalised_domain,
)
from notify_admin_api.store import AdminError
from notify_admin_api.tables.configuration import services
from notify_admin_api.tables.console import console_users
from notify_admin_api.tables.organisation_records import (
    organisation_domains,
    organisation_members,
    organisations,
)
from notify_common.recipients import InvalidRecipientError, validate_email_address

AGREEMENT_TASK = "Accept our data processing and financial agreement"
CHANGEABLE = ("name", "organisation_type", "can_approve_own_go_live_requests", "archived")


def _iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def _organisation(row: Any) -> dict[str, Any]:
    out = {k: _iso(v) for k, v in dict(row).items()}
    out["organisation_type_label"] = TYPE_LABELS.get(out["organisation_type"], out["organisation_type"])
    return out


def _checked(call: Any, *args: Any) -> Any:
    try:
        return call(*args)
    except RuleError as exc:
        raise AdminError(str(exc)) from None


class OrganisationStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    # ---- organisations ----------------------------------------------------------------------

    async def create(self, name: str, organisation_type: str) -> dict[str, Any]:
        _checked(checked_type, organisation_type)
        organisation_id = str(uuid.uuid4())
        try:
            async with self.engine.begin() as conn:
                await conn.execute(
                    insert(organisations).values(
                        id=organisation_id, name=name.strip(), organisation_type=organisation_type
                    )
                )
        except IntegrityError:
            raise AdminError("An organisation with this name already exists", 409) from None
        return await self.organisation(organisation_id)

    async def listing(self, *, include_archived: bool = False) -> list[dict[str, Any]]:
        counted = (
            select(services.c.organisation_id, func.count().label("n"))
            .where(services.c.organisation_id.is_not(None))
            .group_by(services.c.organisation_id)
            .subquery()
        )
        query = (
            select(organisations, func.coalesce(counted.c.n, 0).label("service_count"))
            .outerjoin(counted, counted.c.organisation_id == organisations.c.id)
            .order_by(func.lower(organisations.c.name))
        )
        if not include_archived:
            query = query.where(organisations.c.archived.is_(False))
        async with self.engine.connect() as conn:
            rows = (await conn.execute(query)).mappings().all()
        return [_organisation(r) for r in rows]

    async def organisation(self, organisation_id: str) -> dict[str, Any]:
        async with self.engine.connect() as conn:
            return await self._organisation(conn, organisation_id)

    async def _organisation(self, conn: AsyncConnection, organisation_id: str) -> dict[str, Any]:
        row = (
            (await conn.execute(select(organisations).where(organisations.c.id == organisation_id)))
            .mappings()
            .first()
        )
        if row is None:
            raise AdminError("Organisation not found", 404)
        domains = (
            await conn.execute(
                select(organisation_domains.c.domain)
                .where(organisation_domains.c.organisation_id == organisation_id)
                .order_by(organisation_domains.c.domain)
            )
        ).scalars()
        owned = (
            await conn.execute(
                select(services.c.id, services.c.name, services.c.restricted, services.c.active)
                .where(services.c.organisation_id == organisation_id)
                .order_by(func.lower(services.c.name))
            )
        ).all()
        signer = None
        if row["agreement_signed_by_id"] is not None:
            signer = (
                await conn.execute(
                    select(console_users.c.name, console_users.c.email_address).where(
                        console_users.c.id == row["agreement_signed_by_id"]
                    )
                )
            ).first()
        out = _organisation(row)
        out["domains"] = list(domains)
        out["services"] = [
            {"id": str(s.id), "name": s.name, "live": not s.restricted, "active": s.active} for s in owned
        ]
        out["agreement_signed_by"] = (
            {"name": signer.name, "email_address": signer.email_address} if signer else None
        )
        return out

    async def update(self, organisation_id: str, changes: dict[str, Any]) -> dict[str, Any]:
        values = {k: v for k, v in changes.items() if k in CHANGEABLE and v is not None}
        if "organisation_type" in values:
            _checked(checked_type, values["organisation_type"])
        if "name" in values:
            values["name"] = values["name"].strip()
        if values:
            try:
                async with self.engine.begin() as conn:
                    changed = await conn.execute(
                        update(organisations).where(organisations.c.id == organisation_id).values(**values)
                    )
            except IntegrityError:
                raise AdminError("An organisation with this name already exists", 409) from None
            if changed.rowcount == 0:
                raise AdminError("Organisation not found", 404)
        return await self.organisation(organisation_id)

    # ---- domains ----------------------------------------------------------------------------

    async def add_domain(self, organisation_id: str, given: str) -> dict[str, Any]:
        domain = _checked(normalised_domain, given)
        async with self.engine.begin() as conn:
            await self._organisation(conn, organisation_id)
            owner = (
                await conn.execute(
                    select(organisation_domains.c.organisation_id).where(
                        organisation_domains.c.domain == domain
                    )
                )
            ).scalar()
            if owner is not None and str(owner) != organisation_id:
                raise AdminError(f"{domain} belongs to another organisation", 409)
            await conn.execute(
                pg_insert(organisation_domains)
                .values(domain=domain, organisation_id=organisation_id)
                .on_conflict_do_nothing()
            )
        return await self.organisation(organisation_id)

    async def remove_domain(self, organisation_id: str, domain: str) -> dict[str, Any]:
        async with self.engine.begin() as conn:
            removed = await conn.execute(
                delete(organisation_domains).where(
                    and_(
                        organisation_domains.c.organisation_id == organisation_id,
                        organisation_domains.c.domain == domain.strip().lower(),
                    )
                )
            )
        if removed.rowcount == 0:
            raise AdminError("Domain not found", 404)
        return await self.organisation(organisation_id)

    async def by_email_address(self, email_address: str) -> dict[str, Any] | None:
        """The organisation whose domain the address is at (the longest matching domain), if any."""
        async with self.engine.connect() as conn:
            rows = (
                await conn.execute(
                    select(organisation_domains.c.domain, organisation_domains.c.organisation_id)
                    .join(organisations, organisations.c.id == organisation_domains.c.organisation_id)
                    .where(organisations.c.archived.is_(False))
                )
            ).all()
            owners = {r.domain: str(r.organisation_id) for r in rows}
            found = matching_domain(email_address, owners)
            return await self._organisation(conn, owners[found]) if found else None

    # ---- services ---------------------------------------------------------------------------

    async def add_service(self, organisation_id: str, service_id: str) -> dict[str, Any]:
        async with self.engine.begin() as conn:
            await self._organisation(conn, organisation_id)
            changed = await conn.execute(
                update(services).where(services.c.id == service_id).values(organisation_id=organisation_id)
            )
            if changed.rowcount == 0:
                raise AdminError("Service not found", 404)
        return await self.organisation(organisation_id)

    async def remove_service(self, organisation_id: str, service_id: str) -> dict[str, Any]:
        async with self.engine.begin() as conn:
            changed = await conn.execute(
                update(services)
                .where(and_(services.c.id == service_id, services.c.organisation_id == organisation_id))
                .values(organisation_id=None)
            )
        if changed.rowcount == 0:
            raise AdminError("This service is not in this organisation", 404)
        return await self.organisation(organisation_id)

    async def of_service(self, service_id: str) -> dict[str, Any] | None:
        async with self.engine.connect() as conn:
            found = (
                await conn.execute(select(services.c.organisation_id).where(services.c.id == service_id))
            ).first()
            if found is None:
                raise AdminError("Service not found", 404)
            if found.organisation_id is None:
                return None
            return await self._organisation(conn, str(found.organisation_id))

    async def free_sms_allowance(self, service_id: str, financial_year: int) -> int | None:
        """The free text message allowance the service's organisation type gives it in a financial
        year; None for a service in no organisation (the platform's configured allowance applies)."""
        organisation = await self.of_service(service_id)
        if organisation is None:
            return None
        return free_sms_allowance(organisation["organisation_type"], financial_year)

    # ---- team members -----------------------------------------------------------------------

    async def members(self, organisation_id: str) -> list[dict[str, Any]]:
        async with self.engine.connect() as conn:
            await self._organisation(conn, organisation_id)
            rows = (
                await conn.execute(
                    select(console_users.c.id, console_users.c.name, console_users.c.email_address)
                    .join(organisation_members, organisation_members.c.user_id == console_users.c.id)
                    .where(organisation_members.c.organisation_id == organisation_id)
                    .order_by(func.lower(console_users.c.name))
                )
            ).all()
        return [{"id": str(r.id), "name": r.name, "email_address": r.email_address} for r in rows]

    async def add_member(self, organisation_id: str, user_id: str) -> list[dict[str, Any]]:
        async with self.engine.begin() as conn:
            await self._organisation(conn, organisation_id)
            found = (
                await conn.execute(select(console_users.c.id).where(console_users.c.id == user_id))
            ).first()
            if found is None:
                raise AdminError("User not found", 404)
            await conn.execute(
                pg_insert(organisation_members)
                .values(organisation_id=organisation_id, user_id=user_id)
                .on_conflict_do_nothing()
            )
        return await self.members(organisation_id)

    async def add_member_by_email(self, organisation_id: str, email_address: str) -> list[dict[str, Any]]:
        """Adds the person with an account at this address (no account: 404, with what to do)."""
        try:
            email = validate_email_address(email_address)
        except InvalidRecipientError as exc:
            raise AdminError(exc.message) from None
        async with self.engine.connect() as conn:
            user_id = (
                await conn.execute(select(console_users.c.id).where(console_users.c.email_address == email))
            ).scalar()
        if user_id is None:
            raise AdminError(
                "There is no Notify account with this email address: ask them to create one", 404
            )
        return await self.add_member(organisation_id, str(user_id))

    async def remove_member(self, organisation_id: str, user_id: str) -> list[dict[str, Any]]:
        async with self.engine.begin() as conn:
            removed = await conn.execute(
                delete(organisation_members).where(
                    and_(
                        organisation_members.c.organisation_id == organisation_id,
                        organisation_members.c.user_id == user_id,
                    )
                )
            )
        if removed.rowcount == 0:
            raise AdminError("Not a member of this organisation", 404)
        return await self.members(organisation_id)

    async def of_user(self, user_id: str) -> list[dict[str, Any]]:
        """The organisations the person is a team member of."""
        async with self.engine.connect() as conn:
            rows = (
                (
                    await conn.execute(
                        select(organisations)
                        .join(
                            organisation_members, organisation_members.c.organisation_id == organisations.c.id
                        )
                        .where(
                            and_(
                                organisation_members.c.user_id == user_id,
                                organisations.c.archived.is_(False),
                            )
                        )
                        .order_by(func.lower(organisations.c.name))
                    )
                )
                .mappings()
                .all()
            )
        return [_organisation(r) for r in rows]

    # ---- the agreement ----------------------------------------------------------------------

    async def accept_agreement(
        self, organisation_id: str, *, user_id: str, version: str, name: str, role: str
    ) -> dict[str, Any]:
        async with self.engine.begin() as conn:
            current = await self._organisation(conn, organisation_id)
            if current["agreement_signed"]:
                raise AdminError("Your organisation has already accepted the agreement", 409)
            await conn.execute(
                update(organisations)
                .where(organisations.c.id == organisation_id)
                .values(
                    agreement_signed=True,
                    agreement_signed_by_id=user_id,
                    agreement_signed_at=datetime.now(UTC),
                    agreement_signed_version=version.strip(),
                    agreement_signed_name=name.strip(),
                    agreement_signed_role=role.strip(),
                )
            )
        return await self.organisation(organisation_id)


def agreement_task(organisation: dict[str, Any]) -> dict[str, Any]:
    """The going-live task of a service in an organisation: its organisation accepts the agreement
    (once, for all its services)."""
    return {
        "task": "agreement",
        "label": AGREEMENT_TASK,
        "done": bool(organisation["agreement_signed"]),
        "organisation_id": organisation["id"],
        "organisation_name": organisation["name"],
    }

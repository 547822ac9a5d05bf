"""Memberships of services with permissions, and invitations, for the admin web console's
accounts (``console_accounts``). Refusals raise ``AdminError``."""

from __future__ import annotations

import secrets
import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, delete, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncEngine

from notify_admin_api.console_accounts import (
    INVITE_LIFETIME,
    AccountStore,
    check_permissions,
    iso,
    token_digest,
)
from notify_admin_api.store import AdminError
from notify_admin_api.tables.configuration import services, team_members
from notify_admin_api.tables.console import console_invites, console_user_services, console_users
from notify_common.recipients import InvalidRecipientError, validate_email_address


class TeamStore:
    """Who belongs to which service with which permissions, and the invitations that add them."""

    def __init__(self, engine: AsyncEngine, accounts: AccountStore) -> None:
        self.engine = engine
        self.accounts = accounts

    async def members(self, service_id: str) -> dict[str, Any]:
        async with self.engine.connect() as conn:
            rows = (
                await conn.execute(
                    select(
                        console_users.c.id,
                        console_users.c.name,
                        console_users.c.email_address,
                        console_users.c.auth_type,
                        console_user_services.c.permissions,
                    )
                    .join(console_users, console_users.c.id == console_user_services.c.user_id)
                    .where(console_user_services.c.service_id == service_id)
                    .order_by(console_users.c.name)
                )
            ).all()
            invites = (
                await conn.execute(
                    select(console_invites)
                    .where(
                        and_(
                            console_invites.c.service_id == service_id, console_invites.c.status == "pending"
                        )
                    )
                    .order_by(console_invites.c.created_at)
                )
            ).all()
        return {
            "users": [
                {
                    "id": str(r.id),
                    "name": r.name,
                    "email_address": r.email_address,
                    "auth_type": r.auth_type,
                    "permissions": list(r.permissions),
                }
                for r in rows
            ],
            "invites": [
                {
                    "id": str(i.id),
                    "email_address": i.email_address,
                    "permissions": list(i.permissions),
                    "created_at": iso(i.created_at),
                }
                for i in invites
            ],
        }

    async def set_membership(self, service_id: str, user_id: str, permissions: list[str]) -> None:
        """Adds the user to the service (and its team, for trial mode) or changes their permissions."""
        chosen = check_permissions(permissions)
        async with self.engine.begin() as conn:
            user = (await conn.execute(select(console_users).where(console_users.c.id == user_id))).first()
            if user is None:
                raise AdminError("User not found", 404)
            found = (await conn.execute(select(services.c.id).where(services.c.id == service_id))).first()
            if found is None:
                raise AdminError("Service not found", 404)
            await conn.execute(
                pg_insert(console_user_services)
                .values(user_id=user_id, service_id=service_id, permissions=chosen)
                .on_conflict_do_update(index_elements=["user_id", "service_id"], set_={"permissions": chosen})
            )
            await conn.execute(
                pg_insert(team_members)
                .values(
                    service_id=service_id,
                    email_address=user.email_address,
                    mobile_number=user.mobile_number,
                    name=user.name,
                )
                .on_conflict_do_nothing()
            )

    async def remove_membership(self, service_id: str, user_id: str) -> None:
        async with self.engine.begin() as conn:
            user = (await conn.execute(select(console_users).where(console_users.c.id == user_id))).first()
            result = await conn.execute(
                delete(console_user_services).where(
                    and_(
                        console_user_services.c.service_id == service_id,
                        console_user_services.c.user_id == user_id,
                    )
                )
            )
            if result.rowcount == 0 or user is None:
                raise AdminError("Not a member of this service", 404)
            await conn.execute(
                delete(team_members).where(
                    and_(
                        team_members.c.service_id == service_id,
                        team_members.c.email_address == user.email_address,
                    )
                )
            )

    async def invite(
        self, service_id: str, email_address: str, permissions: list[str], invited_by: str | None
    ) -> dict[str, Any]:
        """A pending invitation; its token is in the answer once (only its digest is kept)."""
        chosen = check_permissions(permissions)
        try:
            email = validate_email_address(email_address)
        except InvalidRecipientError as exc:
            raise AdminError(exc.message) from None
        existing = await self.accounts.user_id_by_email(email)
        if existing is not None:
            user = await self.accounts.user(existing)
            if any(s["id"] == service_id for s in user["services"]):
                raise AdminError("This person is already a team member", 409)
        token = secrets.token_urlsafe(32)
        invite_id = str(uuid.uuid4())
        async with self.engine.begin() as conn:
            await conn.execute(
                insert(console_invites).values(
                    id=invite_id,
                    service_id=service_id,
                    email_address=email,
                    permissions=chosen,
                    invited_by=invited_by,
                    token_sha256=token_digest(token),
                )
            )
        return {"id": invite_id, "token": token, "email_address": email}

    async def invitation(self, token: str) -> dict[str, Any]:
        async with self.engine.connect() as conn:
            row = (
                await conn.execute(
                    select(console_invites, services.c.name.label("service_name"))
                    .join(services, services.c.id == console_invites.c.service_id)
                    .where(console_invites.c.token_sha256 == token_digest(token))
                )
            ).first()
        if row is None:
            raise AdminError("Invitation not found", 404)
        expired = row.created_at + INVITE_LIFETIME < datetime.now(UTC)
        return {
            "id": str(row.id),
            "service_id": str(row.service_id),
            "service_name": row.service_name,
            "email_address": row.email_address,
            "permissions": list(row.permissions),
            "status": "expired" if expired and row.status == "pending" else row.status,
            "existing_user_id": await self.accounts.user_id_by_email(row.email_address),
        }

    async def accept_invitation(self, token: str, new_user: dict[str, Any] | None) -> dict[str, Any]:
        """Joins the invited person to the service, creating their account from ``new_user`` if
        they have none (name, mobile_number, password)."""
        invite = await self.invitation(token)
        if invite["status"] != "pending":
            raise AdminError(f"This invitation is {invite['status']}", 410)
        user_id = invite["existing_user_id"]
        if user_id is None:
            if not new_user:
                raise AdminError("Create an account to accept this invitation")
            created = await self.accounts.create_user(email_address=invite["email_address"], **new_user)
            user_id = created["id"]
        await self.set_membership(invite["service_id"], user_id, invite["permissions"])
        async with self.engine.begin() as conn:
            await conn.execute(
                update(console_invites).where(console_invites.c.id == invite["id"]).values(status="accepted")
            )
        return await self.accounts.user(user_id)

    async def cancel_invitation(self, service_id: str, invite_id: str) -> None:
        async with self.engine.begin() as conn:
            result = await conn.execute(
                update(console_invites)
                .where(
                    and_(
                        console_invites.c.id == invite_id,
                        console_invites.c.service_id == service_id,
                        console_invites.c.status == "pending",
                    )
                )
                .values(status="cancelled")
            )
        if result.rowcount == 0:
            raise AdminError("Invitation not found", 404)

"""Reply-to addresses of a service are added only once the link emailed to them has been followed
(``start_reply_to`` / ``confirm_reply_to``): a pending verification keeps the token's SHA-256.
Refusals raise ``AdminError``."""

from __future__ import annotations

import secrets
import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from notify_admin_api.console_accounts import REPLY_TO_LIFETIME, REPLY_TO_REFUSED, iso, token_digest
from notify_admin_api.store import AdminError
from notify_admin_api.tables.configuration import services
from notify_admin_api.tables.console import console_reply_to_verifications
from notify_admin_api.tables.service_settings import service_email_reply_to
from notify_common.recipients import InvalidRecipientError, validate_email_address


class ReplyToVerifications:
    """Pending reply-to addresses and their confirmation."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    # ---- reply-to address verification -----------------------------------------------------

    async def start_reply_to(
        self, service_id: str, email_address: str, created_by: str | None
    ) -> dict[str, Any]:
        """A pending reply-to address and the token of the link to email it (in this answer only)."""
        try:
            email = validate_email_address(email_address)
        except InvalidRecipientError as exc:
            raise AdminError(exc.message) from None
        token = secrets.token_urlsafe(32)
        verification_id = str(uuid.uuid4())
        now = datetime.now(UTC)
        async with self.engine.begin() as conn:
            found = (await conn.execute(select(services.c.id).where(services.c.id == service_id))).first()
            if found is None:
                raise AdminError("Service not found", 404)
            existing = (
                await conn.execute(
                    select(service_email_reply_to.c.id).where(
                        and_(
                            service_email_reply_to.c.service_id == service_id,
                            func.lower(service_email_reply_to.c.email_address) == email.lower(),
                            service_email_reply_to.c.archived.is_(False),
                        )
                    )
                )
            ).first()
            if existing is not None:
                raise AdminError(f"‘{email}’ is already a reply-to email address for this service", 409)
            await conn.execute(
                insert(console_reply_to_verifications).values(
                    id=verification_id,
                    service_id=service_id,
                    email_address=email,
                    token_sha256=token_digest(token),
                    expires_at=now + REPLY_TO_LIFETIME,
                    created_by=created_by,
                    created_at=now,
                )
            )
        return {"id": verification_id, "token": token, "email_address": email}

    async def reply_to_verifications(self, service_id: str) -> list[dict[str, Any]]:
        """The service's reply-to verifications, newest first, each with its state: pending,
        verified or expired."""
        now = datetime.now(UTC)
        async with self.engine.connect() as conn:
            rows = (
                await conn.execute(
                    select(console_reply_to_verifications)
                    .where(console_reply_to_verifications.c.service_id == service_id)
                    .order_by(console_reply_to_verifications.c.created_at.desc())
                    .limit(50)
                )
            ).all()
        return [
            {
                "id": str(r.id),
                "email_address": r.email_address,
                "status": "expired" if r.status == "pending" and r.expires_at <= now else r.status,
                "created_at": iso(r.created_at),
                "expires_at": iso(r.expires_at),
            }
            for r in rows
        ]

    async def confirm_reply_to(self, service_id: str, token: str) -> dict[str, Any]:
        """Adds the address a pending link belongs to as a reply-to address (the default if it is
        the first), once; refused if the link is unknown, used, expired or another service's."""
        now = datetime.now(UTC)
        async with self.engine.begin() as conn:
            row = (
                await conn.execute(
                    select(console_reply_to_verifications)
                    .where(
                        and_(
                            console_reply_to_verifications.c.token_sha256 == token_digest(token),
                            console_reply_to_verifications.c.service_id == service_id,
                            console_reply_to_verifications.c.status == "pending",
                            console_reply_to_verifications.c.expires_at > now,
                        )
                    )
                    .with_for_update()
                )
            ).first()
            if row is None:
                raise AdminError(REPLY_TO_REFUSED, 404)
            current = (
                await conn.execute(
                    select(service_email_reply_to.c.id, service_email_reply_to.c.email_address).where(
                        and_(
                            service_email_reply_to.c.service_id == service_id,
                            service_email_reply_to.c.archived.is_(False),
                        )
                    )
                )
            ).all()
            same = [c.id for c in current if c.email_address.lower() == row.email_address.lower()]
            reply_to_id = str(same[0]) if same else str(uuid.uuid4())
            if not same:  # two links for one address: the second adds nothing
                await conn.execute(
                    insert(service_email_reply_to).values(
                        id=reply_to_id,
                        service_id=service_id,
                        email_address=row.email_address,
                        is_default=not current,
                    )
                )
            await conn.execute(
                update(console_reply_to_verifications)
                .where(console_reply_to_verifications.c.id == row.id)
                .values(status="verified", reply_to_id=reply_to_id)
            )
        return {"id": str(row.id), "email_address": row.email_address, "reply_to_id": reply_to_id}

"""The configuration of the earlier API generations (``tables.legacy``) that the admin API and
``notify-admin`` write: the per-service switches that turn the alpha and beta APIs on, and the
alpha's bearer tokens, kept as SHA-256 digests (the token itself is shown once, when issued). The
api-gateway's legacy adapters read these rows; this module is the only writer."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncEngine

from notify_admin_api.store import KEY_TYPES, AdminError
from notify_admin_api.tables.configuration import services
from notify_admin_api.tables.legacy import legacy_alpha_tokens, legacy_api_switches

TOKEN_BYTES = 32


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class IssuedToken:
    id: str
    token: str  # shown once


class LegacyConfig:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def described_switches(self, service_id: str) -> dict[str, bool]:
        """Whether the alpha and beta APIs answer for the service (404 ``AdminError`` for an
        unknown service; both off until turned on)."""
        async with self.engine.connect() as conn:
            await self._require_service(conn, service_id)
            row = (
                await conn.execute(
                    select(legacy_api_switches).where(legacy_api_switches.c.service_id == service_id)
                )
            ).first()
        return {"alpha": bool(row and row.alpha_enabled), "beta": bool(row and row.beta_enabled)}

    async def set_switches(
        self, service_id: str, *, alpha: bool | None = None, beta: bool | None = None
    ) -> dict[str, bool]:
        async with self.engine.begin() as conn:
            await self._require_service(conn, service_id)
            changes: dict[str, Any] = {"updated_at": datetime.now(UTC)}
            if alpha is not None:
                changes["alpha_enabled"] = alpha
            if beta is not None:
                changes["beta_enabled"] = beta
            statement = pg_insert(legacy_api_switches).values(service_id=service_id, **changes)
            await conn.execute(statement.on_conflict_do_update(index_elements=["service_id"], set_=changes))
        return await self.described_switches(service_id)

    async def issue_token(self, service_id: str, name: str, key_type: str = "normal") -> IssuedToken:
        if key_type not in KEY_TYPES:
            raise AdminError(f"key_type must be one of {', '.join(KEY_TYPES)}")
        async with self.engine.begin() as conn:
            restricted = await self._require_service(conn, service_id)
            if key_type == "normal" and restricted:
                raise AdminError("Live keys cannot be created while the service is in trial mode")
            token_id, token = str(uuid.uuid4()), secrets.token_urlsafe(TOKEN_BYTES)
            await conn.execute(
                insert(legacy_alpha_tokens).values(
                    id=token_id,
                    service_id=service_id,
                    name=name,
                    key_type=key_type,
                    token_sha256=token_digest(token),
                )
            )
        return IssuedToken(id=token_id, token=token)

    async def tokens(self, service_id: str) -> list[dict[str, Any]]:
        query = (
            select(
                legacy_alpha_tokens.c.id,
                legacy_alpha_tokens.c.name,
                legacy_alpha_tokens.c.key_type,
                legacy_alpha_tokens.c.created_at,
                legacy_alpha_tokens.c.revoked_at,
            )
            .where(legacy_alpha_tokens.c.service_id == service_id)
            .order_by(legacy_alpha_tokens.c.created_at)
        )
        async with self.engine.connect() as conn:
            rows = (await conn.execute(query)).mappings().all()
        return [
            {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in dict(r).items()} for r in rows
        ]

    async def revoke_token(self, service_id: str, token_id: str) -> None:
        async with self.engine.begin() as conn:
            result = await conn.execute(
                update(legacy_alpha_tokens)
                .where(
                    and_(
                        legacy_alpha_tokens.c.id == token_id,
                        legacy_alpha_tokens.c.service_id == service_id,
                        legacy_alpha_tokens.c.revoked_at.is_(None),
                    )
                )
                .values(revoked_at=datetime.now(UTC))
            )
        if result.rowcount == 0:
            raise AdminError("Alpha token not found (or already revoked)", 404)

    async def _require_service(self, conn: Any, service_id: str) -> bool:
        row = (await conn.execute(select(services.c.restricted).where(services.c.id == service_id))).first()
        if row is None:
            raise AdminError("Service not found", 404)
        return bool(row.restricted)

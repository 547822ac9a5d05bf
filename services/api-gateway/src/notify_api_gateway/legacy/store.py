"""What the legacy adapters keep in PostgreSQL (``tables_legacy``): the per-service switches, the
alpha's bearer tokens (as SHA-256 digests) and the alpha's jobs. The admin API, ``notify-admin``
and the adapters all go through here. Switches and token look-ups are cached per process for
``cache_seconds``, as the rest of the API's configuration is: a switch turned off or a token
revoked stops working within that time."""

from __future__ import annotations

import hashlib
import secrets
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, delete, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncEngine

from notify_api_gateway.admin_store import KEY_TYPES, AdminError
from notify_common.db.tables import services
from notify_common.db.tables_legacy import legacy_alpha_jobs, legacy_alpha_tokens, legacy_api_switches

GENERATIONS = ("alpha", "beta")
TOKEN_BYTES = 32


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class Switches:
    alpha: bool = False
    beta: bool = False

    def enabled(self, generation: str) -> bool:
        return bool(getattr(self, generation))


@dataclass(frozen=True)
class AlphaToken:
    id: str
    service_id: str
    name: str
    key_type: str
    revoked: bool


@dataclass(frozen=True)
class IssuedToken:
    id: str
    token: str  # shown once


@dataclass(frozen=True)
class AlphaJob:
    id: int
    job_id: str
    service_id: str
    description: str | None


class LegacyStore:
    def __init__(self, engine: AsyncEngine, cache_seconds: float = 0.0) -> None:
        self.engine = engine
        self._cache_seconds = cache_seconds
        self._switches: dict[str, tuple[float, Switches]] = {}
        self._tokens: dict[str, tuple[float, AlphaToken | None]] = {}

    # ---- switches ----------------------------------------------------------------------------

    async def switches(self, service_id: str) -> Switches:
        hit = self._switches.get(service_id)
        if hit is not None and hit[0] > time.monotonic():
            return hit[1]
        async with self.engine.connect() as conn:
            row = (
                await conn.execute(
                    select(legacy_api_switches).where(legacy_api_switches.c.service_id == service_id)
                )
            ).first()
        found = Switches(alpha=row.alpha_enabled, beta=row.beta_enabled) if row else Switches()
        self._switches[service_id] = (time.monotonic() + self._cache_seconds, found)
        return found

    async def described_switches(self, service_id: str) -> dict[str, bool]:
        """The service's switches read afresh (404 ``AdminError`` for an unknown service)."""
        async with self.engine.connect() as conn:
            await self._require_service(conn, service_id)
        self._switches.pop(service_id, None)
        current = await self.switches(service_id)
        return {"alpha": current.alpha, "beta": current.beta}

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

    # ---- alpha tokens ------------------------------------------------------------------------

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
        self._tokens.clear()

    async def token(self, token: str) -> AlphaToken | None:
        """The token (revoked or not) whose digest matches, or None."""
        digest = token_digest(token)
        hit = self._tokens.get(digest)
        if hit is not None and hit[0] > time.monotonic():
            return hit[1]
        query = select(legacy_alpha_tokens).where(legacy_alpha_tokens.c.token_sha256 == digest)
        async with self.engine.connect() as conn:
            row = (await conn.execute(query)).first()
        found = (
            AlphaToken(
                id=str(row.id),
                service_id=str(row.service_id),
                name=row.name,
                key_type=row.key_type,
                revoked=row.revoked_at is not None,
            )
            if row
            else None
        )
        self._tokens[digest] = (time.monotonic() + self._cache_seconds, found)
        return found

    # ---- alpha jobs --------------------------------------------------------------------------

    async def job(self, service_id: str, alpha_job_id: int) -> AlphaJob | None:
        query = select(legacy_alpha_jobs).where(
            and_(legacy_alpha_jobs.c.id == alpha_job_id, legacy_alpha_jobs.c.service_id == service_id)
        )
        async with self.engine.connect() as conn:
            row = (await conn.execute(query)).first()
        return _job(row) if row else None

    async def create_job(self, service_id: str, job_id: str, description: str | None) -> AlphaJob:
        async with self.engine.begin() as conn:
            row = (
                await conn.execute(
                    insert(legacy_alpha_jobs)
                    .values(job_id=job_id, service_id=service_id, description=description)
                    .returning(*legacy_alpha_jobs.c)
                )
            ).first()
        assert row is not None
        return _job(row)

    async def forget_job(self, job_id: str) -> None:
        """Undo ``create_job`` for a job whose only send was then refused or failed."""
        async with self.engine.begin() as conn:
            await conn.execute(delete(legacy_alpha_jobs).where(legacy_alpha_jobs.c.job_id == job_id))

    async def _require_service(self, conn: Any, service_id: str) -> bool:
        row = (await conn.execute(select(services.c.restricted).where(services.c.id == service_id))).first()
        if row is None:
            raise AdminError("Service not found", 404)
        return bool(row.restricted)


def _job(row: Any) -> AlphaJob:
    return AlphaJob(
        id=int(row.id), job_id=str(row.job_id), service_id=str(row.service_id), description=row.description
    )

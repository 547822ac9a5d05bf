"""What the legacy adapters read and keep in PostgreSQL (``tables``): the per-service
switches and the alpha's bearer tokens (as SHA-256 digests), both written by the management plane, and the
alpha's jobs, written here. Switches and token look-ups are cached per process for
``cache_seconds``, as the rest of the API's configuration is: a switch turned off or a token
revoked stops working within that time."""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, delete, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from notify_api_gateway.tables import legacy_alpha_jobs
from notify_common.db.contracts import config_legacy_alpha_tokens as legacy_alpha_tokens
from notify_common.db.contracts import config_legacy_api_switches as legacy_api_switches
from notify_common.service_config import ApiKey


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class Switches:
    alpha: bool = False
    beta: bool = False


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
        self._tokens: dict[str, tuple[float, ApiKey | None]] = {}

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

    def forget(self, service_id: str) -> None:
        """Drop what is cached of ``service_id``: its switches, its tokens, and every token not
        found (one may have been issued since). The admin-api announces each change to a service."""
        self._switches.pop(service_id, None)
        for digest, (_, token) in list(self._tokens.items()):
            if token is None or token.service_id == service_id:
                self._tokens.pop(digest, None)

    # ---- alpha tokens ------------------------------------------------------------------------

    async def token(self, token: str) -> ApiKey | None:
        """The token (revoked or not) whose digest matches, as the API key of the type it was issued
        with that it acts as, or None."""
        digest = token_digest(token)
        hit = self._tokens.get(digest)
        if hit is not None and hit[0] > time.monotonic():
            return hit[1]
        query = select(legacy_alpha_tokens).where(legacy_alpha_tokens.c.token_sha256 == digest)
        async with self.engine.connect() as conn:
            row = (await conn.execute(query)).first()
        found = (
            ApiKey(
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


def _job(row: Any) -> AlphaJob:
    return AlphaJob(
        id=int(row.id), job_id=str(row.job_id), service_id=str(row.service_id), description=row.description
    )

"""The From address of each service: ``<services.email_from>@<email domain>``, read from the
configuration tables once per batch for services not seen before, then kept in memory for a while."""

from __future__ import annotations

import time
from collections.abc import Iterable

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

LOOKUP = text("SELECT CAST(id AS text) AS id, email_from FROM services WHERE id = ANY(CAST(:ids AS uuid[]))")
FALLBACK_LOCAL_PART = "notify"


class FromAddresses:
    def __init__(self, engine: AsyncEngine | None, domain: str, ttl_s: float = 300.0) -> None:
        self._engine, self.domain, self._ttl_s = engine, domain, ttl_s
        self._known: dict[str, tuple[str, float]] = {}

    async def load(self, service_ids: Iterable[str]) -> None:
        now = time.monotonic()
        missing = sorted({s for s in service_ids if s not in self._known or self._known[s][1] < now})
        if not missing or self._engine is None:
            return
        async with self._engine.connect() as conn:
            rows = (await conn.execute(LOOKUP, {"ids": missing})).all()
        found = {r.id: r.email_from for r in rows}
        for service_id in missing:
            self._known[service_id] = (found.get(service_id, FALLBACK_LOCAL_PART), now + self._ttl_s)

    def address_of(self, service_id: str) -> str:
        local_part = self._known.get(service_id, (FALLBACK_LOCAL_PART, 0.0))[0]
        return f"{local_part}@{self.domain}"

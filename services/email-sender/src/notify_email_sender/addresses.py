"""The From address of each email: ``<email_from>@<email domain>``, where ``email_from`` is the
service's, carried by the ``EmailRequested`` event. Events written before it was carried have none:
for those only, the service's is read from the admin-api's read contract ``config_services`` once
per batch for services not seen before, then kept in memory for a while."""

from __future__ import annotations

import time
from collections.abc import Iterable

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from notify_common.events import EmailRequested, Event

LOOKUP = text(
    "SELECT CAST(id AS text) AS id, email_from FROM config_services WHERE id = ANY(CAST(:ids AS uuid[]))"
)
FALLBACK_LOCAL_PART = "notify"


class FromAddresses:
    def __init__(self, engine: AsyncEngine | None, domain: str, ttl_s: float = 300.0) -> None:
        self._engine, self.domain, self._ttl_s = engine, domain, ttl_s
        self._known: dict[str, tuple[str, float]] = {}

    async def load(self, requests: Iterable[Event]) -> None:
        """Look up the services of the email requests that do not carry their ``email_from``."""
        now = time.monotonic()
        missing = sorted(
            {
                r.service_id
                for r in requests
                if isinstance(r, EmailRequested)
                and not r.email_from
                and (r.service_id not in self._known or self._known[r.service_id][1] < now)
            }
        )
        if not missing or self._engine is None:
            return
        async with self._engine.connect() as conn:
            rows = (await conn.execute(LOOKUP, {"ids": missing})).all()
        found = {r.id: r.email_from for r in rows}
        for service_id in missing:
            self._known[service_id] = (found.get(service_id, FALLBACK_LOCAL_PART), now + self._ttl_s)

    def address_of(self, request: EmailRequested) -> str:
        local_part = request.email_from or self._known.get(request.service_id, (FALLBACK_LOCAL_PART, 0.0))[0]
        return f"{local_part}@{self.domain}"

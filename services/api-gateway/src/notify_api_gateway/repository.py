"""The configuration the API needs, as ``notify_common.service_config`` reads it (a service with its
keys, senders, team and guest list, limits and retention; templates), cached in the process.

Configuration is cached for ``config_cache_seconds`` (5 s by default), so the hot path costs no
query while a revoked key or an edited template still takes effect within seconds (a service or
template in use is loaded again in the background shortly before it expires, so no send waits for
the load); while
PostgreSQL cannot be reached, configuration loaded less than ``config_stale_seconds`` ago keeps
being served (``notify_common.db.stale_reads``: sends go on, the event log, not the database,
records what was accepted). Template versions never change once written, so they are cached for
longer.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine

from notify_common.db.stale_reads import Reachability, StaleReads
from notify_common.secrets import SecretBox
from notify_common.service_config import (
    ServiceConfig,
    Template,
    load_service_config,
    load_template,
    load_template_version,
    load_templates,
)

CACHE_SECONDS = 5.0
STALE_SECONDS = 600.0
VERSION_CACHE_SIZE = 10_000


class Repository:
    def __init__(
        self,
        engine: AsyncEngine,
        box: SecretBox,
        cache_seconds: float = CACHE_SECONDS,
        stale_seconds: float = STALE_SECONDS,
    ) -> None:
        self.engine = engine
        self._box = box
        database = Reachability()
        self._configs: StaleReads[str, ServiceConfig | None] = StaleReads(
            lambda service_id: self._load_config(service_id), database, cache_seconds, stale_seconds
        )
        self._templates: StaleReads[tuple[str, str], Template | None] = StaleReads(
            lambda key: self._load_template(*key), database, cache_seconds, stale_seconds
        )
        self._versions: dict[tuple[str, str, int], Template] = {}

    async def service_config(self, service_id: str) -> ServiceConfig | None:
        return await self._configs.get(service_id)

    def forget(self, service_id: str) -> None:
        """Drop a service's cached configuration and templates (its configuration changed)."""
        self._configs.forget(lambda key: key == service_id)
        self._templates.forget(lambda key: key[0] == service_id)

    async def _load_config(self, service_id: str) -> ServiceConfig | None:
        async with self.engine.connect() as conn:
            return await load_service_config(conn, service_id, self._box)

    async def template(
        self, service_id: str, template_id: str, version: int | None = None
    ) -> Template | None:
        if version is not None:
            return await self._template_version(service_id, template_id, version)
        return await self._templates.get((service_id, template_id))

    async def _load_template(self, service_id: str, template_id: str) -> Template | None:
        async with self.engine.connect() as conn:
            return await load_template(conn, service_id, template_id)

    async def _template_version(self, service_id: str, template_id: str, version: int) -> Template | None:
        key = (service_id, template_id, version)
        if key in self._versions:
            return self._versions[key]
        async with self.engine.connect() as conn:
            found = await load_template_version(conn, service_id, template_id, version)
        if found is None:
            return None
        if len(self._versions) >= VERSION_CACHE_SIZE:
            self._versions.clear()
        self._versions[key] = found
        return found

    async def templates(self, service_id: str, template_type: str | None) -> list[Template]:
        """The latest version of every template of the service that is not archived."""
        async with self.engine.connect() as conn:
            return await load_templates(conn, service_id, template_type)

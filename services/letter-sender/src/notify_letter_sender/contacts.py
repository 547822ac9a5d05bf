"""The contact block printed top right on a templated letter: the pinned template version's, carried
by the ``LetterRequested`` event. Events written before it was carried have none: for those only,
it is read from the template's version (the admin-api's read contract ``config_template_versions``)
once and kept in memory."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from notify_common.events import LetterRequested

LOOKUP = text(
    "SELECT letter_contact_block FROM config_template_versions "
    "WHERE id = CAST(:id AS uuid) AND version = :version"
)


class ContactBlocks:
    def __init__(self, engine: AsyncEngine | None) -> None:
        self._engine = engine
        self._known: dict[tuple[str, int], str | None] = {}

    async def of(self, request: LetterRequested) -> str | None:
        if request.contact_block is not None:
            return request.contact_block or None
        key = (request.template_id, request.template_version)
        if key not in self._known and self._engine is not None:
            async with self._engine.connect() as conn:
                self._known[key] = (await conn.execute(LOOKUP, {"id": key[0], "version": key[1]})).scalar()
        return self._known.get(key)

"""The contact block printed top right on a templated letter: the pinned template version's."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

LOOKUP = text(
    "SELECT letter_contact_block FROM template_versions WHERE id = CAST(:id AS uuid) AND version = :version"
)


class ContactBlocks:
    def __init__(self, engine: AsyncEngine | None) -> None:
        self._engine = engine
        self._known: dict[tuple[str, int], str | None] = {}

    async def of(self, template_id: str, version: int) -> str | None:
        key = (template_id, version)
        if key not in self._known and self._engine is not None:
            async with self._engine.connect() as conn:
                self._known[key] = (
                    await conn.execute(LOOKUP, {"id": template_id, "version": version})
                ).scalar()
        return self._known.get(key)

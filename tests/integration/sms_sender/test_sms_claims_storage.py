"""How the sms-sender's claims are stored: each claim is settled by an update of its row soon after
it was inserted, an update of no indexed column, so its pages are filled only to 70 % and the new
version fits beside the old one (a HOT update, which writes no index entry)."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine


async def test_the_claims_table_leaves_room_on_each_page_for_the_settling_update(engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        options = (
            await conn.execute(
                text("SELECT reloptions FROM pg_class WHERE oid = 'sms_send_claims'::regclass")
            )
        ).scalar_one()

    assert options == ["fillfactor=70"]

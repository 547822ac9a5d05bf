"""The indexes of the notifications projection: every version of a row costs an entry in each index
it belongs to, so a live notification belongs to none it is never looked up by. The api-gateway's
list for a test key is read through an index of the test notifications alone; the lists for live
keys through the service's index by (created_at, id)."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

SERVICE = "00000000-0000-0000-0000-000000000003"
FILL = """
INSERT INTO listing (id, service_id, key_type, status, created_at, notification_type)
SELECT gen_random_uuid(), ('00000000-0000-0000-0000-0000000000' || lpad((i % 10)::text, 2, '0'))::uuid,
    CASE WHEN i % 100 = 0 THEN 'test' ELSE 'normal' END, 'delivered',
    now() - (i::float / 20000) * interval '7 days', 'sms'
FROM generate_series(1, 20000) AS i
"""
# The api-gateway's lists (notification_reads.py), newest first.
LIST = (
    "SELECT * FROM listing WHERE service_id = :service AND created_at IS NOT NULL "
    "AND created_at >= now() - interval '7 days' AND {visible} ORDER BY created_at DESC, id DESC LIMIT 250"
)
TEST_KEY = "key_type = 'test'"
LIVE_KEY = "(key_type <> 'test' OR key_type IS NULL)"


async def _indexes(engine: AsyncEngine) -> dict[str, str]:
    async with engine.connect() as conn:
        rows = await conn.execute(
            text(
                "SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index "
                "WHERE indrelid = 'notifications'::regclass"
            )
        )
        return {name: definition.split(" USING ", 1)[1] for name, definition in rows}


async def test_only_test_notifications_have_an_entry_in_an_index_by_key_type(engine: AsyncEngine) -> None:
    by_key_type = {name: d for name, d in (await _indexes(engine)).items() if "key_type" in d}

    assert by_key_type == {
        "ix_notifications_service_created_test": (
            "btree (service_id, created_at DESC, id DESC) WHERE ((key_type)::text = 'test'::text)"
        )
    }


async def test_the_lists_for_test_and_live_keys_are_read_through_an_index(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        await conn.execute(text("CREATE TEMP TABLE listing (LIKE notifications INCLUDING ALL)"))
        await conn.execute(text(FILL))
        await conn.execute(text("ANALYZE listing"))
        test_index = (
            await conn.execute(
                text(
                    "SELECT indexrelid::regclass::text FROM pg_index WHERE indrelid = 'listing'::regclass "
                    "AND pg_get_indexdef(indexrelid) LIKE '%key_type%'"
                )
            )
        ).scalar_one()
        plans = {
            key: "\n".join(
                r[0]
                for r in await conn.execute(
                    text("EXPLAIN " + LIST.format(visible=visible)), {"service": SERVICE}
                )
            )
            for key, visible in (("test", TEST_KEY), ("live", LIVE_KEY))
        }
        await conn.execute(text("DROP TABLE listing"))

    assert f" on {test_index} " in plans["test"] or f" using {test_index} " in plans["test"], plans["test"]
    assert "Seq Scan" not in plans["test"], plans["test"]
    assert "Index Scan" in plans["live"], plans["live"]
    assert "Seq Scan" not in plans["live"], plans["live"]

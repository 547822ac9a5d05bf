"""Shadow copies of the projection tables in a schema of their own, and the swap that puts them live.

A shadow table has the live table's columns, defaults, storage parameters and indexes, with the
same index and constraint names (they live in another schema), so after the swap the schema is
exactly what the migrations made. The projection's statements use unqualified names, so ``search_path`` alone
decides whether they write the live tables or the shadow ones.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from notify_projector.tables import PROJECTION_TABLES

LIVE = "public"


def _ident(name: str) -> str:
    if not name.replace("_", "").isalnum():
        raise ValueError(f"not a plain identifier: {name!r}")
    return name


async def use_schema(conn: AsyncConnection, schema: str) -> None:
    """Point this transaction's unqualified table names at ``schema`` (functions stay in public)."""
    await conn.execute(text(f"SET LOCAL search_path TO {_ident(schema)}, public"))


async def _indexes(conn: AsyncConnection, table: str) -> list[tuple[str, str, str | None]]:
    """(index name, definition, primary-key constraint name or None) of a live table."""
    rows = await conn.execute(
        text("""
        SELECT i.relname, pg_get_indexdef(i.oid), c.conname
        FROM pg_index x
        JOIN pg_class i ON i.oid = x.indexrelid
        JOIN pg_class t ON t.oid = x.indrelid
        JOIN pg_namespace n ON n.oid = t.relnamespace
        LEFT JOIN pg_constraint c ON c.conindid = i.oid AND c.contype = 'p'
        WHERE n.nspname = :schema AND t.relname = :table
        ORDER BY c.conname IS NULL, i.relname
        """),
        {"schema": LIVE, "table": table},
    )
    return [(r[0], r[1], r[2]) for r in rows]


async def create_shadow(conn: AsyncConnection, schema: str, *, secondary_indexes: bool = True) -> None:
    """Create empty copies of every projection table in ``schema`` (dropped first if it exists).
    Without ``secondary_indexes`` only the primary keys are made (faster bulk loads; add the rest
    with ``create_secondary_indexes`` before the swap)."""
    s = _ident(schema)
    await conn.execute(text(f"DROP SCHEMA IF EXISTS {s} CASCADE"))
    await conn.execute(text(f"CREATE SCHEMA {s}"))
    for table in PROJECTION_TABLES:
        await conn.execute(
            text(
                f"CREATE TABLE {s}.{table} (LIKE {LIVE}.{table} INCLUDING DEFAULTS INCLUDING CONSTRAINTS "
                "INCLUDING GENERATED INCLUDING STORAGE)"
            )
        )
        options = await _storage_options(conn, table)
        if options:
            await conn.execute(text(f"ALTER TABLE {s}.{table} SET ({', '.join(options)})"))
        for name, definition, pkey in await _indexes(conn, table):
            if pkey is not None or secondary_indexes:
                await _copy_index(conn, s, table, name, definition, pkey)


async def _storage_options(conn: AsyncConnection, table: str) -> list[str]:
    """A live table's storage parameters (``fillfactor=75``), which ``LIKE`` does not copy."""
    found = await conn.execute(
        text(
            "SELECT unnest(c.reloptions) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = :schema AND c.relname = :table"
        ),
        {"schema": LIVE, "table": table},
    )
    options = [str(r[0]) for r in found]
    for option in options:
        name, _, value = option.partition("=")
        if not (_ident(name) and value.replace(".", "").replace("_", "").isalnum()):
            raise ValueError(f"unexpected storage parameter: {option!r}")
    return options


async def create_secondary_indexes(conn: AsyncConnection, schema: str) -> None:
    s = _ident(schema)
    for table in PROJECTION_TABLES:
        for name, definition, pkey in await _indexes(conn, table):
            if pkey is None:
                await _copy_index(conn, s, table, name, definition, None)


async def _copy_index(
    conn: AsyncConnection, schema: str, table: str, name: str, definition: str, pkey: str | None
) -> None:
    qualified = definition.replace(f" ON {LIVE}.{table} ", f" ON {schema}.{table} ", 1)
    if qualified == definition:
        qualified = definition.replace(f" ON {table} ", f" ON {schema}.{table} ", 1)
    await conn.execute(text(qualified))
    if pkey is not None:
        await conn.execute(
            text(f"ALTER TABLE {schema}.{table} ADD CONSTRAINT {pkey} PRIMARY KEY USING INDEX {name}")
        )


async def swap(conn: AsyncConnection, shadow: str, retired: str) -> None:
    """Within the caller's transaction: move the live tables to ``retired`` and the shadow ones
    in their place. Readers wait for the commit (milliseconds), then see the new tables."""
    s, r = _ident(shadow), _ident(retired)
    await conn.execute(text(f"DROP SCHEMA IF EXISTS {r} CASCADE"))
    await conn.execute(text(f"CREATE SCHEMA {r}"))
    for table in PROJECTION_TABLES:
        await conn.execute(text(f"LOCK TABLE {LIVE}.{table} IN ACCESS EXCLUSIVE MODE"))
    for table in PROJECTION_TABLES:
        await conn.execute(text(f"ALTER TABLE {LIVE}.{table} SET SCHEMA {r}"))
        await conn.execute(text(f"ALTER TABLE {s}.{table} SET SCHEMA {LIVE}"))
    await conn.execute(text(f"DROP SCHEMA {s}"))


async def drop_schema(conn: AsyncConnection, schema: str) -> None:
    await conn.execute(text(f"DROP SCHEMA IF EXISTS {_ident(schema)} CASCADE"))

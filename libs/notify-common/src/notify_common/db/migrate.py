"""Brings the database schema up to date: ``python -m notify_common.db.migrate [revision]``.

Used by the local platform at start, by the tests, and by the Helm chart's pre-install and
pre-upgrade hook. A PostgreSQL advisory lock stops two migrators racing.
"""

from __future__ import annotations

import sys
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, pool, text

from notify_common.settings import CommonSettings

MIGRATIONS = Path(__file__).with_name("migrations")
_LOCK_ID = 0x4E4F5449  # "NOTI"


def alembic_config(database_url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return cfg


def upgrade(database_url: str, revision: str = "heads") -> None:
    engine = create_engine(database_url, poolclass=pool.NullPool)
    with engine.connect() as conn:
        conn.execute(text("SELECT pg_advisory_lock(:id)"), {"id": _LOCK_ID})
        try:
            command.upgrade(alembic_config(database_url), revision)
        finally:
            conn.execute(text("SELECT pg_advisory_unlock(:id)"), {"id": _LOCK_ID})
    engine.dispose()


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    upgrade(CommonSettings().database_url.get_secret_value(), args[0] if args else "heads")
    print("database schema is up to date")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Brings the database schema up to date: ``python -m notify_common.db.migrate [revision]``.

Used by the local platform at start, by the tests, and by the Helm chart's pre-install and
pre-upgrade hook. A PostgreSQL advisory lock stops two migrators racing.

The migrations are one Alembic history spread over several folders: the shared baseline here
(``migrations/versions``: the first tables and the migrations that change several owners' tables
at once), and each service's own in its package's ``migrations`` folder (``notify_<service>/
migrations``), which change only that service's tables. The folders are found among the installed
packages, by name, without naming any service here: every installed top-level package whose name
starts with ``notify_`` and that has a ``migrations`` folder of ``*.py`` files. So whatever runs
the migrations must have every service's package installed (docs/architecture.md, "Tables").
"""

from __future__ import annotations

import importlib.util
import os
import pkgutil
import sys
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, pool, text

from notify_common.settings import CommonSettings

MIGRATIONS = Path(__file__).with_name("migrations")
_LOCK_ID = 0x4E4F5449  # "NOTI"


def version_locations() -> list[Path]:
    """Every folder of the history: the shared baseline's, then each installed service package's
    ``migrations`` folder, by package name."""
    found = [MIGRATIONS / "versions"]
    for name in sorted({m.name for m in pkgutil.iter_modules() if m.ispkg and m.name.startswith("notify_")}):
        spec = importlib.util.find_spec(name)
        for location in (spec.submodule_search_locations or []) if spec is not None else []:
            folder = Path(location) / "migrations"
            if name != "notify_common" and any(folder.glob("*.py")):
                found.append(folder)
    return found


def alembic_config(database_url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("path_separator", "os")
    cfg.set_main_option("version_locations", os.pathsep.join(str(p) for p in version_locations()))
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

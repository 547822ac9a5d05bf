"""``deploy/local/infra.sh``'s PostgreSQL when the checkout sits inside a private folder (a clone
under /root, mode 0700): PostgreSQL runs as the ``postgres`` user when the scripts run as root, and
must still find its data, socket directory and log, without the folder being opened up."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import stat
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tests.support import env

INFRA = env.ROOT / "deploy" / "local" / "infra.sh"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class LocalPostgres:
    def __init__(self, state: Path, port: int) -> None:
        self.state = state
        self.port = port
        self.env = {**os.environ, "NOTIFY_STATE_DIR": str(state), "NOTIFY_LOCAL_PG_PORT": str(port)}

    def infra(self, action: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["bash", str(INFRA), action, "postgres"],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )

    def query(self, sql: str) -> list[tuple[object, ...]]:
        engine = create_engine(
            f"postgresql+psycopg://notify@127.0.0.1:{self.port}/notify", isolation_level="AUTOCOMMIT"
        )
        try:
            with engine.connect() as conn:
                result = conn.execute(text(sql))
                return [tuple(row) for row in result] if result.returns_rows else []
        finally:
            engine.dispose()


@pytest.fixture
def private_checkout(tmp_path: Path) -> Iterator[LocalPostgres]:
    home = tmp_path / "home"
    home.mkdir()
    home.chmod(0o700)
    local = LocalPostgres(home / "notify" / ".local", _free_port())
    yield local
    local.infra("stop")
    # When the data lives outside the checkout, .local/postgres points at it: remove that too.
    pointer = local.state / "postgres"
    if pointer.is_symlink():
        away = pointer.resolve()
        shutil.rmtree(away, ignore_errors=True)
        with contextlib.suppress(OSError):
            away.parent.rmdir()  # /var/lib/notify-local, when nothing else is kept there


def test_postgres_starts_and_keeps_its_data_when_the_checkout_is_inside_a_private_folder(
    private_checkout: LocalPostgres,
) -> None:
    started = private_checkout.infra("start")
    assert started.returncode == 0, started.stdout + started.stderr
    private_checkout.query("CREATE TABLE kept (id int)")
    private_checkout.query("INSERT INTO kept VALUES (7)")

    stopped = private_checkout.infra("stop")
    assert stopped.returncode == 0, stopped.stdout + stopped.stderr
    again = private_checkout.infra("start")
    assert again.returncode == 0, again.stdout + again.stderr

    assert private_checkout.query("SELECT id FROM kept") == [(7,)]
    # The server's log is where the other logs are, and the private folder was left private.
    assert "database system is ready" in (private_checkout.state / "logs" / "postgres.log").read_text()
    assert stat.S_IMODE((private_checkout.state.parent.parent).stat().st_mode) == 0o700

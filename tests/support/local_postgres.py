"""A PostgreSQL of a test's own, started and stopped by ``deploy/local/infra.sh`` (the same script
as ``make up``) in a temporary state folder on a free port, so a test can stop and restart it
without touching the shared one."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import create_engine, text

from notify_common.db.migrate import upgrade
from tests.support.env import ROOT

INFRA = ROOT / "deploy" / "local" / "infra.sh"


@dataclass
class LocalPostgres:
    state: Path
    port: int
    _frozen: list[int] = field(default_factory=list)

    @property
    def env(self) -> dict[str, str]:
        return {**os.environ, "NOTIFY_STATE_DIR": str(self.state), "NOTIFY_LOCAL_PG_PORT": str(self.port)}

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://notify@127.0.0.1:{self.port}/{database}"

    def infra(self, action: str) -> None:
        done = subprocess.run(
            ["bash", str(INFRA), action, "postgres"],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"infra.sh {action} postgres failed: {done.stdout}{done.stderr}")

    def start(self) -> None:
        self.infra("start")

    def stop(self) -> None:
        """A fast shutdown (``pg_ctl -m fast``): open sessions are ended at once."""
        self.infra("stop")

    def freeze(self) -> int:
        """Stops every process of the server with SIGSTOP (the postmaster first, so it forks no
        more): connections stay open and nothing answers, as on a hung host. Returns how many."""
        postmaster = int((self.state / "run" / "postgres.pid").read_text().split()[0])
        os.kill(postmaster, signal.SIGSTOP)
        children = subprocess.run(
            ["pgrep", "-P", str(postmaster)], capture_output=True, text=True, check=False
        ).stdout.split()
        self._frozen = [postmaster, *(int(pid) for pid in children)]
        for pid in self._frozen[1:]:
            os.kill(pid, signal.SIGSTOP)
        return len(self._frozen)

    def thaw(self) -> None:
        """Continues what ``freeze`` stopped (the postmaster last)."""
        for pid in reversed(self._frozen):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGCONT)
        self._frozen = []

    def create_database(self, name: str) -> str:
        """Creates ``name``, migrates it to head and returns its URL."""
        admin = create_engine(self.url("postgres"), isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
        finally:
            admin.dispose()
        upgrade(self.url(name))
        return self.url(name)

    def remove(self) -> None:
        """Stops the server and removes its data (also when it had to live outside ``state``)."""
        with contextlib.suppress(RuntimeError):
            self.stop()
        pointer = self.state / "postgres"
        if pointer.is_symlink():
            away = pointer.resolve()
            shutil.rmtree(away, ignore_errors=True)
            with contextlib.suppress(OSError):
                away.parent.rmdir()
        shutil.rmtree(self.state, ignore_errors=True)

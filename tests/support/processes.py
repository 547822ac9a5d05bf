"""Runs the platform's real service executables as child processes for end-to-end tests."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tests.support.env import ROOT


@dataclass
class ServiceProcess:
    name: str
    port: int
    env: dict[str, str]
    log_dir: Path
    process: subprocess.Popen[bytes] | None = field(default=None, init=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.log_dir / f"{self.name}.log"

    def start(self) -> None:
        executable = ROOT / ".venv" / "bin" / f"notify-{self.name}"
        env = {**self.env, "NOTIFY_HTTP_PORT": str(self.port)}
        log = self.log_path.open("ab")
        self.process = subprocess.Popen([str(executable)], env=env, stdout=log, stderr=subprocess.STDOUT)

    def wait_ready(self, timeout: float = 120.0) -> None:
        # One client for the whole wait: each new httpx client loads the CA bundle (tens of
        # milliseconds of CPU holding the GIL), which, five times a second, starves a load
        # generator running in the same process while a service restarts under load.
        deadline = time.monotonic() + timeout
        with httpx.Client(timeout=2) as client:
            while time.monotonic() < deadline:
                assert self.process is not None
                if self.process.poll() is not None:
                    raise RuntimeError(
                        f"{self.name} exited with {self.process.returncode}: see {self.log_path}"
                    )
                try:
                    if client.get(f"{self.url}/readyz").status_code == 200:
                        return
                except httpx.HTTPError:
                    pass
                time.sleep(0.2)
        raise TimeoutError(f"{self.name} not ready after {timeout}s: see {self.log_path}")

    def stop(self, timeout: float = 30.0) -> int:
        """SIGTERM, and the exit code; a service that needs SIGKILL fails the caller's check."""
        self.terminate()
        return self.exit_code(timeout)

    def terminate(self) -> None:
        """SIGTERM, once, to a process still running; ``exit_code`` waits for it to end."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)

    def exit_code(self, timeout: float = 30.0) -> int:
        """The exit code once the process ends, or -9 after SIGKILL if it has not within ``timeout``."""
        if self.process is None:
            return 0
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait()
            return -9

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()


def stop_all(services: list[ServiceProcess], timeout: float = 30.0) -> list[int]:
    """SIGTERM to every process at once, as ``make down`` and a Deployment's rollout stop them, then
    each exit code in order (-9 for one that needed SIGKILL after ``timeout``): one slow shutdown
    does not hold up the others' signals."""
    for service in services:
        service.terminate()
    return [service.exit_code(timeout) for service in services]

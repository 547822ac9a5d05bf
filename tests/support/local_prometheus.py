"""Prometheus started by ``deploy/local/infra.sh`` in a private state folder on a free port, as
``make up`` starts it, and small helpers over its HTTP API. The real binary from Debian's
prometheus package (deploy/local/install.sh installs it)."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from tests.support.env import ROOT
from tests.support.platform import free_ports

INFRA = ROOT / "deploy" / "local" / "infra.sh"


@dataclass(frozen=True)
class LocalPrometheus:
    url: str
    state: Path
    env: dict[str, str]

    def infra(self, action: str) -> subprocess.CompletedProcess[str]:
        """``infra.sh ACTION prometheus`` with this instance's state folder and port."""
        return subprocess.run(
            ["bash", str(INFRA), action, "prometheus"],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    def api(self, path: str, **params: str) -> Any:
        response = httpx.get(f"{self.url}/api/v1/{path}", params=params, timeout=10)
        return response.json()

    def query(self, promql: str) -> list[dict[str, Any]]:
        answer = self.api("query", query=promql)
        assert answer["status"] == "success", answer
        result: list[dict[str, Any]] = answer["data"]["result"]
        return result

    def alerts(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self.api("alerts")["data"]["alerts"]
        return result


def wait_until(what: str, check: Callable[[], Any], timeout: float = 90.0) -> Any:
    """Polls ``check`` until it returns something truthy; its last answer is in the failure."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(0.5)
    raise AssertionError(f"{what}: not after {timeout:.0f}s (last: {last!r})")


@contextmanager
def local_prometheus(state: Path, targets: dict[str, int], rules: list[Path]) -> Iterator[LocalPrometheus]:
    """Starts Prometheus through infra.sh scraping ``targets`` (job name -> port on 127.0.0.1) with
    the rule files ``rules``; stops it through infra.sh, and by its pid file should that fail."""
    assert shutil.which("prometheus"), "prometheus is missing: deploy/local/install.sh installs it"
    (port,) = free_ports(1)
    env = {
        **os.environ,
        "NOTIFY_STATE_DIR": str(state),
        "NOTIFY_LOCAL_PROMETHEUS_PORT": str(port),
        "NOTIFY_LOCAL_PROMETHEUS_TARGETS": " ".join(f"{job}:{p}" for job, p in targets.items()),
        "NOTIFY_LOCAL_PROMETHEUS_RULES": " ".join(str(path) for path in rules),
    }
    prometheus = LocalPrometheus(url=f"http://127.0.0.1:{port}", state=state, env=env)
    started = prometheus.infra("start")
    try:
        assert started.returncode == 0, started.stdout + started.stderr
        yield prometheus
    finally:
        prometheus.infra("stop")
        pidfile = state / "run" / "prometheus.pid"
        if pidfile.exists():
            subprocess.run(["kill", pidfile.read_text().strip()], check=False)

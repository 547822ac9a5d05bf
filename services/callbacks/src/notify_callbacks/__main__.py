"""Entry point: ``notify-callbacks``. Its handling arrives with a later issue; until then it starts,
connects, serves /healthz and /readyz and stops cleanly, without consuming (see runtime.serve_idle)."""

from __future__ import annotations

from notify_common import topics
from notify_common.runtime import run_idle
from notify_common.settings import CommonSettings


class Settings(CommonSettings):
    http_port: int = 6025


def main() -> int:
    return run_idle("callbacks", Settings(), topics.GROUP_CALLBACKS)


if __name__ == "__main__":
    raise SystemExit(main())

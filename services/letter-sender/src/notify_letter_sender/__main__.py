"""Entry point: ``notify-letter-sender``. Its handling arrives with a later issue; until then it starts,
connects, serves /healthz and /readyz and stops cleanly, without consuming (see runtime.serve_idle)."""

from __future__ import annotations

from notify_common import topics
from notify_common.runtime import run_idle
from notify_common.settings import CommonSettings


class Settings(CommonSettings):
    http_port: int = 6023


def main() -> int:
    return run_idle("letter-sender", Settings(), topics.GROUP_LETTER_SENDER)


if __name__ == "__main__":
    raise SystemExit(main())

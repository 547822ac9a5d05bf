"""Entry point: ``notify-job-splitter``. Its handling arrives with a later issue; until then it starts,
connects, serves /healthz and /readyz and stops cleanly, without consuming (see runtime.serve_idle)."""

from __future__ import annotations

from notify_common import topics
from notify_common.runtime import run_idle
from notify_common.settings import CommonSettings


class Settings(CommonSettings):
    http_port: int = 6026


def main() -> int:
    return run_idle("job-splitter", Settings(), topics.GROUP_JOB_SPLITTER)


if __name__ == "__main__":
    raise SystemExit(main())

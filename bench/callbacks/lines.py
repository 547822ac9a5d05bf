"""bench/callbacks/lines.py: CPU per "callback attempted" line, the service's JSON lines written
to a file (as its stdout is under deploy/local), a batch at a time: each line through
``Logger.info`` (a record, its caller looked up, a write and a flush per line) against
``notify_callbacks.lines.info_each`` (one write and flush per batch), alternating.

    .venv/bin/python bench/callbacks/lines.py [BATCH, default 200] [ROUNDS, default 4]
"""

from __future__ import annotations

import logging
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from notify_callbacks.lines import info_each  # noqa: E402
from notify_common.logs import configure_logging  # noqa: E402

LINES = 20_000


def main(batch: int, rounds: int) -> None:
    configure_logging("callbacks", "INFO")
    handler = logging.getLogger().handlers[0]
    assert isinstance(handler, logging.StreamHandler)
    log = logging.getLogger("notify_callbacks.handler")
    fields = [
        {
            "service_id": str(uuid.uuid4()),
            "notification_id": str(uuid.uuid4()),
            "inbound_sms_id": None,
            "callback_type": "delivery_status",
            "attempt": 1,
            "outcome": "succeeded",
            "status_code": 200,
        }
        for _ in range(batch)
    ]

    def each() -> None:
        for extra in fields:
            log.info("callback attempted", extra=extra)

    def batched() -> None:
        info_each(log, "callback attempted", fields)

    ways: dict[str, Callable[[], None]] = {"Logger.info": each, "info_each": batched}
    with tempfile.TemporaryDirectory() as folder, open(Path(folder) / "log", "w") as out:
        handler.setStream(out)
        for _ in range(rounds):
            for name, way in ways.items():
                started = time.process_time()
                for _ in range(LINES // batch):
                    way()
                spent = time.process_time() - started
                per_line = spent / (LINES // batch * batch) * 1e6
                print(f"{name:>12}: {per_line:.1f} µs CPU a line (batches of {batch})")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 200, int(sys.argv[2]) if len(sys.argv) > 2 else 4)

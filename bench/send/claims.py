"""Micro-benchmark: the CPU a sender spends claiming and settling, per notification.

Claims ``--batches`` batches of ``--size`` new notification ids with ``ClaimStore.claim``, then
settles each batch as sent with ``ClaimStore.settle``, and prints this process's CPU time
(``time.process_time()``) per notification, for an engine whose pool tries each connection before
handing it out (``pre_ping``, a ``SELECT 1`` round trip) and for one that does not, alternating.
It writes to the ``sms_send_claims`` table of ``$NOTIFY_DATABASE_URL`` (a platform's own database,
migrated; rows with fresh random ids, left behind).

Run: ``.venv/bin/python bench/send/claims.py [--batches N] [--size N] [--rounds N]`` with
``NOTIFY_DATABASE_URL`` set (``source deploy/local/env.sh``).
"""

from __future__ import annotations

import argparse
import asyncio
import time
import uuid
from pathlib import Path

import uvloop

from notify_common.db import create_engine
from notify_common.events import now
from notify_common.send_claims import ClaimStore, Settlement
from notify_common.settings import CommonSettings
from notify_sms_sender.tables import sms_send_claims


async def measure(pre_ping: bool, batches: int, size: int) -> float:
    """CPU microseconds per notification for claiming and settling ``batches`` batches."""
    engine = create_engine(CommonSettings(), pool_size=4, pre_ping=pre_ping)
    store = ClaimStore(engine, sms_send_claims)

    async def one() -> None:
        ids = [str(uuid.uuid4()) for _ in range(size)]
        await store.claim(dict.fromkeys(ids, "mmg"))
        await store.settle([Settlement(i, "sent", provider="mmg", reference=i, sent_at=now()) for i in ids])

    try:
        for _ in range(10):  # connections made, statements prepared
            await one()
        started = time.process_time()
        for _ in range(batches):
            await one()
        return (time.process_time() - started) / (batches * size) * 1e6
    finally:
        await engine.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--batches", type=int, default=300)
    parser.add_argument("--size", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    for _ in range(args.rounds):
        for pre_ping in (True, False):
            with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
                us = runner.run(measure(pre_ping, args.batches, args.size))
            load = Path("/proc/loadavg").read_text().split()[0]
            label = "with pre-ping" if pre_ping else "without"
            print(f"{label:>13}: {us:6.1f} µs CPU per notification (batches of {args.size}, load {load})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

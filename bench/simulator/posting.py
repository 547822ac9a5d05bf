"""Micro-benchmark: the provider simulator's CPU per receipt posted, in-process.

A ``ReceiptPoster`` (the simulator's own, with its default 32 posters) is owed ``--receipts``
receipts due at once and posts them to an endpoint in another process that answers 200 at once;
reported is this process's CPU time (``time.process_time()``) per receipt from the first owed to
the last taken, so the simulator's sends and its HTTP server are not in the figure. CPU time is
what a loaded machine distorts least. For a before/after pair, put the other version's package
ahead of the installed one::

    .venv/bin/python bench/simulator/posting.py --receipts 20000
    git archive <commit> services/provider-simulator/src | tar -x -C /tmp/simulator-old
    PYTHONPATH=/tmp/simulator-old/services/provider-simulator/src \\
        .venv/bin/python bench/simulator/posting.py --receipts 20000
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import uvloop

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.support.senders import free_port  # noqa: E402

from bench.simulator.run import RECEIVER  # noqa: E402
from notify_provider_simulator import receipt_posting  # noqa: E402
from notify_provider_simulator.outcomes import SimulatedMessage, now  # noqa: E402
from notify_provider_simulator.receipt_posting import ReceiptPoster  # noqa: E402
from notify_provider_simulator.settings import SimulatorSettings  # noqa: E402
from notify_provider_simulator.state import OwedReceipt  # noqa: E402


async def post_all(url: str, receipts: int, as_json: bool) -> float:
    poster = ReceiptPoster(SimulatorSettings(simulator_printer=False))
    messages = []
    for _ in range(receipts):
        reference = str(uuid.uuid4())
        message = SimulatedMessage("mmg", reference, "447700900123", "Hi", "GOVUK", "delivered", now())
        body = {"status": "3", "CID": reference, "substatus": "2", "deliverytime": "2026-12-05 10:00:00"}
        messages.append((message, OwedReceipt(reference, url, body, as_json)))
    started = time.process_time()
    for message, receipt in messages:
        poster.owe(message, receipt, 0.0)
    while poster.owed:  # noqa: ASYNC110 - the posters settle it, with no event to wait on
        await asyncio.sleep(0.01)
    spent = time.process_time() - started
    await poster.close()
    if poster.posted != receipts:
        raise SystemExit(f"only {poster.posted} of {receipts} posted")
    return spent / receipts


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--receipts", type=int, default=20_000)
    parser.add_argument("--form", action="store_true", help="Firetext's form bodies (default MMG's JSON)")
    args = parser.parse_args()
    port = free_port()
    receiver = subprocess.Popen([sys.executable, "-c", RECEIVER, str(port)])
    try:
        time.sleep(2)  # the receiver's start-up
        url = f"http://127.0.0.1:{port}/notifications/sms/mmg?token=bench"
        load = os.getloadavg()[0]
        per_receipt = uvloop.run(post_all(url, args.receipts, not args.form))
        print(
            f"RESULT {receipt_posting.__file__}: {per_receipt * 1e6:.1f} µs CPU per receipt "
            f"({args.receipts} {'form' if args.form else 'JSON'} receipts; load {load:.1f} -> "
            f"{os.getloadavg()[0]:.1f})"
        )
    finally:
        receiver.kill()
        receiver.wait()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Micro-benchmark: the provider simulator's CPU to take a send, in-process, without HTTP.

``take_mmg`` and ``take_firetext`` (what ``POST /mmg`` and ``POST /firetext`` run once the body is
read) are given ``--sends`` bodies shaped as the sms-sender writes them (MMG's JSON with its
``delurl``, Firetext's form with its ``receipt`` URL) and, for MMG, once more without a receipt URL
(the simulator's own default); receipts are off, so only taking the send is timed. Reported: CPU time
(``time.process_time()``) per send. For a before/after pair, put the other version's package ahead
of the installed one::

    .venv/bin/python bench/simulator/accepting.py
    git archive <commit> services/provider-simulator/src | tar -x -C /tmp/old
    PYTHONPATH=/tmp/old/services/provider-simulator/src .venv/bin/python bench/simulator/accepting.py
"""

from __future__ import annotations

import argparse
import json
import os
import time
import uuid
from collections.abc import Callable
from urllib.parse import urlencode

from notify_provider_simulator import app
from notify_provider_simulator.app import Simulator, take_firetext, take_mmg
from notify_provider_simulator.settings import SimulatorSettings

RECEIPTS = "http://127.0.0.1:6012/notifications/sms"


def per_send(take: Callable[[Simulator, bytes], tuple[int, bytes]], bodies: list[bytes]) -> float:
    simulator = Simulator(SimulatorSettings(simulator_printer=False, simulator_send_receipts=False))
    started = time.process_time()
    for body in bodies:
        take(simulator, body)
    return (time.process_time() - started) / len(bodies)


def mmg(delurl: bool) -> bytes:
    body: dict[str, object] = {"reqType": "BULK", "MSISDN": "447700900123", "msg": "Your code is 123456",
                               "sender": "GOVUK", "cid": str(uuid.uuid4()), "multi": True}  # fmt: skip
    if delurl:
        body["delurl"] = f"{RECEIPTS}/mmg?token=bench"
    return json.dumps(body).encode()


def firetext() -> bytes:
    form = {"apiKey": "bench", "to": "447700900123", "message": "Your code is 123456", "from": "GOVUK",
            "reference": str(uuid.uuid4()), "receipt": f"{RECEIPTS}/firetext?token=bench"}  # fmt: skip
    return urlencode(form).encode()


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sends", type=int, default=20_000)
    n = parser.parse_args().sends
    load = os.getloadavg()[0]
    results = {
        "MMG": per_send(take_mmg, [mmg(True) for _ in range(n)]),
        "MMG without a receipt URL": per_send(take_mmg, [mmg(False) for _ in range(n)]),
        "Firetext": per_send(take_firetext, [firetext() for _ in range(n)]),
    }
    shown = ", ".join(f"{name} {seconds * 1e6:.1f} µs" for name, seconds in results.items())
    print(f"RESULT {app.__file__}: CPU per send taken: {shown} (load {load:.1f} -> {os.getloadavg()[0]:.1f})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

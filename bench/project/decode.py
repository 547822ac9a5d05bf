"""bench/project/decode.py: what decoding the events of an SMS lifecycle costs the projector (and
every other consumer: ``codec.decode`` is what ``notify_common.kafka`` hands each record to), in µs
of CPU per event, by event type; best of ``--rounds`` over the same N lifecycles, no Kafka.

    .venv/bin/python bench/project/decode.py [--notifications 5000] [--rounds 7]

To compare two builds, run it on each (``git checkout`` the other commit: the packages are editable
installs) and note ``cat /proc/loadavg``: the best of several rounds is steady under load.
"""

from __future__ import annotations

import argparse
import sys
import time
import uuid
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench.project.live import lifecycle  # noqa: E402
from notify_common import codec  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--notifications", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    t0 = datetime.now(UTC)
    by_type: dict[str, list[bytes]] = defaultdict(list)
    for i in range(args.notifications):
        for event in lifecycle(i, t0, str(uuid.uuid4()), str(uuid.uuid4()), str(uuid.uuid4())):
            by_type[type(event).__name__].append(codec.encode(event))
    decode = codec.decode
    total = 0.0
    for name, messages in by_type.items():
        best = float("inf")
        for _ in range(args.rounds):
            started = time.process_time()
            for message in messages:
                decode(message)
            best = min(best, time.process_time() - started)
        total += best / len(messages)
        print(f"{name:28} {best / len(messages) * 1e6:6.2f} µs per event")
    print(f"{'a lifecycle (3 events)':28} {total * 1e6:6.2f} µs per notification")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

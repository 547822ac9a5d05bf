"""The api-gateway's trip to Redis per send, alone: one admission (rate-limit token, daily and
annual counts, the read-your-writes row: one Lua script) sent as a pipeline of one, and as the
plain EVALSHA a coalesced admission alone in its turn of the event loop now goes as, one after the
other against the real Redis. Prints the CPU microseconds per admission (``time.process_time``) of
each way in each round, so the two can be compared on a busy machine.

    .venv/bin/python bench/ingest/admit.py [--admissions 4000] [--rounds 4] [--redis-url URL]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
import uuid
from typing import Any

from notify_api_gateway import redis_client
from notify_common.ratelimit import Limiter

UNLIMITED = 10**9


async def run(url: str, admissions: int, rounds: int) -> None:
    client = redis_client.connect(url, timeout=2)
    limiter = Limiter(client, coalesce=True)
    service = str(uuid.uuid4())
    keys = [
        limiter.bucket_key(service, "normal"),
        f"daily:{{{service}}}:sms:bench",
        f"annual:{{{service}}}:sms:bench",
        f"recent:{{{service}}}:bench",
    ]
    args: list[float | int | bytes] = [UNLIMITED / 60, 1000, 2, 1, UNLIMITED, 600, 1, UNLIMITED, 600, 600]
    args.append(b"r" * 300)  # about a read-your-writes row
    script = limiter._admit_script
    try:
        await limiter._run(script, keys, args)  # the script loaded, the connection made
        for _ in range(rounds):
            started = time.process_time()
            for _ in range(admissions):
                future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
                await limiter._pipeline([(keys, args, future)])
            pipeline = (time.process_time() - started) / admissions * 1e6
            started = time.process_time()
            for _ in range(admissions):
                await limiter._run(script, keys, args)
            plain = (time.process_time() - started) / admissions * 1e6
            print(f"pipeline of one {pipeline:.1f} µs; plain EVALSHA {plain:.1f} µs", flush=True)
        await client.delete(*keys)
    finally:
        await client.aclose()  # type: ignore[attr-defined]


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--admissions", type=int, default=4000)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument(
        "--redis-url", default=os.environ.get("NOTIFY_REDIS_URL", "redis://127.0.0.1:16379/0")
    )
    options = parser.parse_args()
    try:
        import uvloop

        uvloop.install()
    except ImportError:  # pragma: no cover
        pass
    asyncio.run(run(options.redis_url, options.admissions, options.rounds))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

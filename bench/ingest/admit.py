"""The api-gateway's admissions against the real Redis, alone: each as a send makes it (rate-limit
token, daily and annual counts, a read-your-writes row of about 300 bytes), ``--batch`` of them in
each turn of the event loop as concurrent requests make them (``Limiter(coalesce=True)``: one
service's admissions of a turn go to Redis together). Prints, for each round, the CPU microseconds
per admission of this process (``time.process_time``) and of the Redis server (``INFO cpu``, so a
Redis of the benchmark's own, or an idle one), so two builds can be compared by alternating them.

    .venv/bin/python bench/ingest/admit.py [--admissions 4000] [--batch 1 8] [--rounds 3] [--redis-url URL]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
import uuid

from notify_api_gateway import redis_client
from notify_common.ratelimit import DailyLimit, Limiter, annual_limit

UNLIMITED = 10**9


async def _redis_cpu(client: object) -> float:
    info = await client.info("cpu")  # type: ignore[attr-defined]
    return float(info["used_cpu_sys"]) + float(info["used_cpu_user"])


async def run(url: str, admissions: int, batches: list[int], rounds: int) -> None:
    client = redis_client.connect(url, timeout=2)
    limiter = Limiter(client, coalesce=True)
    service = str(uuid.uuid4())
    counts = [(DailyLimit("sms", UNLIMITED), 1), (annual_limit("sms", UNLIMITED), 1)]
    row = b"r" * 300
    sent = 0

    async def admit() -> None:
        nonlocal sent
        sent += 1
        store = [(f"recent:{{{service}}}:{sent}", row)]
        admitted = await limiter.admit(service, "normal", UNLIMITED, counts, store=store, store_seconds=60)
        assert admitted.allowed

    try:
        await admit()  # the script loaded, the connection made
        for _ in range(rounds):
            line = []
            for batch in batches:
                redis_before, started = await _redis_cpu(client), time.process_time()
                for _ in range(admissions // batch):
                    await asyncio.gather(*(admit() for _ in range(batch)))
                cpu = (time.process_time() - started) / admissions * 1e6
                server = (await _redis_cpu(client) - redis_before) / admissions * 1e6
                line.append(f"batch {batch}: {cpu:.1f} µs here, {server:.1f} µs in Redis")
            print("; ".join(line), flush=True)
        async for key in client.scan_iter(match=f"*{{{service}}}*"):
            await client.delete(key)
    finally:
        await client.aclose()  # type: ignore[attr-defined]


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--admissions", type=int, default=4000)
    parser.add_argument("--batch", type=int, nargs="+", default=[1, 8])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--redis-url", default=os.environ.get("NOTIFY_REDIS_URL", "redis://127.0.0.1:16379/0")
    )
    options = parser.parse_args()
    try:
        import uvloop

        uvloop.install()
    except ImportError:  # pragma: no cover
        pass
    asyncio.run(run(options.redis_url, options.admissions, options.batch, options.rounds))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""bench/callbacks/clients.py: CPU per HTTPS POST of the HTTP clients callbacks can be sent with,
in this process, against the local receiver (``receiver.py``, its own process, not counted).

* ``pool``: ``notify_callbacks.guarded_http.GuardedSession`` (keep-alive connections of its own,
  ``http_pool``), what the callbacks service uses;
* ``aiohttp``: one pooled ``aiohttp.ClientSession``, what it used until 2026-12-05's session 10
  (then with the guard as its resolver, left out here);
* ``httpx``: ``httpx.AsyncClient`` through ``notify_common.outbound.GuardedTransport``, what it used
  before that.

Each POSTs a callback-sized JSON body N times (after 100 not counted), 10 at a time as one
receiver is called, on uvloop as the service runs, and prints this process's CPU (user + system)
per request and the rate.

    .venv/bin/python bench/callbacks/clients.py [N, default 2000] [pool,aiohttp,httpx,...]
"""

from __future__ import annotations

import asyncio
import os
import ssl
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import aiohttp
import httpx
import orjson

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench.callbacks.run import free_port, received  # noqa: E402
from bench.platform.run import CERT, KEY, callback_certificate  # noqa: E402
from notify_callbacks.guarded_http import GuardedSession  # noqa: E402
from notify_common.outbound import GuardedTransport, parse_networks  # noqa: E402
from notify_common.runtime import run_on_uvloop  # noqa: E402

LOOPBACK = parse_networks("127.0.0.1/32")
BODY = orjson.dumps({"id": "0" * 36, "reference": "bench", "to": "447700900123", "status": "delivered"})
HEADERS = {"Authorization": "Bearer bench-token-0123"}
JSON = {"Content-Type": "application/json", **HEADERS}


async def measure(post: Callable[[], Awaitable[None]], count: int) -> tuple[float, float]:
    """(CPU µs per request, requests a second) for ``count`` POSTs, 10 at a time."""
    slots = asyncio.Semaphore(10)

    async def one() -> None:
        async with slots:
            await post()

    await asyncio.gather(*(one() for _ in range(100)))
    cpu, wall = time.process_time(), time.monotonic()
    await asyncio.gather(*(one() for _ in range(count)))
    cpu, wall = time.process_time() - cpu, time.monotonic() - wall
    return cpu / count * 1e6, count / wall


async def with_pool(url: str, count: int) -> tuple[float, float]:
    session = GuardedSession(LOOPBACK)

    async def post() -> None:
        assert await session.post(url, BODY, HEADERS, 5.0) == 200

    try:
        return await measure(post, count)
    finally:
        await session.close()


async def with_aiohttp(url: str, count: int) -> tuple[float, float]:
    connector = aiohttp.TCPConnector(limit=100, ssl=ssl.create_default_context())
    session = aiohttp.ClientSession(connector=connector, cookie_jar=aiohttp.DummyCookieJar())
    deadline = aiohttp.ClientTimeout(total=5)

    async def post() -> None:
        async with session.post(
            url, data=BODY, headers=JSON, timeout=deadline, allow_redirects=False
        ) as answer:
            await answer.read()
            assert answer.status == 200

    try:
        return await measure(post, count)
    finally:
        await session.close()


async def with_httpx(url: str, count: int) -> tuple[float, float]:
    transport = GuardedTransport(httpx.AsyncHTTPTransport(limits=httpx.Limits(max_connections=100)), LOOPBACK)
    async with httpx.AsyncClient(transport=transport) as client:

        async def post() -> None:
            answer = await client.post(url, content=BODY, headers=JSON, timeout=5, follow_redirects=False)
            assert answer.status_code == 200

        return await measure(post, count)


CLIENTS = {"pool": with_pool, "aiohttp": with_aiohttp, "httpx": with_httpx}


def main(count: int, clients: list[str]) -> None:
    port = free_port()
    callback_certificate()
    os.environ["SSL_CERT_FILE"] = str(CERT)
    receiver = subprocess.Popen(
        [sys.executable, str(Path(__file__).parent / "receiver.py"), str(port), str(CERT), str(KEY)]
    )
    try:
        asyncio.run(received(f"https://127.0.0.1:{port}"))
        for name in clients:
            cpu, rate = run_on_uvloop(CLIENTS[name](f"https://127.0.0.1:{port}/callback", count))
            load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
            print(f"RESULT {name}: {count} POSTs, {cpu:,.0f} µs CPU per request, {rate:,.0f}/s (load {load})")
    finally:
        receiver.terminate()
        receiver.wait()


if __name__ == "__main__":
    main(
        int(sys.argv[1]) if len(sys.argv) > 1 else 2000,
        sys.argv[2].split(",") if len(sys.argv) > 2 else ["pool", "aiohttp", "pool", "aiohttp"],
    )

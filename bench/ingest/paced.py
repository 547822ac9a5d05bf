"""Open-loop load at a constant rate: latency at a given request rate, without coordinated omission.

wrk is closed-loop: each connection waits for its answer before sending again, so a slow answer
delays the requests behind it and they are never counted as slow. Here request ``i`` is due at
``start + i / rate`` whatever happened before; it goes out on an idle keep-alive connection (a new
one is opened if none is idle) and its latency is measured from when it was due, not from when it
went out. Prints one ``RESULT`` line in the same form as ``post.lua``.

    paced.py URL RATE SECONDS BENCH_DIR   (BENCH_DIR holds body.json and tokens.lua, as for wrk)
"""

from __future__ import annotations

import asyncio
import json
import random
import re
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

try:
    import uvloop
except ImportError:  # pragma: no cover
    uvloop = None  # type: ignore[assignment]


def load_tokens(bench_dir: Path) -> list[tuple[int, str]]:
    text = (bench_dir / "tokens.lua").read_text()
    return [(int(iat), tok) for iat, tok in re.findall(r'\{(\d+), "([^"]+)"\}', text)]


def current_token(tokens: list[tuple[int, str]], now: float) -> str:
    best = tokens[0][1]
    for iat, tok in tokens:
        if iat <= now:
            best = tok
    return best


class Load:
    def __init__(self, url: str, rate: float, seconds: float, bench_dir: Path) -> None:
        parts = urlsplit(url)
        self.host, self.port, self.path = parts.hostname or "127.0.0.1", parts.port or 80, parts.path
        self.rate, self.seconds = rate, seconds
        self.tokens = load_tokens(bench_dir)
        body = json.loads((bench_dir / "body.json").read_text())
        self.body_template = json.dumps(body)
        self.idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
        self.latencies: list[float] = []
        self.codes: dict[int, int] = {}
        self.connections = 0

    def request(self, now: float) -> bytes:
        body = self.body_template.replace("07700900123", f"07700900{random.randint(0, 999):03d}").encode()
        head = (
            f"POST {self.path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
            f"Authorization: Bearer {current_token(self.tokens, now)}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        )
        return head.encode() + body

    async def connection(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        if self.idle:
            return self.idle.pop()
        self.connections += 1
        return await asyncio.open_connection(self.host, self.port)

    async def one(self, due: float) -> None:
        reader, writer = await self.connection()
        try:
            writer.write(self.request(time.time()))
            head = await reader.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, ConnectionError):
            # The server closed a keep-alive connection that sat idle: send again on a new one.
            writer.close()
            self.idle = []
            reader, writer = await self.connection()
            writer.write(self.request(time.time()))
            head = await reader.readuntil(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        length = int(re.search(rb"(?i)content-length: *(\d+)", head).group(1))  # type: ignore[union-attr]
        await reader.readexactly(length)
        self.latencies.append(time.perf_counter() - due)
        self.codes[status] = self.codes.get(status, 0) + 1
        self.idle.append((reader, writer))

    async def run(self) -> None:
        start = time.perf_counter()
        total = int(self.rate * self.seconds)
        tasks = set()
        for i in range(total):
            due = start + i / self.rate
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            task = asyncio.create_task(self.one(due))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
        await asyncio.gather(*tasks)
        elapsed = time.perf_counter() - start
        lat = sorted(self.latencies)
        p50, p99 = lat[len(lat) // 2] * 1000, lat[int(len(lat) * 0.99)] * 1000
        errors = sum(n for code, n in self.codes.items() if code != 201)
        print(
            f"RESULT requests={len(lat)} seconds={elapsed:.1f} rate={len(lat) / elapsed:.0f} "
            f"p50_ms={p50:.2f} p99_ms={p99:.2f} max_ms={lat[-1] * 1000:.2f} errors={errors} "
            f"connections={self.connections}"
        )


def main() -> int:
    url, rate, seconds, bench_dir = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), Path(sys.argv[4])
    if uvloop is not None:
        uvloop.install()
    asyncio.run(Load(url, rate, seconds, bench_dir).run())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

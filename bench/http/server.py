"""The shared HTTP server stack's own CPU per request, uvicorn's protocol against the service one.

Two servers run as processes of their own, configured as every service is
(``notify_common.http.server_config``: the metrics and trace middleware around the app), one with
uvicorn's own httptools protocol (``--baseline``, the default name ``httptools``) and one with the
services' protocol; the app answers each POST with a 201 and a 300-byte JSON body at once, so
nearly all of a request's cost is the server stack. ``--connections`` keep-alive clients post to
one server, then the other, in ``--slices`` short turns a round; printed: each server's CPU
microseconds per request (its event loop thread's, from ``/proc/<pid>/schedstat``) in each round
with the load average, and the median of the slices' paired differences.

    .venv/bin/python bench/http/server.py [--requests 30000] [--rounds 4] [--slices 20] [--connections 8]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import time
from functools import partial
from pathlib import Path
from typing import Any

import httptools

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.support.senders import free_port  # noqa: E402

BODY = (
    b'{"id":"740e5834-3a29-46b4-9a6d-50a2f6d06ed5","reference":null,"content":{"body":"' + b"x" * 200 + b'"}}'
)

SERVER = """
import sys
from notify_common.http import _Server, server_config
from notify_common.runtime import run_on_uvloop

BODY = {body!r}
HEADERS = [(b"content-type", b"application/json"), (b"content-length", str(len(BODY)).encode())]

async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    while (await receive()).get("more_body"):
        pass
    await send({{"type": "http.response.start", "status": 201, "headers": HEADERS}})
    await send({{"type": "http.response.body", "body": BODY}})

config = server_config(app, 5, host="127.0.0.1", port=int(sys.argv[1]))
config.lifespan = "off"
if sys.argv[2] != "service":
    config.http = sys.argv[2]
run_on_uvloop(_Server(config).serve())
"""

REQUEST = (
    b"POST /v2/notifications/sms HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\n"
    b"authorization: Bearer abc.def.ghi\r\ncontent-length: 80\r\n\r\n"
    + b'{"phone_number":"07700900000","template_id":"x","personalisation":{"n":"aaaaaaaa"}}'[:80]
)


class _Client(asyncio.Protocol):
    """One keep-alive connection posting ``left`` requests one after another."""

    def __init__(self, left: int, done: asyncio.Future[None]) -> None:
        self.left, self.done = left, done
        self.parser = httptools.HttpResponseParser(self)
        self.transport: Any = None

    def connection_made(self, transport: Any) -> None:
        self.transport = transport
        transport.write(REQUEST)

    def data_received(self, data: bytes) -> None:
        self.parser.feed_data(data)

    def on_message_complete(self) -> None:
        self.left -= 1
        if self.left:
            self.transport.write(REQUEST)
        else:
            self.transport.close()
            self.done.set_result(None)


async def post(port: int, requests: int, connections: int) -> None:
    loop = asyncio.get_running_loop()
    done = []
    for _ in range(connections):
        future: asyncio.Future[None] = loop.create_future()
        await loop.create_connection(partial(_Client, requests // connections, future), "127.0.0.1", port)
        done.append(future)
    await asyncio.gather(*done)


def wait_listening(port: int) -> None:
    import socket

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"no server on {port}")


def cpu_ns(pid: int) -> int:
    """The CPU time of process ``pid``'s main thread (the event loop's), in nanoseconds."""
    return int(Path(f"/proc/{pid}/schedstat").read_text().split()[0])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=20000)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--slices", type=int, default=20, help="alternations within a round")
    parser.add_argument("--baseline", default="httptools", help="uvicorn's http option to compare with")
    args = parser.parse_args()
    import uvloop

    code = SERVER.format(body=BODY)
    servers = {}
    for name in (args.baseline, "service"):
        port = free_port()
        process = subprocess.Popen([sys.executable, "-c", code, str(port), name])
        servers[name] = (port, process)
    try:
        for port, _ in servers.values():
            wait_listening(port)
        for port, _ in servers.values():  # warm up
            uvloop.run(post(port, 2000, args.connections))
        names = list(servers)
        results: dict[str, list[float]] = {name: [] for name in names}
        differences: list[float] = []  # each slice's second server less its first, µs a request
        per_slice = args.requests // args.slices
        for n in range(args.rounds):
            # Short slices, alternating, so both servers see the same machine.
            used = dict.fromkeys(names, 0)
            for _ in range(args.slices):
                cost = {}
                for name in names:
                    port, process = servers[name]
                    before = cpu_ns(process.pid)
                    uvloop.run(post(port, per_slice, args.connections))
                    cost[name] = cpu_ns(process.pid) - before
                    used[name] += cost[name]
                differences.append((cost[names[1]] - cost[names[0]]) / 1000 / per_slice)
            for name in names:
                results[name].append(used[name] / 1000 / (per_slice * args.slices))
            print(
                f"round {n + 1}: "
                + ", ".join(f"{name} {results[name][-1]:.1f}" for name in names)
                + f" µs CPU per request (load average {os.getloadavg()[0]:.1f})",
                flush=True,
            )
        for name, values in results.items():
            print(f"{name:>10}: " + ", ".join(f"{v:.1f}" for v in values) + " µs per request")
        differences.sort()
        quarter = len(differences) // 4
        print(
            f"{names[1]} less {names[0]}, per slice of {per_slice}:"
            f" median {statistics.median(differences):+.1f} µs a request (middle half"
            f" {differences[quarter]:+.1f} to {differences[-quarter - 1]:+.1f},"
            f" {len(differences)} slices)"
        )
    finally:
        for _, process in servers.values():
            process.terminate()
            process.wait(10)


if __name__ == "__main__":
    main()

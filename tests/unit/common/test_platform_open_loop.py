"""bench/platform's open-loop generator against a small HTTP server on loopback: every request is
counted once, as answered (by status) or unanswered (by why); a keep-alive connection the server
closed before answering is tried once more on a new connection; accepted ids are collected."""

from __future__ import annotations

import asyncio
import json
import uuid

from bench.platform.run import BenchService, OpenLoop

SERVICE = BenchService(str(uuid.uuid4()), "key-" + str(uuid.uuid4()) + "-" + str(uuid.uuid4()), "t")


class Server:
    """Answers POSTs: 201 with an id, except every ``shed_every``-th (503); closes a connection
    without answering after ``close_after`` requests on it; ``silent`` never answers."""

    def __init__(self, *, shed_every: int = 0, close_after: int = 0, silent: bool = False) -> None:
        self.shed_every, self.close_after, self.silent = shed_every, close_after, silent
        self.seen = 0
        self.bodies: list[dict[str, object]] = []

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        on_this = 0
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = int(head.lower().split(b"content-length: ")[1].split(b"\r\n")[0])
                body = await reader.readexactly(length)
                on_this += 1
                if self.close_after and on_this > self.close_after:
                    writer.close()
                    return
                if self.silent:
                    continue
                self.seen += 1
                self.bodies.append(json.loads(body))
                if self.shed_every and self.seen % self.shed_every == 0:
                    writer.write(b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 2\r\n\r\n{}")
                else:
                    answer = json.dumps({"id": f"id-{self.seen}"}).encode()
                    writer.write(
                        b"HTTP/1.1 201 Created\r\nContent-Length: %d\r\n\r\n%s" % (len(answer), answer)
                    )
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()


async def run_against(server: Server, rate: float, seconds: float) -> OpenLoop:
    listening = await asyncio.start_server(server.handle, "127.0.0.1", 0)
    port = listening.sockets[0].getsockname()[1]
    try:
        gen = OpenLoop(f"http://127.0.0.1:{port}", SERVICE, "sms")
        await gen.run(rate, seconds)
        return gen
    finally:
        listening.close()


def test_every_request_is_answered_once_and_accepted_ids_are_kept() -> None:
    server = Server(shed_every=5)
    gen = asyncio.run(run_against(server, 400, 0.5))
    result = gen.result
    assert result.requests == 200
    assert dict(result.codes) == {201: 160, 503: 40}
    assert len(result.latencies) == 200
    assert len(result.accepted_latencies) == 160
    assert sorted(result.accepted) == sorted(f"id-{n}" for n in range(1, 201) if n % 5)
    assert {body["phone_number"] for body in server.bodies} <= {f"07700900{n}" for n in range(300, 1000)}
    assert result.connections < 200  # kept alive and reused


def test_a_connection_closed_before_answering_is_tried_once_more_on_a_new_one() -> None:
    server = Server(close_after=3)
    gen = asyncio.run(run_against(server, 200, 0.5))
    result = gen.result
    assert result.requests == 100
    assert dict(result.codes) == {201: 100}
    assert result.connections > 100 / 3  # each connection carried at most three


def test_a_request_never_answered_is_counted_unanswered_once_its_time_is_up() -> None:
    async def go() -> OpenLoop:
        server = Server(silent=True)
        listening = await asyncio.start_server(server.handle, "127.0.0.1", 0)
        port = listening.sockets[0].getsockname()[1]
        gen = OpenLoop(f"http://127.0.0.1:{port}", SERVICE, "sms")
        gen.answer_within = 0.3
        try:
            async with asyncio.timeout(20):
                await gen.run(50, 0.2)
        finally:
            listening.close()
        return gen

    gen = asyncio.run(go())
    assert gen.result.requests == 10
    assert dict(gen.result.codes) == {0: 10}
    assert dict(gen.result.unanswered) == {"TimeoutError": 10}
    assert min(gen.result.latencies) >= 0.3

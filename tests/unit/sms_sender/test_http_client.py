"""The sms-sender's HTTP client (providers/http_client.py) against a tiny local HTTP server: keeps
connections alive and within the limit, reads fixed-length and chunked answers, and reports each
failure as the sender needs to tell them apart (nothing sent / maybe sent); and the MMG and
Firetext payloads it carries are what those APIs expect."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from urllib.parse import parse_qs, urlencode

import pytest

from notify_sms_sender.providers import SmsMessage
from notify_sms_sender.providers.firetext import FiretextProvider
from notify_sms_sender.providers.http_client import (
    ConnectFailed,
    Disconnected,
    HttpClient,
    RequestTimeout,
    Response,
)
from notify_sms_sender.providers.mmg import MmgProvider

Reply = Callable[[bytes], Awaitable[bytes | None]]


class Server:
    """Reads each request (Content-Length bodies) and writes what ``reply`` returns for it;
    ``None`` closes the connection without an answer."""

    def __init__(self, reply: Reply) -> None:
        self.reply = reply
        self.connections = 0
        self.bodies: list[bytes] = []
        self.active = 0
        self.most_active = 0
        self._server: asyncio.Server | None = None

    async def start(self) -> str:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        port = self._server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}/send"

    async def stop(self) -> None:
        assert self._server is not None
        self._server.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = next(
                    int(line.split(b":", 1)[1])
                    for line in head.split(b"\r\n")
                    if line.lower().startswith(b"content-length:")
                )
                body = await reader.readexactly(length)
                self.bodies.append(body)
                self.active += 1
                self.most_active = max(self.most_active, self.active)
                try:
                    answer = await self.reply(body)
                finally:
                    self.active -= 1
                if answer is None:
                    writer.close()
                    return
                writer.write(answer)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


def ok(body: bytes = b'{"code":0}') -> bytes:
    return b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)


async def answer_ok(_: bytes) -> bytes:
    await asyncio.sleep(0.01)
    return ok()


@pytest.fixture
async def served() -> AsyncIterator[tuple[Server, str]]:
    server = Server(answer_ok)
    url = await server.start()
    yield server, url
    await server.stop()


async def test_requests_share_kept_alive_connections_and_stay_within_the_limit(
    served: tuple[Server, str],
) -> None:
    server, url = served
    async with HttpClient(limit=3, timeout_s=5) as client:
        answers = await asyncio.gather(*(client.post(url, b"%d" % i, b"text/plain") for i in range(30)))
    assert answers == [Response(200, b'{"code":0}')] * 30
    assert sorted(server.bodies) == sorted(b"%d" % i for i in range(30))
    assert server.connections == 3
    assert server.most_active == 3


async def test_a_chunked_answer_is_read_whole(served: tuple[Server, str]) -> None:
    server, url = served

    async def chunked(_: bytes) -> bytes:
        return b"HTTP/1.1 429 Too Many Requests\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nslo\r\n4\r\nw up\r\n0\r\n\r\n"

    server.reply = chunked
    async with HttpClient(limit=1, timeout_s=5) as client:
        assert await client.post(url, b"x", b"text/plain") == Response(429, b"slow up")
        assert await client.post(url, b"y", b"text/plain") == Response(429, b"slow up")
    assert server.connections == 1


async def test_no_answer_in_time_is_a_timeout_and_the_connection_is_not_reused(
    served: tuple[Server, str],
) -> None:
    server, url = served

    async def slow_once(body: bytes) -> bytes:
        if body == b"slow":
            await asyncio.sleep(1)
        return ok()

    server.reply = slow_once
    async with HttpClient(limit=1, timeout_s=0.2) as client:
        with pytest.raises(RequestTimeout):
            await client.post(url, b"slow", b"text/plain")
        assert (await client.post(url, b"fast", b"text/plain")).status == 200
    assert server.connections == 2


async def test_a_connection_closed_without_an_answer_is_ambiguous_not_unreachable(
    served: tuple[Server, str],
) -> None:
    server, url = served

    async def hang_up(_: bytes) -> None:
        return None

    server.reply = hang_up
    async with HttpClient(limit=1, timeout_s=2) as client:
        with pytest.raises(Disconnected):
            await client.post(url, b"x", b"text/plain")


async def test_a_refused_connection_means_nothing_was_sent() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    async with HttpClient(limit=1, timeout_s=1, connect_timeout_s=1) as client:
        with pytest.raises(ConnectFailed):
            await client.post(f"http://127.0.0.1:{port}/x", b"x", b"text/plain")


async def test_the_providers_payloads_carry_every_field_escaped(served: tuple[Server, str]) -> None:
    server, url = served
    message = SmsMessage("4a1c-id", "447700900123", 'Héllo "you" & £5\nbye', "GOV UK", True)
    async with HttpClient(limit=1, timeout_s=5) as client:
        await MmgProvider(client, url, "u", "p", "https://r.example/mmg?a=1&b=2").send(message)
        await FiretextProvider(client, url, "k&1", "intl=2", "https://r.example/ft").send(message)
    mmg, firetext = server.bodies
    assert json.loads(mmg) == {
        "reqType": "BULK",
        "MSISDN": "447700900123",
        "msg": 'Héllo "you" & £5\nbye',
        "sender": "GOV UK",
        "cid": "4a1c-id",
        "multi": True,
        "delurl": "https://r.example/mmg?a=1&b=2",
    }
    assert parse_qs(firetext.decode()) == {
        "apiKey": ["intl=2"],  # the international key, for an international message
        "from": ["GOV UK"],
        "to": ["447700900123"],
        "message": ['Héllo "you" & £5\nbye'],
        "reference": ["4a1c-id"],
        "receipt": ["https://r.example/ft"],
    }


@pytest.mark.parametrize(
    ("content", "sender", "international"),
    [
        ("Your code is 1234", "GOVUK", False),
        ('Héllo "you" & £5\nbye + 50% = ½ 🎉', "GOV UK", True),
        ("a=b&c=d;e/f?g#h~i*j'k(l)m!n", "07700 900123", False),
        ("", "", True),
    ],
)
async def test_the_firetext_form_is_byte_for_byte_what_urlencode_makes_of_it(
    served: tuple[Server, str], content: str, sender: str, international: bool
) -> None:
    server, url = served
    message = SmsMessage("4a1c+id/é", "447700900123", content, sender, international)
    async with HttpClient(limit=1, timeout_s=5) as client:
        await FiretextProvider(client, url, "k&1", "intl=2", "https://r.example/ft?a=1&b=2").send(message)
    [body] = server.bodies
    form = {
        "apiKey": "intl=2" if international else "k&1",
        "from": sender,
        "to": "447700900123",
        "message": content,
        "reference": "4a1c+id/é",
        "receipt": "https://r.example/ft?a=1&b=2",
    }
    assert body == urlencode(form).encode()

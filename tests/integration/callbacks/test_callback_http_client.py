"""The callbacks service's HTTP client (``guarded_http.GuardedSession`` over ``http_pool``) against a
scripted receiver on loopback, over TLS with a certificate of its own: it answers the status the
receiver sent, follows no redirect, keeps connections alive and re-uses them (one TLS handshake
per connection, never per callback), reads a small body so the connection carries the next
callback and closes one whose body is large or unframed, gives up at its deadline, verifies the
receiver's certificate, and refuses URLs and header values it cannot send, sending nothing."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from notify_callbacks.delivery import CallbackClient, Destination
from notify_callbacks.guarded_http import CertificateRefused, GuardedSession
from notify_callbacks.http_pool import MAX_READ_BYTES, ConnectFailed, Disconnected, InvalidHeader, InvalidUrl
from notify_common.outbound import parse_networks
from tests.support.https_receiver import self_signed_certificate
from tests.support.scripted_http import read_request

LOOPBACK = parse_networks("127.0.0.0/8, ::1/128")
HEADERS = {"Authorization": "Bearer token-0123456789"}


@dataclass
class Request:
    head: bytes
    body: bytes
    connection: int  # which connection it came on, counted from 1


Answer = Callable[["Request"], Awaitable[bytes | None]]  # None: close without answering


def answered(status: int, body: bytes = b"", extra: bytes = b"") -> bytes:
    return b"HTTP/1.1 %d X\r\nContent-Length: %d\r\n%s\r\n%s" % (status, len(body), extra, body)


async def ok(_: Request) -> bytes:
    return answered(200)


@dataclass
class Receiver:
    port: int
    answer: Answer
    requests: list[Request] = field(default_factory=list)
    connections: int = 0

    def url(self, host: str = "127.0.0.1", path: str = "/callback") -> str:
        return f"https://{host}:{self.port}{path}"


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return self_signed_certificate(tmp_path_factory.mktemp("receiver"))


@asynccontextmanager
async def receiver(certificate: tuple[Path, Path], answer: Answer = ok) -> AsyncIterator[Receiver]:
    """A receiver that reads each request (head and Content-Length body) and writes what
    ``answer`` returns, keeping the connection open until the client or ``answer`` closes it."""
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(*certificate)
    found = Receiver(0, answer)

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        found.connections += 1
        number = found.connections
        try:
            while True:
                request = Request(*await read_request(reader), number)
                found.requests.append(request)
                reply = await found.answer(request)
                if reply is None:
                    break
                writer.write(reply)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, ssl.SSLError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0, ssl=tls)
    found.port = server.sockets[0].getsockname()[1]
    try:
        yield found
    finally:
        server.close()


def trusting(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(certificate[0]))


@asynccontextmanager
async def session(certificate: tuple[Path, Path], connections: int = 100) -> AsyncIterator[GuardedSession]:
    client = GuardedSession(LOOPBACK, connections=connections, tls=trusting(certificate))
    try:
        yield client
    finally:
        await client.close()


async def test_a_callback_is_sent_as_one_json_post_with_the_callers_headers(
    certificate: tuple[Path, Path],
) -> None:
    async with receiver(certificate) as to, session(certificate) as client:
        status = await client.post(to.url(path="/hooks/notify?service=a%20b"), b'{"id":"n"}', HEADERS, 5)
    assert status == 200
    (request,) = to.requests
    lines = request.head.decode().split("\r\n")
    assert lines[0] == "POST /hooks/notify?service=a%20b HTTP/1.1"
    headers = {k.lower(): v.strip() for k, v in (line.split(":", 1) for line in lines[1:] if line)}
    assert headers["host"] == f"127.0.0.1:{to.port}"
    assert headers["content-type"] == "application/json"
    assert headers["content-length"] == "10"
    assert headers["authorization"] == "Bearer token-0123456789"
    assert request.body == b'{"id":"n"}'


@pytest.mark.parametrize("status", [200, 201, 202, 204, 301, 302, 400, 404, 429, 500, 503])
async def test_the_status_the_receiver_answered_is_returned_and_no_redirect_is_followed(
    certificate: tuple[Path, Path], status: int
) -> None:
    async def answer(_: Request) -> bytes:
        if status == 204:
            return b"HTTP/1.1 204 No Content\r\n\r\n"
        return answered(status, b"{}", b"Location: https://127.0.0.1:1/elsewhere\r\n")

    async with receiver(certificate, answer) as to, session(certificate) as client:
        assert await client.post(to.url(), b"{}", HEADERS, 5) == status
        assert await client.post(to.url(), b"{}", HEADERS, 5) == status
    assert len(to.requests) == 2
    assert to.connections == 1  # the answer was read to its end: the connection carried the next


async def test_callbacks_to_one_receiver_reuse_kept_alive_connections(certificate: tuple[Path, Path]) -> None:
    async with receiver(certificate) as to, session(certificate, connections=10) as client:
        for _ in range(20):
            assert await client.post(to.url(), b"{}", HEADERS, 5) == 200
        assert to.connections == 1
        for _ in range(3):
            statuses = await asyncio.gather(*(client.post(to.url(), b"{}", HEADERS, 5) for _ in range(30)))
            assert statuses == [200] * 30
        assert client.connections(to.url()) == to.connections
    assert len(to.requests) == 110
    assert to.connections <= 10


@pytest.mark.parametrize(
    "body", [b"x" * MAX_READ_BYTES, b"5\r\nhello\r\n0\r\n\r\n"], ids=["largest read", "chunked"]
)
async def test_a_body_up_to_the_limit_is_read_and_the_connection_reused(
    certificate: tuple[Path, Path], body: bytes
) -> None:
    async def answer(_: Request) -> bytes:
        if body.endswith(b"0\r\n\r\n"):
            return b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + body
        return answered(200, body)

    async with receiver(certificate, answer) as to, session(certificate) as client:
        assert [await client.post(to.url(), b"{}", HEADERS, 5) for _ in range(3)] == [200] * 3
    assert to.connections == 1


@pytest.mark.parametrize(
    "reply",
    [
        answered(200, b"x" * (MAX_READ_BYTES + 1)),
        b"HTTP/1.1 200 OK\r\nContent-Length: 10000000\r\n\r\n" + b"x" * 100,
        b"HTTP/1.1 500 Oops\r\n\r\nno length: ends when the connection does",
        answered(200, extra=b"Connection: close\r\n"),
    ],
    ids=["over the limit", "announced over the limit", "unframed", "connection: close"],
)
async def test_an_answer_not_read_to_its_end_is_returned_and_its_connection_closed(
    certificate: tuple[Path, Path], reply: bytes
) -> None:
    async def answer(_: Request) -> bytes:
        return reply

    status = int(reply.split(b" ", 2)[1])
    async with receiver(certificate, answer) as to, session(certificate) as client:
        assert [await client.post(to.url(), b"{}", HEADERS, 5) for _ in range(2)] == [status] * 2
    assert [r.connection for r in to.requests] == [1, 2]


async def test_no_answer_within_the_deadline_is_a_timeout_and_the_connection_is_not_reused(
    certificate: tuple[Path, Path],
) -> None:
    release = asyncio.Event()

    async def answer(request: Request) -> bytes:
        if request.body == b"slow":
            await release.wait()
        return answered(200)

    async with receiver(certificate, answer) as to, session(certificate) as client:
        with pytest.raises(TimeoutError):
            await client.post(to.url(), b"slow", HEADERS, 0.2)
        release.set()
        assert await client.post(to.url(), b"{}", HEADERS, 5) == 200
    assert [r.connection for r in to.requests] == [1, 2]


async def test_a_connection_the_receiver_closed_while_idle_is_replaced(
    certificate: tuple[Path, Path],
) -> None:
    async def answer(request: Request) -> bytes | None:
        return None if request.body == b"hang up" else answered(200)

    async with receiver(certificate, answer) as to, session(certificate) as client:
        assert await client.post(to.url(), b"{}", HEADERS, 5) == 200
        with pytest.raises(Disconnected):  # closed with the request in hand: no answer
            await client.post(to.url(), b"hang up", HEADERS, 5)
        assert await client.post(to.url(), b"{}", HEADERS, 5) == 200
    assert [r.connection for r in to.requests] == [1, 1, 2]


async def test_an_answer_that_is_not_http_is_a_disconnection(certificate: tuple[Path, Path]) -> None:
    async def answer(_: Request) -> bytes:
        return b"SMTP ready\r\n\r\n"

    async with receiver(certificate, answer) as to, session(certificate) as client:
        with pytest.raises(Disconnected):
            await client.post(to.url(), b"{}", HEADERS, 5)


async def test_a_receiver_that_is_not_listening_is_a_failed_connection(
    certificate: tuple[Path, Path],
) -> None:
    async with receiver(certificate) as to:
        url = to.url()
    async with session(certificate) as client:
        with pytest.raises(ConnectFailed):
            await client.post(url, b"{}", HEADERS, 5)


async def test_a_certificate_not_trusted_or_not_for_the_host_is_refused(
    certificate: tuple[Path, Path],
) -> None:
    async with receiver(certificate) as to:
        untrusting = GuardedSession(LOOPBACK)  # the system's trust store: the receiver's is not in it
        try:
            with pytest.raises(CertificateRefused):
                await untrusting.post(to.url(), b"{}", HEADERS, 5)
        finally:
            await untrusting.close()
        async with session(certificate) as client:
            with pytest.raises(CertificateRefused):  # issued for 127.0.0.1, not for "localhost"
                await client.post(to.url(host="localhost"), b"{}", HEADERS, 5)
    assert to.requests == []


@pytest.mark.parametrize(
    "headers",
    [
        {"Authorization": "Bearer a\r\nX-Injected: yes"},
        {"Authorization": "Bearer a\nb"},
        {"Authorization": "€"},
    ],
)
async def test_a_header_value_that_would_break_the_request_is_refused_and_nothing_sent(
    certificate: tuple[Path, Path], headers: dict[str, str]
) -> None:
    async with receiver(certificate) as to, session(certificate) as client:
        with pytest.raises(InvalidHeader):
            await client.post(to.url(), b"{}", headers, 5)
    assert to.connections == 0


@pytest.mark.parametrize(
    "url", ["ftp://127.0.0.1/callback", "https://user:secret@127.0.0.1/callback", "https:///callback", "x"]
)
async def test_a_url_that_is_not_an_http_url_with_a_host_is_refused(
    certificate: tuple[Path, Path], url: str
) -> None:
    async with session(certificate) as client:
        with pytest.raises(InvalidUrl):
            await client.post(url, b"{}", HEADERS, 5)


async def test_each_failure_is_reported_as_an_attempt_retried_or_not(certificate: tuple[Path, Path]) -> None:
    async def answer(request: Request) -> bytes | None:
        if request.body.startswith(b'{"id":"slow"'):
            await asyncio.sleep(5)
        return None if request.body.startswith(b'{"id":"hang up"') else answered(200)

    async with receiver(certificate, answer) as to, session(certificate) as client:
        calls = CallbackClient(client, 0.3)
        at = Destination(to.url(), "token-0123456789", None)
        results = {
            "ok": await calls.post(at, "m", {"id": "ok"}),
            "timeout": await calls.post(at, "m", {"id": "slow"}),
            "disconnected": await calls.post(at, "m", {"id": "hang up"}),
            "bad url": await calls.post(Destination("ftp://x/", "token", None), "m", {"id": "n"}),
            "bad token": await calls.post(Destination(to.url(), "a\r\nb", None), "m", {"id": "n"}),
        }
    assert {name: (r.succeeded, r.retryable, r.status_code, r.reason) for name, r in results.items()} == {
        "ok": (True, False, 200, None),
        "timeout": (False, True, None, "timeout"),
        "disconnected": (False, True, None, "connection error: Disconnected"),
        "bad url": (False, False, None, "refused destination: url is not a valid url"),
        "bad token": (False, False, None, "invalid request: a header value holds a line break"),
    }


async def test_a_connection_answering_one_request_twice_is_not_reused(certificate: tuple[Path, Path]) -> None:
    async def answer(_: Request) -> bytes:
        return answered(200) + answered(500)

    async with receiver(certificate, answer) as to, session(certificate) as client:
        assert [await client.post(to.url(), b"{}", HEADERS, 5) for _ in range(2)] == [200, 200]
    assert [r.connection for r in to.requests] == [1, 2]

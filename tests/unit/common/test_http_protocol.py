"""The services' HTTP protocol (``notify_common.http_protocol``): uvicorn's httptools protocol
answering a response of known length in one socket write, the bytes on the wire, their order and
the connection's fate exactly uvicorn's own.

Both protocols are fed the same requests over a recording transport and must write the same bytes
and close (or not) alike; then a real server on a socket checks what a client sees, including a
head that must not wait for a body the app sends later."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.server import ServerState

from notify_common.http import server_config
from notify_common.http_protocol import OneWriteHttpToolsProtocol

App = Callable[[Any, Any, Any], Awaitable[None]]
BODY = b'{"id":"x"}'


class Recording(asyncio.Transport):
    """The transport a protocol is given: records each write, and whether it was closed."""

    def __init__(self) -> None:
        super().__init__()
        self.writes: list[bytes] = []
        self.closed = False

    def write(self, data: bytes | bytearray | memoryview) -> None:
        assert not self.closed, "written after close"
        self.writes.append(bytes(data))

    def close(self) -> None:
        self.closed = True

    def is_closing(self) -> bool:
        return self.closed

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"peername": ("127.0.0.1", 50000), "sockname": ("127.0.0.1", 8000)}.get(name, default)

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass


async def exchange(protocol_class: type[HttpToolsProtocol], app: App, *requests: bytes) -> Recording:
    """Feeds ``requests`` (one ``data_received`` each) to a connection of ``protocol_class`` and
    lets the app answer them all."""
    config = uvicorn.Config(app, log_config=None, access_log=False, lifespan="off", proxy_headers=False)
    config.load()
    protocol = protocol_class(config=config, server_state=ServerState(), app_state={})
    transport = Recording()
    protocol.connection_made(transport)
    for request in requests:
        protocol.data_received(request)
        for _ in range(20):  # the app's task, and anything it scheduled, run to their end
            await asyncio.sleep(0)
    for task in list(protocol.tasks):
        await task
    for _ in range(5):
        await asyncio.sleep(0)
    protocol.connection_lost(None)
    return transport


def fixed(status: int = 200, body: bytes = BODY, headers: list[tuple[bytes, bytes]] | None = None) -> App:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        await receive()
        given = [(b"content-length", str(len(body)).encode())] if headers is None else headers
        await send({"type": "http.response.start", "status": status, "headers": given})
        await send({"type": "http.response.body", "body": body})

    return app


def streaming(*parts: bytes, length: bool = False, pause: bool = True) -> App:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        await receive()
        size = sum(len(part) for part in parts)
        headers = [(b"content-length", str(size).encode())] if length else []
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        for part in parts:
            if pause:
                await asyncio.sleep(0)  # each part in a later turn of the loop
            await send({"type": "http.response.body", "body": part, "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": False})

    return app


async def raising_before_start(scope: Any, receive: Any, send: Any) -> None:
    raise RuntimeError("boom")


async def raising_after_start(scope: Any, receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"5")]})
    raise RuntimeError("boom")


async def too_long(scope: Any, receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"1")]})
    await send({"type": "http.response.body", "body": b"too long"})


async def no_body_message(scope: Any, receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"0")]})


async def echo(scope: Any, receive: Any, send: Any) -> None:
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    await send(
        {
            "type": "http.response.start",
            "status": 201,
            "headers": [(b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


def get(path: str = "/", method: str = "GET", version: str = "1.1", extra: str = "") -> bytes:
    return f"{method} {path} HTTP/{version}\r\nhost: x\r\n{extra}\r\n".encode()


def post(body: bytes, extra: str = "") -> bytes:
    return f"POST / HTTP/1.1\r\nhost: x\r\ncontent-length: {len(body)}\r\n{extra}\r\n".encode() + body


CASES: dict[str, tuple[App, tuple[bytes, ...]]] = {
    "fixed length": (fixed(), (get(),)),
    "keep-alive, two requests": (fixed(), (get(), get("/again"))),
    "pipelined in one packet": (fixed(), (get() + get("/2") + get("/3"),)),
    "Connection: close asked": (fixed(), (get(extra="connection: close\r\n"),)),
    "Connection: close answered": (
        fixed(headers=[(b"content-length", b"10"), (b"connection", b"close")]),
        (get(), get("/never")),
    ),
    "HTTP/1.0": (fixed(), (get(version="1.0"),)),
    "HEAD": (fixed(), (get(method="HEAD"), get())),
    "HEAD without a length": (fixed(headers=[]), (get(method="HEAD"),)),
    "204": (fixed(204, b"", headers=[]), (get(), get())),
    "304": (fixed(304, b"", headers=[]), (get(),)),
    "empty body with a length": (fixed(200, b""), (get(),)),
    "large body": (fixed(200, b"z" * 200_000), (get(),)),
    "chunked": (streaming(b"a", b"bb", b"ccc"), (get(), get())),
    "chunked, all in one turn": (streaming(b"a", b"bb", pause=False), (get(),)),
    "streamed with a length": (streaming(b"a", b"bb", length=True), (get(), get())),
    "100 Continue": (echo, (post(b"hello", "expect: 100-continue\r\n"),)),
    "body in two packets": (echo, (post(b"hello world")[:-5], b"world")),
    "the app raises before answering": (raising_before_start, (get(),)),
    "the app raises after the head": (raising_after_start, (get(), get())),
    "a body longer than its length": (too_long, (get(),)),
    "no body message": (no_body_message, (get(),)),
    "a malformed request": (fixed(), (b"NOT HTTP\r\n\r\n",)),
}


@pytest.mark.parametrize("case", list(CASES))
async def test_the_same_bytes_and_the_same_close_as_uvicorns_protocol(case: str) -> None:
    app, requests = CASES[case]
    theirs = await exchange(HttpToolsProtocol, app, *requests)
    ours = await exchange(OneWriteHttpToolsProtocol, app, *requests)
    assert b"".join(ours.writes) == b"".join(theirs.writes)
    assert ours.closed == theirs.closed
    assert len(ours.writes) <= len(theirs.writes)


@pytest.mark.parametrize(
    ("case", "responses"),
    [
        ("fixed length", 1),
        ("keep-alive, two requests", 2),
        ("pipelined in one packet", 3),
        ("HEAD", 2),
        ("204", 2),
        ("304", 1),
        ("empty body with a length", 1),
        ("Connection: close answered", 1),
    ],
)
async def test_a_response_of_known_length_is_one_write(case: str, responses: int) -> None:
    app, requests = CASES[case]
    theirs = await exchange(HttpToolsProtocol, app, *requests)
    ours = await exchange(OneWriteHttpToolsProtocol, app, *requests)
    assert len(ours.writes) == responses
    assert len(theirs.writes) > responses


async def test_a_streamed_heads_and_100_continue_go_out_before_the_body() -> None:
    chunked = await exchange(OneWriteHttpToolsProtocol, *_case("chunked"))
    assert chunked.writes[0].startswith(b"HTTP/1.1 200 OK\r\n")
    assert chunked.writes[0].endswith(b"\r\n\r\n")
    continued = await exchange(OneWriteHttpToolsProtocol, *_case("100 Continue"))
    assert continued.writes[0] == b"HTTP/1.1 100 Continue\r\n\r\n"
    assert continued.writes[1].startswith(b"HTTP/1.1 201 Created\r\n")
    assert continued.writes[1].endswith(b"hello")


def _case(name: str) -> tuple[App, bytes]:
    app, requests = CASES[name]
    return app, requests[0]


async def test_a_head_held_when_the_client_goes_away_is_not_written_to_the_closed_connection() -> None:
    # The app fails after its head, once the client has gone: uvicorn closes the transport, which
    # must not write the held head into the connection already closed.
    async def app(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"4")]})
        protocol.connection_lost(None)
        raise RuntimeError("boom")

    config = uvicorn.Config(app, log_config=None, access_log=False, lifespan="off", proxy_headers=False)
    config.load()
    protocol = OneWriteHttpToolsProtocol(config=config, server_state=ServerState(), app_state={})
    transport = Recording()
    protocol.connection_made(transport)
    protocol.data_received(get())
    for task in list(protocol.tasks):
        await task
    assert transport.writes == []
    assert transport.closed


async def test_a_large_body_is_not_copied_onto_its_head() -> None:
    ours = await exchange(OneWriteHttpToolsProtocol, *_case("large body"))
    assert [len(write) for write in ours.writes][1:] == [200_000]


def test_every_service_serves_with_the_one_write_protocol() -> None:
    assert server_config(raising_before_start, 30).http is OneWriteHttpToolsProtocol


# --- A real server, a real client -------------------------------------------------------------


async def read_head(reader: asyncio.StreamReader) -> bytes:
    return await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 30)


async def test_through_a_socket_a_streamed_head_does_not_wait_for_its_body() -> None:
    # The app streams (no content-length), and sends its body only once the client has read the
    # head: had the head been held for the body, neither would ever arrive.
    seen_head = asyncio.Event()

    async def app(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        await receive()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await seen_head.wait()
        await send({"type": "http.response.body", "body": b"late"})

    async with serving(app) as port:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(get())
        head = await read_head(reader)
        assert head.startswith(b"HTTP/1.1 200 OK\r\n")
        assert b"transfer-encoding: chunked\r\n" in head
        seen_head.set()
        assert await asyncio.wait_for(reader.readuntil(b"0\r\n\r\n"), 30) == b"4\r\nlate\r\n0\r\n\r\n"
        writer.close()


async def test_through_a_socket_keep_alive_head_chunked_and_close_answer_as_uvicorn_does() -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        await (streaming(b"ab", b"c") if scope["path"] == "/stream" else fixed())(scope, receive, send)

    async with serving(app) as port:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(get() + get(method="HEAD"))
        first = await read_head(reader)
        assert first.startswith(b"HTTP/1.1 200 OK\r\n")
        assert b"server: " not in first.lower()  # the software is not named to every caller
        assert b"date: " in first
        assert await reader.readexactly(len(BODY)) == BODY
        head = await read_head(reader)  # HEAD: the same head, no body
        assert b"content-length: 10\r\n" in head
        writer.write(get("/stream"))
        streamed = await read_head(reader)
        assert b"transfer-encoding: chunked\r\n" in streamed
        assert await reader.readuntil(b"0\r\n\r\n") == b"2\r\nab\r\n1\r\nc\r\n0\r\n\r\n"
        writer.write(get(extra="connection: close\r\n"))
        closing = await read_head(reader)
        assert b"connection: close\r\n" in closing
        assert await asyncio.wait_for(reader.read(), 30) == BODY  # then the server closes
        writer.close()


class serving:
    """``app`` served as every service serves it (``server_config``), on a free port."""

    def __init__(self, app: App) -> None:
        config = server_config(app, 1, host="127.0.0.1", port=0)
        config.lifespan = "off"
        self.server = uvicorn.Server(config)

    async def __aenter__(self) -> int:
        self.task = asyncio.create_task(self.server.serve())
        while not self.server.started:
            await asyncio.sleep(0.01)
        port: int = self.server.servers[0].sockets[0].getsockname()[1]
        return port

    async def __aexit__(self, *exc: object) -> None:
        self.server.should_exit = True
        await asyncio.wait_for(self.task, 30)
